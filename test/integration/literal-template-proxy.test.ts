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

  /**
   * `UPDATE orders ... WHERE id = <id> OR x = y` with bounded pairs warms the template in one session; the
   * same text with an equal pair is refused in another, and only order <id> changed.
   */
  async function twinsThenUnbounded(id: number, bounded: [string, string][], equal: string): Promise<void> {
    const before = await statuses();
    const text = (x: string, y: string): string => `UPDATE orders SET status = 'gone' WHERE id = ${id} OR ${x} = ${y}`;
    const a = await s.connect('agent-a');
    for (const [x, y] of bounded) await a.query(text(x, y));
    await a.end();
    const b = await s.connect('agent-b');
    const e = await pgError(b.query(text(equal, equal)));
    await b.end();
    expect(e.message).to.contain('no-unbounded-writes');
    const expected = before.map((x, i) => (i === id - 1 ? 'gone' : x));
    expect(await statuses(), `only order ${id} changed, by the bounded ones`).to.deep.equal(expected);
    expect(decisions().at(-1)).to.deep.include({ decision: 'Deny', rule: { name: 'no-unbounded-writes' } });
  }

  it('bounded twins warm the template; the same text with literals that make it unbounded is refused, in another session', async () =>
    twinsThenUnbounded(
      1,
      [
        ['2', '3'],
        ['4', '5'],
        ['6', '7'],
      ],
      '8',
    ));

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

  it('bigint literals past 32 bits: bounded twins warm their template; the same text made unbounded is refused, in another session', async () =>
    twinsThenUnbounded(
      2,
      [
        ['3000000001', '3000000002'],
        ['90071992547409931', '4000000000'],
        ['2147483648', '9223372036854775807'],
      ],
      '5000000000',
    ));
});
