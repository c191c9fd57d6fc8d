/**
 * Red-team reproduction (review10), class 3 (names resolve as PostgreSQL resolves them / new tables):
 * the catalog is refreshed before a statement only when a relation NAME is unknown in every schema.
 * A migration that adds `payroll.orders` (a name `public.orders` already has) is not noticed until the
 * periodic reload (60 s): meanwhile `SET search_path = payroll, public; SELECT * FROM orders` reads and
 * writes the payroll table, and the `payroll.*` Deny rule does not match (candidates = [public.orders]).
 * The fix pins search_path (refused by every route, before any rule) and matches an unqualified name
 * through every schema of the role's default path, known to the snapshot or not.
 * Each `it` asserts the secure behaviour, so it FAILS on the reviewed code.
 * Run: npx mocha test/integration/review-names-shadow.test.ts
 */
import { expect } from 'chai';
import type pg from 'pg';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';

describe('review10: a new table shadowing a known name through search_path', function () {
  let s: LocalStack;
  let c: pg.Client;
  before(async () => {
    s = await startLocalStack();
    c = await s.connect();
    const r = await c.query('SELECT * FROM payroll.salaries').catch((e) => e);
    expect(r.message).to.match(/denied by rule "payroll"/); // sanity: the rule holds for the known table
    // A migration, out of band, after the proxy loaded its catalog.
    const d = await s.direct();
    await d.query('CREATE TABLE payroll.orders AS SELECT employee, amount_cents FROM payroll.salaries');
    await d.end();
  });
  after(async () => {
    await c?.end();
    await s?.stop();
  });

  it('reads payroll.orders through search_path', async () => {
    const r = await c.query('SET search_path = payroll, public; SELECT * FROM orders').catch((e) => e);
    const rows = Array.isArray(r) ? r[1].rows : [];
    console.log('      rows:', JSON.stringify(rows), r.message ?? '');
    // Observed before the fix: the row came back (values masked), the `payroll` Deny rule not applied.
    expect(rows).to.deep.equal([]);
    expect(String(r.message)).to.match(/denied by rule "pinned-search-path"/);
  });

  it('writes payroll.orders through search_path', async () => {
    const set = await c.query('SET search_path = payroll, public').catch((e) => e);
    expect(String(set.message)).to.match(/denied by rule "pinned-search-path"/);
    const r = await c.query('DELETE FROM orders WHERE amount_cents > 0').catch((e) => e);
    console.log('      delete:', r.command ?? '', r.rowCount ?? '', r.message ?? '');
    const d = await s.direct();
    const left = (await d.query('SELECT count(*)::int n FROM payroll.orders')).rows[0].n;
    await d.end();
    expect(left).to.equal(1); // FAILS: the payroll table was written
  });
});
