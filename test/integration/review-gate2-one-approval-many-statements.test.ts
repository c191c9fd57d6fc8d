/**
 * Hostile review round 2 (issue #12): "one approval answers one rule" lets every statement of a query
 * that needs the same rule ride one ApprovalRequest, but what approvers are asked about is the *first*
 * held statement only (sql-request.ts approval: summary, effects and tables of that classification).
 * A query that reads payroll and then deletes from it is asked as a read of payroll (kubectl get apr's
 * Command column, spec.command.effects); once approved, the DELETE runs under the grant.
 * Neighbour: a statement that needed no approval when the approval was asked, and that a policy change
 * during the wait puts under the same rule, is released by an approval nobody was asked for it.
 */
import { expect } from 'chai';
import type { LocalStack } from '../../proxy/local/stack.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { MemoryBroker } from '../support/memory-broker.js';
import { startPayrollApprovalStack } from '../support/sql-approval-fixtures.js';

describe('review-gate2: one approval for several statements under the same rule', function () {
  this.timeout(60_000);
  let s: LocalStack;
  let broker: MemoryBroker;
  let base: AgentAccessPolicy;

  before(async () => {
    broker = new MemoryBroker();
    s = await startPayrollApprovalStack(broker);
    base = structuredClone(s.policy);
  });
  after(async () => s?.stop());
  afterEach(() => {
    s.proxy.updatePolicy(structuredClone(base));
    broker.asks = [];
  });

  const count = async (sql: string): Promise<number> => {
    const d = await s.direct();
    const r = await d.query(sql);
    await d.end();
    return (r.rows[0] as { n: number }).n;
  };

  it('node-postgres: a read and a delete of payroll in one query are not asked as a read', async () => {
    const c = await s.connect();
    const pending = c
      .query("SELECT * FROM payroll.salaries; DELETE FROM payroll.salaries WHERE employee = 'nobody'")
      .catch((e: Error) => e);
    while (broker.asks.length === 0) await new Promise((r) => setTimeout(r, 20));
    const ask = broker.asks[0]!.command;
    await broker.settle(`apr-${ask.sha256.slice(0, 8)}`, 'Denied');
    await pending;
    await c.end();
    expect(ask.effects, `asked as: ${ask.summary}`).to.include('write');
  });

  it('node-postgres: a statement put under the approved rule during the wait is not released by that approval', async () => {
    const before = await count('SELECT count(*)::int AS n FROM orders WHERE id = 4');
    expect(before).to.equal(1);
    const c = await s.connect();
    const pending = c.query('SELECT * FROM payroll.salaries; DELETE FROM orders WHERE id = 4').catch((e: Error) => e);
    while (broker.asks.length === 0) await new Promise((r) => setTimeout(r, 20));
    const ask = broker.asks[0]!.command;
    expect(ask.tables).to.deep.equal(['payroll.salaries']);
    // While it is held, the operator widens the rule: writes to orders now need the same approval.
    const p = structuredClone(base);
    p.spec.rules = p.spec.rules!.map((r) =>
      r.name === 'payroll-approval' ? { ...r, when: { sql: { tables: ['payroll.*', 'orders'] } } } : r,
    );
    s.proxy.updatePolicy(p);
    // The approver approves what was asked: a read of payroll.salaries.
    await broker.settle(`apr-${ask.sha256.slice(0, 8)}`, 'Approved');
    await pending;
    await c.end();
    expect(
      await count('SELECT count(*)::int AS n FROM orders WHERE id = 4'),
      'the DELETE, which the approval request never named as needing approval, did not run',
    ).to.equal(1);
  });
});
