/**
 * Red team (review10b): PostgreSQL's attribute (functional) notation. `c.f` where `c` is a table or alias
 * and `f` is not one of its columns is the call `f(c)` on the whole row. The parse tree shows a two-field
 * ColumnRef, not a FuncCall and not a whole-row reference, so
 *  - the function is never classified (a volatile user function that writes is run as a plain read:
 *    denied writes reach the database, the `unknown` rule and maxRowsAffected never see it), and
 *  - lineage sees neither a ruled column nor a whole row: the row's ruled values come back in clear.
 * Each `it` asserts the secure behaviour, checked against the real database.
 */
import { expect } from 'chai';
import type pg from 'pg';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';

const NOTES = 'prefers invoices by mail';

describe('review10b: attribute notation c.f = f(c)', function () {
  this.timeout(120_000);
  let s: LocalStack;
  let c: pg.Client;
  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => {
        p.spec.masking!.columns!.push({ name: 'notes', strategy: 'redact' });
        // Make the example's ssn protection depend on its column rule alone (as for any non-detectable column).
        p.spec.masking!.detectors = ['creditCard', 'email'];
      },
    });
    // What a DBA has: a maintenance helper taking a row (created out of band, not by the agent).
    const d = await s.direct();
    await d.query(
      `CREATE FUNCTION purge_orders(customers) RETURNS int VOLATILE LANGUAGE sql AS 'DELETE FROM orders WHERE customer_id = $1.id; SELECT 1'`,
    );
    await d.query(
      `CREATE FUNCTION bump_salaries(customers) RETURNS int VOLATILE LANGUAGE sql AS 'UPDATE payroll.salaries SET amount_cents = amount_cents * 2; SELECT 1'`,
    );
    await d.end();
    c = await s.connect();
    await c.query('SELECT 1 FROM a_relation_nobody_created').catch(() => undefined); // make the proxy load its catalog afresh
  });
  after(async () => {
    await c?.end();
    await s?.stop();
  });

  it('sanity: the function-call form is refused (volatile user function = unknown, no-ddl)', async () => {
    const e = await c.query('SELECT purge_orders(c) FROM customers c WHERE id = 2').catch((x) => x);
    expect(e.code).to.equal('42501');
  });

  it('c.purge_orders runs a volatile writing function the policy would refuse', async () => {
    const d = await s.direct();
    const before = Number((await d.query('SELECT count(*) FROM orders WHERE customer_id = 2')).rows[0].count);
    const r = await c.query('SELECT c.purge_orders FROM customers c WHERE id = 2').catch((x) => x);
    const after = Number((await d.query('SELECT count(*) FROM orders WHERE customer_id = 2')).rows[0].count);
    await d.end();
    console.log(
      '      proxy answered:',
      r.code ?? JSON.stringify(r.rows),
      ` orders of customer 2: ${before} -> ${after}`,
    );
    expect(after).to.equal(before); // today: the DELETE ran (1 -> 0)
    expect(r.code).to.equal('42501');
  });

  it('c.bump_salaries writes payroll.salaries despite the payroll Deny rule', async () => {
    const d = await s.direct();
    const before = (await d.query('SELECT amount_cents FROM payroll.salaries')).rows[0].amount_cents;
    await c.query('SELECT c.bump_salaries FROM customers c WHERE id = 1').catch((x) => x);
    const after = (await d.query('SELECT amount_cents FROM payroll.salaries')).rows[0].amount_cents;
    await d.end();
    expect(after).to.equal(before); // today: doubled
  });

  it('(c).purge_orders, (ROW(…)::customers).purge_orders and c.purge_orders in WHERE run it too', async () => {
    const d = await s.direct();
    const count = async (): Promise<number> => Number((await d.query('SELECT count(*) FROM orders')).rows[0].count);
    const before = await count();
    await c.query('SELECT (c).purge_orders FROM customers c WHERE id = 3').catch((x) => x);
    await c.query("SELECT (ROW(4, 'a', 'b', 'c', 'd', 'e')::customers).purge_orders").catch((x) => x);
    await c.query('SELECT id FROM customers c WHERE c.purge_orders = 1 AND id = 1').catch((x) => x);
    const after = await count();
    await d.end();
    expect(after).to.equal(before);
  });

  for (const q of [
    'SELECT c.row_to_json FROM customers c WHERE id = 2',
    'SELECT c.to_json FROM customers c WHERE id = 2',
    'SELECT customers.to_jsonb FROM customers WHERE id = 2',
    'SELECT public.customers.to_jsonb FROM public.customers WHERE id = 2',
    'SELECT c.concat FROM customers c WHERE id = 2',
    'SELECT c.quote_literal FROM customers c WHERE id = 2',
  ]) {
    it(`ruled values (notes, ssn) in clear: ${q}`, async () => {
      const r = await c.query(q).catch((x) => x);
      const out = JSON.stringify(r.rows ?? r.message);
      console.log('      ', out);
      expect(out).to.not.contain(NOTES);
      expect(out).to.not.contain('234-56-7890');
    });
  }
});
