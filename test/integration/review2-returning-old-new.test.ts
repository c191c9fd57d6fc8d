/**
 * Red team (review10b): PostgreSQL 18's `RETURNING old` / `RETURNING new` (and their aliases from
 * `RETURNING WITH (OLD AS o, NEW AS n)`) are whole-row references to the target row. Lineage only knows
 * table names and FROM aliases as whole rows, so these name no ruled column and no whole row: the row's
 * ruled columns come back in clear from a no-op UPDATE / MERGE / upsert the policy allows.
 * Detectors are narrowed so that the `ssn` column rule of the example policy is the only protection of ssn.
 */
import { expect } from 'chai';
import type pg from 'pg';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';

const NOTES = 'prefers invoices by mail';
const SSN = '234-56-7890';

describe('review10b: RETURNING old/new leak ruled columns', function () {
  this.timeout(120_000);
  let s: LocalStack;
  let c: pg.Client;
  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => {
        p.spec.masking!.columns!.push({ name: 'notes', strategy: 'redact' });
        p.spec.masking!.detectors = ['creditCard', 'email'];
      },
    });
    c = await s.connect();
  });
  after(async () => {
    await c?.end();
    await s?.stop();
  });

  it('sanity: SELECT ssn, notes is masked by the column rules', async () => {
    const r = await c.query('SELECT ssn, notes FROM customers WHERE id = 2');
    expect(JSON.stringify(r.rows)).to.not.contain(NOTES).and.not.contain(SSN);
  });

  for (const q of [
    'UPDATE customers SET name = name WHERE id = 2 RETURNING old',
    'UPDATE customers SET name = name WHERE id = 2 RETURNING new',
    'UPDATE customers SET name = name WHERE id = 2 RETURNING WITH (OLD AS o) o',
    'UPDATE customers SET name = name WHERE id = 2 RETURNING to_json(new) AS j',
    'UPDATE customers SET name = name WHERE id = 2 RETURNING new::text AS t',
    'MERGE INTO customers c USING (SELECT 2 AS id) v ON c.id = v.id WHEN MATCHED THEN UPDATE SET name = c.name RETURNING old',
    "INSERT INTO customers (id, name, email) VALUES (2, 'x', 'y') ON CONFLICT (id) DO UPDATE SET name = customers.name RETURNING old",
  ]) {
    it(q, async () => {
      const r = await c.query(q).catch((x) => x);
      const out = JSON.stringify(r.rows ?? r.message);
      expect(out).to.not.contain(NOTES);
      expect(out).to.not.contain(SSN);
    });
  }
});
