/**
 * Hostile review round 2 (issue #12): the agent leaves while a one-shot grant is being marked Used at
 * the operator (approval-flow.ts runUnder: claim, await markUsed, then `closed()` again). The grant is
 * then spent (the ApprovalRequest reads Used, a retry is refused as already used) while nothing ran, and
 * the flow returns "agent gone" without a record: the evidence shows an approval and then nothing, and
 * the operator's Used has no execution and no explanation behind it.
 */
import { expect } from 'chai';
import type { LocalStack } from '../../proxy/local/stack.js';
import type { AuditFields } from '../../proxy/audit/record.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { CountingBroker, startPayrollApprovalStack, firstApprovalName } from '../support/sql-approval-fixtures.js';
import { auditFileRecords } from '../support/audit-records.js';
import { eventually } from '../support/eventually.js';

class SlowUseBroker extends CountingBroker {
  marking?: () => void;
  override async markUsed(name?: string): Promise<void> {
    await super.markUsed(name);
    await new Promise<void>((r) => (this.marking = r));
  }
}

describe('review-gate2: the agent leaves while its one-shot grant is marked Used', function () {
  this.timeout(60_000);
  let s: LocalStack;
  let broker: SlowUseBroker;
  let base: AgentAccessPolicy;

  before(async () => {
    broker = new SlowUseBroker();
    s = await startPayrollApprovalStack(broker);
    base = structuredClone(s.policy);
  });
  after(async () => s?.stop());
  afterEach(() => {
    s.proxy.updatePolicy(structuredClone(base));
    broker.asks = [];
    broker.used = [];
    broker.marking = undefined;
  });

  const records = (): AuditFields[] => auditFileRecords(s.auditFile);

  it('a grant spent on a statement that never ran is on record', async () => {
    const c = await s.connect();
    c.on('error', () => undefined);
    const pending = c.query("DELETE FROM payroll.salaries WHERE employee = 'nobody'").catch((e: Error) => e);
    const name = await firstApprovalName(broker);
    await broker.settle(name, 'Approved');
    while (!broker.marking) await new Promise((r) => setTimeout(r, 10));
    // The agent goes away while the operator records the grant Used.
    (c as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    await pending;
    await eventually('the proxy to see the agent gone', () =>
      records()
        .slice(records().findIndex((r) => r.event.action === 'approval.decided'))
        .some((r) => r.event.action === 'connection.close'),
    );
    broker.marking();
    expect(broker.used, 'the grant was marked Used').to.deep.equal([name]);
    const recordsOfGrant = () => {
      const all = records();
      const decided = all.findIndex((r) => r.event.action === 'approval.decided');
      return all
        .slice(decided + 1)
        .filter((r) => JSON.stringify(r.detail ?? {}).includes(name) || (r.message ?? '').includes(name));
    };
    await eventually('a record of the grant after its decision', () => recordsOfGrant().length > 0).catch(
      () => undefined,
    );
    const after = recordsOfGrant();
    expect(
      after.map((r) => r.event.action),
      'a record says the one-shot grant was spent and nothing was executed',
    ).to.not.deep.equal([]);
  });

  it('a policy change while the grant is marked Used: no execution is claimed for a statement that was refused', async () => {
    const c = await s.connect();
    const pending = c.query("DELETE FROM payroll.salaries WHERE employee = 'nobody-2'").catch((e: Error) => e);
    const name = await firstApprovalName(broker);
    await broker.settle(name, 'Approved');
    while (!broker.marking) await new Promise((r) => setTimeout(r, 10));
    // An incident-time freeze lands while the operator records the grant Used.
    const p = structuredClone(base);
    p.spec.rules = [
      { name: 'payroll-frozen', when: { sql: { tables: ['payroll.*'] } }, action: 'Deny' },
      ...p.spec.rules!,
    ];
    s.proxy.updatePolicy(p);
    broker.marking();
    const e = await pending;
    await c.end();
    expect(e, 'the DELETE is refused under the policy in force').to.be.instanceOf(Error);
    const used = records().filter(
      (r) => r.event.action === 'approval.grant-used' && r.detail?.approvalRequest === name,
    );
    expect(used, 'no "executed under ApprovalRequest" record for a refused statement').to.deep.equal([]);
  });
});
