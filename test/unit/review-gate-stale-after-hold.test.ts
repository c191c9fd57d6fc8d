/**
 * Hostile review of the merged gate (issue #12): a request of several operations, one of them held for
 * an approval. After the wait the gate decides the held operation again under the policy in force
 * (approval-flow.ts redecide), but admits the request with the *other* operations' decisions from
 * before the wait (gate.ts: admit(req, runtime(), decisions, -1, grant)). A policy that denies one of
 * them meanwhile (an incident-time Deny) does not stop it: it is recorded Allow under the new policy's
 * ref and forwarded.
 */
import { expect } from 'chai';
import type { AuditFields } from '../../proxy/audit/record.js';
import type { ScopedAudit } from '../../proxy/audit/audit-log.js';
import type { ApprovalBroker } from '../../proxy/approvals/broker.js';
import { Gate } from '../../proxy/gate/gate.js';
import { sqlRequest, type SqlOperation } from '../../proxy/gate/sql-request.js';
import { settled } from '../../proxy/gate/verdict.js';
import type { Principal } from '../../proxy/identity/verify.js';
import { compilePolicy } from '../../proxy/policy/runtime.js';
import { explainSql } from '../../proxy/sql/explain.js';
import { catalogWith } from '../support/caps-catalog.js';
import type { AgentAccessPolicy, PolicySpec, TargetSpec } from '../../shared/contract/policy-types.js';

const target: TargetSpec = {
  name: 'db',
  protocol: 'postgres',
  listen: '127.0.0.1:1',
  access: 'ReadWrite',
  upstream: { host: 'h', port: 1, database: 'd', user: 'u', sslMode: 'disable' },
  credentials: { passwordEnv: 'P' },
};
const principal: Principal = { iss: 'https://issuer.example', sub: 'agent-1', iat: 0, exp: 2 ** 31, claims: {} };

function policy(rules: PolicySpec['rules']): AgentAccessPolicy {
  return {
    apiVersion: 'agentgate.dev/v1alpha1',
    kind: 'AgentAccessPolicy',
    metadata: { name: 'p', namespace: 'agents' },
    spec: {
      mode: 'Enforce',
      defaultAction: 'Allow',
      identity: { issuers: [], maxTokenLifetimeSeconds: 900 },
      targets: [target],
      rules,
    },
  } as AgentAccessPolicy;
}

const payrollNeedsApproval = { name: 'payroll', when: { sql: { tables: ['payroll'] } }, action: 'RequireApproval' };

const catalog = catalogWith({
  relations: [
    { schema: 'public', name: 'orders' },
    { schema: 'public', name: 'payroll' },
  ],
  searchPath: ['pg_catalog', 'public'],
  hiddenWrites: [],
});

async function ops(sql: string): Promise<SqlOperation[]> {
  const r = await explainSql(sql, catalog);
  if (!r.ok) throw new Error(r.error);
  return r.statements.map((c) => ({ classification: c }));
}

function memoryAudit(): ScopedAudit & { records: AuditFields[] } {
  const records: AuditFields[] = [];
  const add = (f: AuditFields) => ({ seq: records.push(f), hash: '' });
  return { records, append: add, defer: add, tryAppend: add } as never;
}

describe('review-gate: decisions of a multi-operation request after an approval wait', () => {
  it('a statement the policy denies by the time the approval arrives is not forwarded with the approved one', async () => {
    let rt = compilePolicy(policy([payrollNeedsApproval] as never));
    const broker: ApprovalBroker = {
      findGrant: () => undefined,
      request: async () => ({ namespace: 'agents', name: 'req-1' }),
      waitFor: async () => {
        // While the query is held, an operator closes writes to orders.
        rt = compilePolicy(
          policy([
            payrollNeedsApproval,
            { name: 'orders-frozen', when: { sql: { tables: ['orders'] } }, action: 'Deny' },
          ] as never),
        );
        return { phase: 'Approved' };
      },
      claim: () => true,
      markUsed: async () => undefined,
    };
    const gate = new Gate({ runtime: () => rt, audit: { healthy: true } as never, approvals: broker });
    const audit = memoryAudit();
    const v = gate.check(
      sqlRequest({
        target,
        principal,
        audit,
        protocol: 'simple',
        operations: await ops('SELECT * FROM payroll; DELETE FROM orders WHERE id = 1'),
        stage: 'run',
        catalog,
        closed: () => false,
      }),
    );
    expect(v.kind).to.equal('hold');
    const out = await settled(v);
    const decided = audit.records.filter((r) => r.event.action === 'statement.decision');
    const del = decided.find((r) => (r.tables ?? []).includes('orders'));
    expect(del, 'the DELETE is decided under the policy in force after the wait').to.include({ decision: 'Deny' });
    expect(out).to.include({ kind: 'refuse', rule: 'orders-frozen' });
  });
});
