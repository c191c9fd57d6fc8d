/**
 * Issue #14, literal templates through the real proxy and PostgreSQL: texts that differ only in integer
 * literals share one cached classification across sessions, and what the proxy decides and records for a
 * text answered from a template is what it decides and records for a fresh parse — a write whose
 * literals make it unbounded is refused after its bounded twins warmed the cache, and the decision
 * record holds the whole statement text whatever its literals' lengths.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { pgError } from '../support/pg-error.js';

interface Rec {
  event: { action: string };
  decision?: string;
  rule?: { name?: string };
  db?: { query?: { text?: string } };
}

describe('literal templates through the proxy (real PostgreSQL, node-postgres simple protocol)', function () {
  this.timeout(60_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack();
  });
  after(async () => s?.stop());

  const decisions = (): Rec[] =>
    readFileSync(s.auditFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Rec)
      .filter((r) => r.event.action === 'statement.decision');
  const statuses = async (): Promise<string[]> => {
    const d = await s.direct();
    const r = await d.query('SELECT status FROM orders ORDER BY id');
    await d.end();
    return r.rows.map((x: { status: string }) => x.status);
  };

  it('bounded twins warm the template; the same text with literals that make it unbounded is refused, in another session', async () => {
    const before = await statuses();
    const a = await s.connect('agent-a');
    for (const [x, y] of [
      [2, 3],
      [4, 5],
      [6, 7],
    ])
      await a.query(`UPDATE orders SET status = 'gone' WHERE id = 1 OR ${x} = ${y}`);
    await a.end();
    const b = await s.connect('agent-b');
    const e = await pgError(b.query(`UPDATE orders SET status = 'gone' WHERE id = 1 OR 8 = 8`));
    await b.end();
    expect(e.message).to.contain('no-unbounded-writes');
    expect(await statuses(), 'only order 1 changed, by the bounded ones').to.deep.equal(['gone', ...before.slice(1)]);
    expect(decisions().at(-1)).to.deep.include({ decision: 'Deny', rule: { name: 'no-unbounded-writes' } });
  });

  it('a read answered from the template is decided and recorded as its own whole text, in another session', async () => {
    const a = await s.connect('agent-a');
    for (const id of [1, 2, 3]) await a.query(`SELECT id, status FROM orders WHERE id = ${id} LIMIT 5`);
    await a.end();
    const b = await s.connect('agent-b');
    const text = 'SELECT id, status FROM orders WHERE id = 000000004 LIMIT 123456789';
    const r = await b.query(text);
    expect(r.rows).to.deep.equal([{ id: 4, status: 'new' }]);
    await b.end();
    const recs = decisions();
    expect(recs.find((x) => x.db?.query?.text === text)?.decision, 'the whole text, allowed').to.equal('Allow');
  });

  it('bigint literals past 32 bits: bounded twins warm their template; the same text made unbounded is refused, in another session', async () => {
    const before = await statuses();
    const a = await s.connect('agent-a');
    for (const [x, y] of [
      ['3000000001', '3000000002'],
      ['90071992547409931', '4000000000'],
      ['2147483648', '9223372036854775807'],
    ])
      await a.query(`UPDATE orders SET status = 'gone' WHERE id = 2 OR ${x} = ${y}`);
    await a.end();
    const b = await s.connect('agent-b');
    const e = await pgError(b.query(`UPDATE orders SET status = 'gone' WHERE id = 2 OR 5000000000 = 5000000000`));
    await b.end();
    expect(e.message).to.contain('no-unbounded-writes');
    const after = await statuses();
    expect(after[1], 'order 2 changed, by the bounded ones').to.equal('gone');
    expect(
      after.filter((x, i) => i !== 1 && x !== before[i]),
      'no other order changed',
    ).to.deep.equal([]);
    expect(decisions().at(-1)).to.deep.include({ decision: 'Deny', rule: { name: 'no-unbounded-writes' } });
  });
});
