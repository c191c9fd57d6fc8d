/**
 * The gate after an approval wait, through real PostgreSQL and real clients (node-postgres, psql): the
 * whole query is decided again under the policy in force when the approval arrives, and one
 * approval answers one rule.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { LocalStack } from '../../proxy/local/stack.js';
import type { AuditFields } from '../../proxy/audit/record.js';
import type { AgentAccessPolicy, RuleSpec } from '../../shared/contract/policy-types.js';
import {
  CountingBroker,
  startPayrollApprovalStack,
  withRule as policyWithRule,
} from '../support/sql-approval-fixtures.js';
import { auditFileRecords } from '../support/audit-records.js';

describe('gatefix: a query held for approval, through real PostgreSQL', function () {
  this.timeout(60_000);
  let s: LocalStack;
  let broker: CountingBroker;
  let base: AgentAccessPolicy;

  before(async () => {
    broker = new CountingBroker();
    s = await startPayrollApprovalStack(broker);
    base = structuredClone(s.policy);
  });
  after(async () => s?.stop());
  afterEach(() => {
    s.proxy.updatePolicy(structuredClone(base));
    broker.asks = [];
    broker.used = [];
  });

  const records = (): AuditFields[] => auditFileRecords(s.auditFile);
  const withRule = (rule: RuleSpec): AgentAccessPolicy => policyWithRule(base, rule);
  const orderExists = async (id: number): Promise<boolean> => {
    const d = await s.direct();
    const r = await d.query('SELECT 1 FROM orders WHERE id = $1', [id]);
    await d.end();
    return r.rowCount === 1;
  };

  it('node-postgres: a DELETE the policy denies by the time the SELECT is approved is refused with it, not run', async () => {
    const c = await s.connect();
    const pending = c.query('SELECT * FROM payroll.salaries; DELETE FROM orders WHERE id = 1').catch((e: Error) => e);
    while (broker.asks.length === 0) await new Promise((r) => setTimeout(r, 20));
    // While the query is held, an operator freezes writes to orders.
    s.proxy.updatePolicy(
      withRule({ name: 'orders-frozen', when: { sql: { tables: ['orders'], effects: ['write'] } }, action: 'Deny' }),
    );
    await broker.settle(`apr-${broker.asks[0]!.command.sha256.slice(0, 8)}`, 'Approved');
    const e = await pending;
    await c.end();
    expect(e).to.be.instanceOf(Error);
    expect((e as Error).message).to.contain('orders-frozen');
    expect(await orderExists(1), 'the DELETE never reached the database').to.equal(true);
    expect(broker.used, 'the grant is not spent on a refused query').to.deep.equal([]);
    const del = records().filter(
      (r) => r.event.action === 'statement.decision' && r.db?.query?.text?.startsWith('DELETE FROM orders'),
    );
    expect(del.at(-1)).to.deep.include({ decision: 'Deny', enforced: true, rule: { name: 'orders-frozen' } });
  });

  it('psql: statements needing approvals under two rules are refused at once, no approval is asked for', async () => {
    s.proxy.updatePolicy(
      withRule({
        name: 'orders-approval',
        when: { sql: { tables: ['orders'], effects: ['write'] } },
        action: 'RequireApproval',
      }),
    );
    const conn = `host=${s.host} port=${s.port} user=agent dbname=billing sslmode=disable`;
    const r = await promisify(execFile)(
      'psql',
      [conn, '-X', '-c', 'SELECT * FROM payroll.salaries; DELETE FROM orders WHERE id = 2'],
      { env: { ...process.env, PGPASSWORD: await s.token('psql-agent') } },
    ).catch((e: { stderr: string; code: number }) => e);
    expect(r.stderr).to.contain('orders-approval').and.contain('one approval answers one rule');
    expect(broker.asks, 'no ApprovalRequest that could never release the query').to.deep.equal([]);
    expect(await orderExists(2)).to.equal(true);
  });
});
