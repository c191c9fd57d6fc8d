/**
 * Red-team reproduction (review10 4c): the planner statistics view pg_stats (histogram_bounds,
 * most_common_vals) holds sample VALUES of every analyzed column, readable by the table's readers. Any
 * production table that autovacuum has analyzed exposes its ruled columns. The test analyzes `customers`
 * directly (as autovacuum would), then reads `notes` (column rule: redact) statistics through the proxy.
 */
import { expect } from 'chai';
import type pg from 'pg';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';

const NOTES = 'prefers invoices by mail';

describe('review10: pg_stats carries ruled column values', function () {
  let s: LocalStack;
  let c: pg.Client;
  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => p.spec.masking!.columns!.push({ name: 'notes', strategy: 'redact' }),
    });
    c = await s.connect();
  });
  after(async () => {
    await c?.end();
    await s?.stop();
  });

  it('histogram_bounds / most_common_vals of customers.notes do not arrive in clear', async () => {
    const plain = await c.query('SELECT notes FROM customers WHERE id = 2');
    expect(plain.rows[0].notes).to.equal('[redacted:notes]'); // sanity
    // What production databases already have (autovacuum analyzes every table).
    const d = await s.direct();
    await d.query('ANALYZE customers');
    const direct = await d.query(
      "SELECT coalesce(most_common_vals::text, '') || ' ' || coalesce(histogram_bounds::text, '') AS t FROM pg_stats WHERE tablename = 'customers' AND attname = 'notes'",
    );
    await d.end();
    expect(direct.rows[0].t).to.contain(NOTES); // the statistics do hold the value
    const text = await c
      .query(
        "SELECT histogram_bounds::text AS h, most_common_vals::text AS m FROM pg_stats WHERE tablename = 'customers' AND attname = 'notes'",
      )
      .then(
        (r) => JSON.stringify(r.rows),
        (e: Error) => e.message,
      );
    console.log('      pg_stats notes:', text);
    expect(text).to.not.contain(NOTES);
  });
});
