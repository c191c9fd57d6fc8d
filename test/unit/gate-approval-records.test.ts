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
import { DirectHttpGate } from '../../proxy/http/direct-gate.js';
import { McpGate } from '../../proxy/mcp/gate.js';
import { catalogWith } from '../support/caps-catalog.js';
import {
  dbTarget as db,
  httpPost,
  httpTarget,
  mcpCall,
  mcpTarget,
  policyRuntime,
  sqlOps,
  sqlRun,
} from '../support/gate-fixtures.js';
import { MemoryBroker } from '../support/memory-broker.js';

const catalog = catalogWith({ relations: [{ schema: 'public', name: 'payroll' }], searchPath: ['public'] });

const rt = policyRuntime({
  targets: [db, httpTarget, mcpTarget],
  rules: [
    { name: 'payroll', when: { sql: { tables: ['payroll'] } }, action: 'RequireApproval' },
    { name: 'refunds', when: { http: { methods: ['POST'] } }, action: 'RequireApproval' },
    { name: 'mail', when: { mcp: { tools: ['send_*'] } }, action: 'RequireApproval' },
  ],
  approval: { mode: 'Hold', approvers: { users: ['bob'] } },
});

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
    const v = gate.check(
      sqlRun(await sqlOps('SELECT * FROM payroll', catalog), { audit: scoped({ target: 'db' }), catalog }),
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
          ? new DirectHttpGate(gate).decide(httpPost('/refunds'))
          : new McpGate(gate).decide(mcpCall('send_mail', { to: 'x' }, { maskedArguments: '{}' }));
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
