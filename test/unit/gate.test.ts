/**
 * The gate on its own, with no protocol: a request (operations as a parser extracted them) → a verdict.
 * Decision, built-in guards, approvals and the decision record, each observable as values.
 */
import { expect } from 'chai';
import type { ApprovalBroker } from '../../proxy/approvals/broker.js';
import type { ApprovalRequest } from '../../shared/contract/approval-request.js';
import { Gate } from '../../proxy/gate/gate.js';
import type { GateRequest } from '../../proxy/gate/request.js';
import type { SqlOperation, SqlRequest } from '../../proxy/gate/sql-request.js';
import { unparseable } from '../../proxy/gate/guards.js';
import type { Verdict } from '../../proxy/gate/verdict.js';
import { compilePolicy } from '../../proxy/policy/runtime.js';
import { catalogWith } from '../support/caps-catalog.js';
import type { PolicySpec } from '../../shared/contract/policy-types.js';
import {
  dbTarget as target,
  memoryAudit,
  policyDocument,
  sqlOps,
  sqlRun,
  stubBroker,
} from '../support/gate-fixtures.js';

function policy(over: Partial<PolicySpec> = {}) {
  return policyDocument({
    targets: [target],
    rules: [
      { name: 'no-ddl', when: { sql: { effects: ['ddl'] } }, action: 'Deny', message: 'no DDL' },
      { name: 'payroll', when: { sql: { tables: ['payroll'] } }, action: 'RequireApproval' },
    ],
    ...over,
  });
}

/** Built-in functions and a table `orders` without triggers, rules or cascades (so its writes can be counted). */
const catalog = catalogWith({
  relations: [{ schema: 'public', name: 'orders' }],
  searchPath: ['pg_catalog', 'public'],
  hiddenWrites: [],
});

const ops = (sql: string) => sqlOps(sql, catalog);

function setup(spec: Partial<PolicySpec> = {}, approvals?: ApprovalBroker) {
  const rt = compilePolicy(policy(spec));
  const events: string[] = [];
  const counted: string[] = [];
  const gate = new Gate({
    runtime: () => rt,
    audit: { healthy: true } as never,
    events: (_t, reason, message) => events.push(`${reason}: ${message}`),
    metrics: { decided: (t: string, _c: unknown, d: string, e: boolean) => counted.push(`${t}/${d}/${e}`) } as never,
    ...(approvals ? { approvals } : {}),
  });
  const audit = memoryAudit();
  const request = (operations: SqlOperation[], more: Partial<SqlRequest> = {}): GateRequest =>
    sqlRun(operations, { audit, catalog, ...more });
  return { gate, audit, events, counted, request };
}

const settled = async (v: Verdict) => (v.kind === 'hold' ? await v.approval : v);

describe('gate12: the gate, request → verdict', () => {
  it('forwards what the policy allows, every decision on record first (one sequence number per operation)', async () => {
    const { gate, audit, counted, request } = setup();
    const v = gate.check(request(await ops('SELECT 1; SELECT 2')));
    expect(v).to.include({ kind: 'forward' });
    expect((v as { records: number[] }).records).to.deep.equal([1, 2]);
    expect(audit.records.map((r) => [r.event?.action, r.decision, r.enforced, r.rule?.name])).to.deep.equal([
      ['statement.decision', 'Allow', false, 'defaultAction'],
      ['statement.decision', 'Allow', false, 'defaultAction'],
    ]);
    expect(counted).to.deep.equal(['db/Allow/false', 'db/Allow/false']);
  });

  it('refuses the whole request when one operation is denied, naming the rule; all recorded, an Event raised', async () => {
    const { gate, audit, events, request } = setup();
    const v = gate.check(request(await ops('SELECT 1; DROP TABLE t')));
    expect(v).to.include({ kind: 'refuse', code: 'denied', rule: 'no-ddl', reason: 'denied by rule "no-ddl": no DDL' });
    expect(audit.records[0]!.detail).to.deep.equal({ notExecuted: 'statement 2 of this query was denied' });
    expect(audit.records[1]).to.include({ decision: 'Deny', enforced: true });
    expect(events).to.deep.equal(['StatementDenied: agent-1 on db: denied by rule "no-ddl"']);
  });

  it('refuses what it cannot record: nothing goes through unrecorded', async () => {
    const { gate, audit, request } = setup();
    audit.down = true;
    expect(gate.check(request(await ops('SELECT 1')))).to.include({ kind: 'refuse', code: 'unrecorded' });
  });

  it("a parser's own refusal is recorded and refused with its code, whatever the policy allows", () => {
    const { gate, audit, request } = setup({ defaultAction: 'Allow', rules: [] });
    const { classification, decision } = unparseable('SELEC 1', 'syntax error');
    const v = gate.check(
      request([
        {
          classification,
          refused: {
            decision,
            refusal: { kind: 'refuse', code: 'unparseable', rule: decision.rule, reason: 'could not parse' },
          },
        },
      ]),
    );
    expect(v).to.include({ kind: 'refuse', code: 'unparseable', rule: 'unparseable-statement' });
    expect(audit.records[0]).to.include({ kind: 'Unparsed', decision: 'Deny' });
  });

  it('built-in guards hold over a policy that allows everything', async () => {
    const { gate, request } = setup({
      defaultAction: 'Allow',
      rules: [{ name: 'all', action: 'Allow' }],
      runtimeLimits: { maxRowsAffected: 10 },
    });
    const readOnly = { ...target, access: 'ReadOnly' as const };
    const write = 'DELETE FROM orders WHERE id = 1';
    expect(gate.check(request(await ops(write)))).to.include({ kind: 'forward' });
    expect(gate.check(request(await ops(write), { target: readOnly }))).to.include({ rule: 'read-only-target' });
    expect(gate.check(request(await ops('SELECT most_common_vals FROM pg_stats')))).to.include({
      rule: 'planner-statistics',
    });
    expect(gate.check(request(await ops('SET search_path = x')))).to.include({ rule: 'pinned-search-path' });
    expect(gate.check(request(await ops(`SELECT 1; ${write}`)))).to.include({ rule: 'limits-single-statement-writes' });
    expect(gate.check(request(await ops(write), { fetchedInParts: true }))).to.include({
      rule: 'limits-max-rows-affected',
    });
    expect(gate.check(request(await ops('DELETE FROM unknown_table WHERE id = 1')))).to.include({
      rule: 'limits-max-rows-affected',
    });
  });

  it('prepare stage: records only a refusal; what passes is decided again when it runs', async () => {
    const { gate, audit, request } = setup();
    expect(gate.check(request(await ops('SELECT 1'), { stage: 'prepare' }))).to.deep.equal({
      kind: 'forward',
      decisions: [],
      records: [],
    });
    expect(audit.records).to.have.length(0);
    expect(gate.check(request(await ops('DROP TABLE t'), { stage: 'prepare' }))).to.include({
      kind: 'refuse',
      rule: 'no-ddl',
    });
    expect(audit.records).to.have.length(1);
    // RequireApproval with no approval system is a refusal at once; with one, it waits for the run.
    expect(gate.check(request(await ops('SELECT * FROM payroll'), { stage: 'prepare' }))).to.include({
      kind: 'refuse',
      rule: 'payroll',
    });
    const broker = { findGrant: () => undefined } as unknown as ApprovalBroker;
    const withApprovals = setup({}, broker);
    expect(
      withApprovals.gate.check(withApprovals.request(await ops('SELECT * FROM payroll'), { stage: 'prepare' })),
    ).to.deep.equal({ kind: 'forward', decisions: [], records: [] });
    expect(withApprovals.audit.records).to.have.length(0);
  });

  it('RequireApproval without an approval system is a refusal', async () => {
    const { gate, request } = setup();
    const v = gate.check(request(await ops('SELECT * FROM payroll')));
    expect(v).to.include({ kind: 'refuse', code: 'denied', rule: 'payroll' });
    expect((v as { hint?: string }).hint).to.contain('approvals are not available');
  });

  it('RequireApproval holds: granted (verified by the broker), then admitted under the grant and recorded as not enforced', async () => {
    const asked: unknown[] = [];
    const request$ = {
      metadata: { name: 'req-1', namespace: 'agents' },
      spec: { decisions: [{ user: 'alice', decision: 'Approved', time: '' }] },
    } as unknown as ApprovalRequest;
    const broker = stubBroker({
      request: async (ask) => (asked.push(ask), { namespace: 'agents', name: 'req-1' }),
      waitFor: async () => ({ phase: 'Approved', request: request$ }),
    });
    const { gate, audit, events, request } = setup({}, broker);
    const v = gate.check(
      request(await ops('SELECT * FROM payroll'), {
        approvalText: () => 'SELECT * FROM payroll',
        reason: 'monthly report',
      }),
    );
    expect(v.kind).to.equal('hold');
    expect(events).to.deep.equal([]); // a held statement is not a denial
    const o = await settled(v);
    expect(o).to.include({ kind: 'granted', grant: 'req-1' });
    expect(asked[0]).to.deep.include({ rule: 'payroll', target: 'db', reason: 'monthly report' });
    const admitted = (o as { admit(): Verdict }).admit();
    expect(admitted).to.deep.include({ kind: 'forward', grant: 'req-1' });
    expect(audit.records.map((r) => r.event?.action)).to.deep.equal([
      'approval.requested',
      'approval.decided',
      'approval.grant-used',
      'statement.decision',
    ]);
    expect(audit.records.at(-1)).to.deep.include({
      decision: 'RequireApproval',
      enforced: false,
      detail: { grant: 'req-1' },
    });
  });

  it('a held operation is decided again when its approval arrives: a policy that now denies it wins', async () => {
    let rt = compilePolicy(policy());
    const broker = stubBroker({
      request: async () => ({ namespace: 'agents', name: 'req-2' }),
      waitFor: async () => {
        rt = compilePolicy(
          policy({ rules: [{ name: 'payroll-closed', when: { sql: { tables: ['payroll'] } }, action: 'Deny' }] }),
        );
        return { phase: 'Approved' };
      },
    });
    const gate = new Gate({ runtime: () => rt, audit: { healthy: true } as never, approvals: broker });
    const audit = memoryAudit();
    const v = gate.check(sqlRun(await ops('SELECT * FROM payroll'), { audit, protocol: 'extended', catalog }));
    expect(await settled(v)).to.include({ kind: 'refuse', rule: 'payroll-closed' });
  });

  it('a held operation whose session closed meanwhile ends without an answer', async () => {
    let closed = false;
    const broker = stubBroker({
      request: async () => ({ namespace: 'agents', name: 'req-3' }),
      waitFor: async () => ((closed = true), { phase: 'Approved' }),
    });
    const { gate, request } = setup({}, broker);
    expect(await settled(gate.check(request(await ops('SELECT * FROM payroll'), { closed: () => closed })))).to.equal(
      undefined,
    );
  });
});
