/**
 * Red-team reproduction (review10), class 5 (column rules follow the data): the planner statistics view
 * pg_stats (histogram_bounds, most_common_vals) holds sample VALUES of every analyzed column, readable by
 * the table's owner/readers. Any production table that autovacuum has analyzed exposes its ruled columns.
 * Here the agent makes autovacuum analyze `customers` by inserting 100 filler rows (allowed: it reads no
 * ruled column), waits for autovacuum (naptime 60 s), then reads `notes` (column rule: redact) in clear.
 * The test asserts the secure behaviour, so it FAILS on the reviewed code (takes ~1-2 minutes).
 * Run: npx mocha --timeout 300000 review/pg-stats-leak.test.ts
 */
import { expect } from 'chai';
import type pg from 'pg';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';

const NOTES = 'prefers invoices by mail';

describe('review10: pg_stats carries ruled column values', function () {
  let s: LocalStack;
  let c: pg.Client;
  before(async () => {
    s = await startLocalStack({ editPolicy: (p) => p.spec.masking!.columns!.push({ name: 'notes', strategy: 'redact' }) });
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
    const direct = await d.query("SELECT coalesce(most_common_vals::text, '') || ' ' || coalesce(histogram_bounds::text, '') AS t FROM pg_stats WHERE tablename = 'customers' AND attname = 'notes'");
    await d.end();
    expect(direct.rows[0].t).to.contain(NOTES); // the statistics do hold the value
    const text = await c.query("SELECT histogram_bounds::text AS h, most_common_vals::text AS m FROM pg_stats WHERE tablename = 'customers' AND attname = 'notes'")
      .then((r) => JSON.stringify(r.rows), (e: Error) => e.message);
    console.log('      pg_stats notes:', text);
    expect(text).to.not.contain(NOTES);
  });
});
