/**
 * Errors of work PostgreSQL defers to a transaction's end (a WITH HOLD cursor's query, run at COMMIT)
 * keep their SQLSTATE but not their text under column rules; once the transaction is over, errors of
 * statements that read nothing ruled are shown again.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';

describe('review2: errors deferred to COMMIT under column rules', function () {
  this.timeout(120_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => p.spec.masking!.columns!.push({ name: 'notes', strategy: 'redact' }),
    });
  });
  after(async () => s?.stop());

  it('COMMIT materialising a WITH HOLD cursor: SQLSTATE kept, text withheld; later errors shown again', async () => {
    const c = await s.connect();
    await c.query('BEGIN');
    await c.query('DECLARE c CURSOR WITH HOLD FOR SELECT notes::int FROM customers WHERE id = 2');
    const e = await c.query('COMMIT').catch((x) => x);
    expect(e.code).to.equal('22P02');
    expect(e.message).to.contain('withheld');
    const z = await c.query('SELECT 1/0').catch((x) => x);
    expect(z.code).to.equal('22012');
    expect(z.message).to.equal('division by zero');
    await c.end();
  });

  it('implicit transaction: the error of the last statement of the Query is withheld', async () => {
    const c = await s.connect();
    const e = await c
      .query('DECLARE c CURSOR WITH HOLD FOR SELECT notes::int FROM customers WHERE id = 2; SELECT 1')
      .catch((x) => x);
    expect(e.code).to.equal('22P02');
    expect(e.message).to.contain('withheld');
    await c.end();
  });
});
