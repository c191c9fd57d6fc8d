/**
 * Red team (review10b): planner statistics are refused only "while column rules exist". A `tables` Deny
 * rule (the example's `payroll.*`) is not a column rule: with no column rules in the policy, pg_stats
 * hands out sample values (most_common_vals, histogram_bounds) of every column of a denied table.
 * The statistics are gathered by autovacuum / a DBA's ANALYZE, not by the agent.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';

describe('review10b: pg_stats reveals a table the policy denies', function () {
  this.timeout(120_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => {
        p.spec.masking!.columns = [];
      },
    });
    const d = await s.direct();
    // Ordinary data and an ordinary maintenance run (autovacuum does the same once the table has grown).
    await d.query(
      `INSERT INTO payroll.salaries SELECT 'EMP-00' || (4300 + g % 7), 9000000 + (g % 5) * 1000000 FROM generate_series(1, 200) g`,
    );
    await d.query('ANALYZE payroll.salaries');
    await d.end();
  });
  after(async () => s?.stop());

  it('sanity: reading payroll.salaries is denied', async () => {
    const c = await s.connect();
    const e = await c.query('SELECT * FROM payroll.salaries').catch((x) => x);
    await c.end();
    expect(e.code).to.equal('42501');
  });

  it('pg_stats for payroll.salaries is refused too', async () => {
    const c = await s.connect();
    const r = await c
      .query(
        `SELECT attname, most_common_vals::text AS mcv FROM pg_stats WHERE schemaname = 'payroll' AND tablename = 'salaries'`,
      )
      .catch((x) => x);
    await c.end();
    console.log('      ', JSON.stringify(r.rows ?? r.message));
    expect(r.code).to.equal('42501'); // today: the sample values of the denied table
  });
});
