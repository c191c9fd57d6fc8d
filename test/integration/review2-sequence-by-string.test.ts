/**
 * Red team (review10b): relations named inside string literals. nextval()/setval() take the sequence as
 * a regclass literal ('payroll.run_seq'); the `tables` rules never see it, so a sequence in the denied
 * `payroll` schema is advanced / reset (a write to a denied relation reaches the database).
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';

describe('review10b: sequences named by a string escape tables rules', function () {
  this.timeout(120_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack();
    const d = await s.direct();
    await d.query('CREATE SEQUENCE payroll.run_seq'); // e.g. payroll run numbers, owned by the payroll app
    await d.end();
  });
  after(async () => s?.stop());

  it('setval on payroll.run_seq is denied by the payroll.* rule', async () => {
    const c = await s.connect();
    const e = await c.query("SELECT setval('payroll.run_seq', 999)").catch((x) => x);
    const n = await c.query("SELECT nextval('payroll.run_seq')").catch((x) => x);
    await c.end();
    const d = await s.direct();
    const last = (await d.query('SELECT last_value, is_called FROM payroll.run_seq')).rows[0];
    await d.end();
    console.log('      payroll.run_seq now:', JSON.stringify(last));
    expect(e.code).to.equal('42501');
    expect(n.code).to.equal('42501');
    expect(last.is_called).to.equal(false); // today: last_value 1000
  });
});
