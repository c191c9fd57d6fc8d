/**
 * A large statement's parse deadline bounds the parse, not the parse worker's start: the first large
 * statement after the worker was closed (idle) or replaced starts a thread that loads libpg_query's WASM,
 * which on a loaded machine took longer than the deadline, and the statement was refused.
 * The start is made slow here without a timing: the main thread is kept busy past the deadline while the
 * worker starts, so the worker's "ready" and its answer wait behind the deadline's timer.
 */
import { expect } from 'chai';
import { SqlParser } from '../../proxy/sql/parser.js';

const busyFor = (ms: number): void => {
  const until = Date.now() + ms;
  while (Date.now() < until);
};
/** Out of any message being delivered (a port delivers what arrives meanwhile before the loop goes on). */
const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('parser: the worker start is not counted against a parse deadline', function () {
  this.timeout(60_000);

  it('the first large statement, its worker starting while the proxy was busy past the deadline, is parsed', async () => {
    const parser = SqlParser.create({ inlineLimit: 16, workerTimeoutMs: 1000 });
    try {
      await nextTurn();
      const parsed = parser.parse('SELECT a, b, c FROM t WHERE x = 1');
      expect(parsed).to.be.instanceOf(Promise);
      busyFor(1500);
      const r = await parsed;
      expect(r.ok, r.ok ? '' : r.error).to.equal(true);
    } finally {
      await parser.close();
    }
  });

  it('a parse that outlives its deadline in a started worker is still refused', async () => {
    const parser = SqlParser.create({ inlineLimit: 16, workerTimeoutMs: 1000 });
    try {
      expect((await parser.parse('SELECT a, b, c FROM t WHERE x = 1')).ok, 'the worker started').to.equal(true);
      await nextTurn();
      const parsed = parser.parse('SELECT a, b, c FROM t WHERE x = 2');
      busyFor(1500);
      const r = await parsed;
      expect(r.ok).to.equal(false);
      expect(r.ok ? '' : r.error).to.contain('parse exceeded 1000 ms');
    } finally {
      await parser.close();
    }
  });
});
