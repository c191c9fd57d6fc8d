/**
 * Red-team reproduction (review10), class 7 (runtime caps that do not depend on syntax): maxRowsAffected
 * reads the command tag, which counts only the target table's rows. An ON DELETE CASCADE foreign key (or
 * a trigger, or a rule) changes any number of other rows under a tag of "DELETE 1".
 * The test asserts the secure behaviour, so it FAILS on the reviewed code.
 * Run: npx mocha test/integration/review-caps-cascade.test.ts
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';

describe('review10: maxRowsAffected and cascading deletes', function () {
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => {
        (p.spec as any).runtimeLimits = { maxRowsAffected: 2 };
      },
    });
    const d = await s.direct();
    // An ordinary schema: invoices belong to a customer and go with it.
    await d.query(
      'CREATE TABLE invoices (id serial PRIMARY KEY, customer_id int REFERENCES customers(id) ON DELETE CASCADE, total int)',
    );
    await d.query('INSERT INTO invoices (customer_id, total) SELECT 4, g FROM generate_series(1, 50) g');
    await d.end();
  });
  after(async () => s?.stop());

  it('DELETE of one customer removes 50 invoices under maxRowsAffected 2', async () => {
    const c = await s.connect();
    await c.query('DELETE FROM orders WHERE customer_id = 4');
    const r = await c.query('DELETE FROM customers WHERE id = 4').catch((e) => e);
    console.log('      ', r.command ?? '', r.rowCount ?? '', r.message ?? '');
    await c.end();
    const d = await s.direct();
    const left = (await d.query('SELECT count(*)::int n FROM invoices')).rows[0].n;
    await d.end();
    expect(50 - left).to.be.at.most(2); // FAILS: 50 rows deleted
  });
});
