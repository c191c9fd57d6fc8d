/**
 * Hostile review of the merged gate (issue #12): an operation refused because its one-shot grant was
 * already used leaves no decision record (approvals.ts 'already-used' returns a refusal without
 * a.record, unlike every other refusal of the approval flow). The refused attempt is missing from the
 * chain, from decisions.csv and from the evidence report's denials: for SQL, HTTP and MCP alike.
 */
import { expect } from 'chai';
import type { AuditFields } from '../../proxy/audit/record.js';
import type { AuditLog } from '../../proxy/audit/audit-log.js';
import type { ApprovalBroker } from '../../proxy/approvals/broker.js';
import { Gate } from '../../proxy/gate/gate.js';
import { DirectHttpGate } from '../../proxy/http/direct-gate.js';
import { buildFacts } from '../../proxy/http/request-facts.js';
import type { Principal } from '../../proxy/identity/verify.js';
import { compilePolicy } from '../../proxy/policy/runtime.js';
import type { AgentAccessPolicy, HttpTargetSpec } from '../../shared/contract/policy-types.js';
import type { ApprovalRequest } from '../../shared/contract/approval-request.js';
import { parseRequestPath } from '../../shared/policy-language/path-template.js';

const http = {
  name: 'pay',
  protocol: 'http',
  listen: '127.0.0.1:1',
  upstream: { url: 'http://127.0.0.1:2' },
} as unknown as HttpTargetSpec;
const principal: Principal = { iss: 'https://issuer.example', sub: 'agent-1', iat: 0, exp: 2 ** 31, claims: {} };

function memoryAudit(): AuditLog & { records: AuditFields[] } {
  const records: AuditFields[] = [];
  const append = (f: AuditFields) => ({ seq: records.push(f), hash: '' });
  const scope = (shared: Partial<AuditFields>) => {
    const scoped = (f: AuditFields) => append({ ...shared, ...f });
    return { append: scoped, defer: scoped, tryAppend: scoped };
  };
  return { records, healthy: true, append, defer: append, tryAppend: append, scope } as never;
}

describe('review-gate: a refusal because a one-shot grant was already used', () => {
  it('is on record as a decision of the request, like every other refusal after an approval was sought', async () => {
    const rt = compilePolicy({
      apiVersion: 'agentgate.dev/v1alpha1',
      kind: 'AgentAccessPolicy',
      metadata: { name: 'p', namespace: 'agents' },
      spec: {
        mode: 'Enforce',
        defaultAction: 'Allow',
        identity: { issuers: [], maxTokenLifetimeSeconds: 900 },
        targets: [http],
        rules: [{ name: 'refunds', when: { http: { methods: ['POST'] } }, action: 'RequireApproval' }],
        approval: { mode: 'Reject', approvers: { users: ['bob'] } },
      },
    } as unknown as AgentAccessPolicy);
    // An Approved one-shot ApprovalRequest another request of this run has already claimed.
    const broker: ApprovalBroker = {
      findGrant: () => ({ metadata: { name: 'apr-1', namespace: 'agents' } }) as ApprovalRequest,
      request: async () => ({ namespace: 'agents', name: 'apr-1' }),
      waitFor: async () => ({ phase: 'Approved' }),
      claim: () => false,
      markUsed: async () => undefined,
    };
    const audit = memoryAudit();
    const gate = new DirectHttpGate(new Gate({ runtime: () => rt, audit, approvals: broker }));
    const facts = buildFacts(
      'pay',
      'POST',
      parseRequestPath('/refunds'),
      { 'content-type': ['application/json'] },
      Buffer.from('{"amount":500}'),
    );
    const v = await gate.decide({
      facts,
      target: http,
      principal,
      sessionId: 's',
      connectionId: 'c',
      client: { address: '127.0.0.1' },
    });
    expect(v).to.deep.include({ kind: 'refuse', status: 403, rule: 'refunds' });
    const decided = audit.records.filter((r) => r.event.action === 'statement.decision');
    expect(decided, 'the refused request has its decision on record').to.have.length(1);
    expect(decided[0]).to.deep.include({ decision: 'RequireApproval', enforced: true });
  });
});
