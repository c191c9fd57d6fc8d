/**
 * Red-team reproduction (review10), class 7: maxRowsAffected is meant to hold "whatever a statement's text
 * says", but the check that refuses writable CTEs (runtime-caps.ts nestedWrite) is a text scan that exempts
 * an INSERT/UPDATE/DELETE/MERGE preceded by the word `do` or `then` (meant for ON CONFLICT DO UPDATE and
 * MERGE ... THEN). A line comment `-- do` before each DELETE satisfies it; the command tag then counts only
 * the outer DELETE (0 rows) while the CTE deletes every row.
 * The test asserts the secure behaviour, so it FAILS on the reviewed code.
 * Run: npx mocha test/integration/review-caps-writable-cte.test.ts
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';

describe('review10: maxRowsAffected bypassed by a writable CTE behind `-- do` comments', function () {
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => {
        (p.spec as any).runtimeLimits = { maxRowsAffected: 2 };
      },
    });
    const d = await s.direct();
    await d.query('INSERT INTO orders (customer_id, amount_cents) SELECT 1, g FROM generate_series(1, 10) g');
    await d.end();
  });
  after(async () => s?.stop());

  it('the plain writable CTE is refused (sanity), the commented one deletes 14 rows', async () => {
    const c = await s.connect();
    const plain = await c
      .query('WITH d AS (DELETE FROM orders WHERE id > 0 RETURNING 1) DELETE FROM orders WHERE id = -1')
      .catch((e) => e);
    expect(plain.message).to.match(/limits-max-rows-affected/);
    const r = await c
      .query('WITH d AS (-- do\nDELETE FROM orders WHERE id > 0 RETURNING 1) -- do\nDELETE FROM orders WHERE id = -1')
      .catch((e) => e);
    console.log('      ', r.command ?? '', r.rowCount ?? '', r.message ?? '');
    await c.end();
    const d = await s.direct();
    const left = (await d.query('SELECT count(*)::int n FROM orders')).rows[0].n;
    await d.end();
    console.log('       orders left:', left);
    expect(14 - left).to.be.at.most(2); // FAILS: every order deleted under tag "DELETE 0"
  });
});
