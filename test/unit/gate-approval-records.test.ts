/**
 * The one approval path, as its records read for every protocol: a request denied by its approver is
 * one deviation (the approval.decided record), never two; the refusal itself is on record under the
 * ApprovalRequest's name, for SQL, HTTP and MCP alike.
 */
import { expect } from 'chai';
import type { AuditFields, AuditRecord } from '../../proxy/audit/record.js';
import { deviationOf } from '../../proxy/audit/deviation-of.js';
import { Gate } from '../../proxy/gate/gate.js';
import { settled } from '../../proxy/gate/verdict.js';
import { sqlRequest } from '../../proxy/gate/sql-request.js';
import { DirectHttpGate } from '../../proxy/http/direct-gate.js';
import { buildFacts } from '../../proxy/http/request-facts.js';
import type { Principal } from '../../proxy/identity/verify.js';
import { McpGate } from '../../proxy/mcp/gate.js';
import { callFacts } from '../../proxy/mcp/mcp-facts.js';
import { compilePolicy } from '../../proxy/policy/runtime.js';
import { explainSql } from '../../proxy/sql/explain.js';
import type { AgentAccessPolicy, TargetSpec } from '../../shared/contract/policy-types.js';
import { parseRequestPath } from '../../shared/policy-language/path-template.js';
import { catalogWith } from '../support/caps-catalog.js';
import { MemoryBroker } from '../support/memory-broker.js';

const db = {
  name: 'db',
  protocol: 'postgres',
  listen: '127.0.0.1:1',
  access: 'ReadWrite',
  upstream: { host: 'h', port: 1, database: 'd', user: 'u', sslMode: 'disable' },
  credentials: { passwordEnv: 'P' },
} as TargetSpec;
const api = { name: 'pay', protocol: 'http', listen: '127.0.0.1:2', upstream: { url: 'http://127.0.0.1:3' } };
const files = { name: 'files', protocol: 'mcp', listen: '127.0.0.1:4', upstream: { command: 'x' } };
const principal: Principal = { iss: 'https://issuer.example', sub: 'agent-1', iat: 0, exp: 2 ** 31, claims: {} };
const catalog = catalogWith({ relations: [{ schema: 'public', name: 'payroll' }], searchPath: ['public'] });

const rt = compilePolicy({
  apiVersion: 'agentgate.dev/v1alpha1',
  kind: 'AgentAccessPolicy',
  metadata: { name: 'p', namespace: 'agents' },
  spec: {
    mode: 'Enforce',
    defaultAction: 'Allow',
    identity: { issuers: [], maxTokenLifetimeSeconds: 900 },
    targets: [db, api, files],
    rules: [
      { name: 'payroll', when: { sql: { tables: ['payroll'] } }, action: 'RequireApproval' },
      { name: 'refunds', when: { http: { methods: ['POST'] } }, action: 'RequireApproval' },
      { name: 'mail', when: { mcp: { tools: ['send_*'] } }, action: 'RequireApproval' },
    ],
    approval: { mode: 'Hold', approvers: { users: ['bob'] } },
  },
} as unknown as AgentAccessPolicy);

function setup() {
  const records: AuditRecord[] = [];
  const write = (f: AuditFields) => {
    const seq = records.push({ ...f, seq: records.length + 1, hash: `h${records.length + 1}` } as AuditRecord);
    return { seq, hash: `h${seq}`, prevHash: '', time: '' };
  };
  const scoped = (shared: Partial<AuditFields>) => {
    const w = (f: AuditFields) => write({ ...shared, ...f });
    return { append: w, defer: w, tryAppend: w };
  };
  const audit = { healthy: true, append: write, defer: write, tryAppend: write, scope: scoped };
  const broker = new MemoryBroker();
  const gate = new Gate({ runtime: () => rt, audit: audit as never, approvals: broker });
  return { records, broker, gate, scoped };
}

/** What the review counts: the deviations among the records. */
const deviations = (records: AuditRecord[]) =>
  records.map((r) => deviationOf({ ...r, '@timestamp': '2026-11-30T00:00:00Z' } as AuditRecord)).filter(Boolean);

describe('gate: one approval path, one deviation per denied approval, for every protocol', () => {
  it('SQL: a statement whose approval was denied is refused; the refusal is recorded under the request, one deviation', async () => {
    const { records, broker, gate, scoped } = setup();
    const r = await explainSql('SELECT * FROM payroll', catalog);
    if (!r.ok) throw new Error(r.error);
    const v = gate.check(
      sqlRequest({
        target: db,
        principal,
        audit: scoped({ target: 'db' }),
        protocol: 'simple',
        operations: r.statements.map((c) => ({ classification: c })),
        stage: 'run',
        catalog,
        closed: () => false,
      }),
    );
    const name = `apr-${broker.asks[0]!.command.sha256.slice(0, 8)}`; // asked before check() returned the hold
    void broker.settle(name, 'Denied');
    const out = await settled(v);
    expect(out).to.include({ kind: 'refuse', rule: 'payroll' });
    expect((out as { reason: string }).reason).to.match(/was denied; nothing was executed/);
    const refusal = records.find((x) => x.event.action === 'statement.decision')!;
    expect(refusal.detail).to.deep.include({ approvalRequest: `agents/${name}` });
    expect(deviations(records).map((d) => d!.kind)).to.deep.equal(['ApprovalDenied']);
  });

  it('HTTP and MCP: the same — one deviation, the refusal under the request name', async () => {
    for (const protocol of ['http', 'mcp'] as const) {
      const { records, broker, gate } = setup();
      const pending =
        protocol === 'http'
          ? new DirectHttpGate(gate).decide({
              facts: buildFacts('pay', 'POST', parseRequestPath('/refunds'), {}, Buffer.from('')),
              target: api as never,
              principal,
              sessionId: 's',
              connectionId: 'c',
              client: { address: '127.0.0.1' },
            })
          : new McpGate(gate).decide({
              facts: callFacts('files', 'tools/call', { name: 'send_mail', arguments: { to: 'x' } }),
              target: files as never,
              principal,
              sessionId: 's',
              connectionId: 'c',
              client: { address: '127.0.0.1' },
              maskedArguments: '{}',
              requestBytes: 2,
            });
      while (!broker.asks.length) await new Promise((r) => setTimeout(r, 5));
      await broker.settle(`apr-${broker.asks[0]!.command.sha256.slice(0, 8)}`, 'Denied');
      const v = await pending;
      expect(v, protocol).to.include({ kind: 'refuse', status: 403 });
      const refusal = records.find((x) => x.event.action === 'statement.decision')!;
      expect(refusal.detail, protocol).to.have.property('approvalRequest');
      expect(
        deviations(records).map((d) => d!.kind),
        protocol,
      ).to.deep.equal(['ApprovalDenied']);
    }
  });
});
