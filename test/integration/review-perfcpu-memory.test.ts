/**
 * Hostile review of the decision-path caches: memory. A prepared statement's decision record is now kept
 * with its classification (sql-request.ts keptRecord, record-fragment.ts staticPart) for as long as the
 * statement lives, including its JSON serialization. JSON escapes a control character as six characters
 * (`\u0001`), so an agent that prepares statements whose text is control characters inside a literal
 * made the proxy keep about 7.6 times the text per statement (its text, plus the escaped fragment),
 * where before it kept about 1.6 times the text. Prepared statements per session are not capped, so
 * this multiplied what an agent can make the proxy hold. Held: only texts up to 4096 characters keep
 * their record (sql-request.ts MAX_KEPT_TEXT).
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { fullGc } from '../support/heap.js';

function heapAfterGc(): number {
  for (let i = 0; i < 4; i++) fullGc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external; // a large text decoded from the wire may be an external string
}

describe('review-perfcpu: memory the decision-path caches keep per prepared statement', function () {
  this.timeout(60_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack();
  });
  after(async () => s?.stop());

  it('a prepared and executed statement keeps at most about twice its text in the proxy (1.6x before the caches), whatever the text contains', async () => {
    const TEXT_CHARS = (1 << 20) - 64; // under the default maxStatementBytes (1 MiB)
    const N = 12;
    // Control characters are valid in a UTF-8 string literal; JSON writes each as \u00XX.
    const text = `SELECT length('${'\u0001'.repeat(TEXT_CHARS)}') AS n`;
    const c = await s.connect('agent-1');
    try {
      await c.query('SELECT 1');
      const before = heapAfterGc();
      for (let i = 0; i < N; i++) {
        const r = await c.query({ name: `big${i}`, text, values: [] });
        expect(r.rows[0].n).to.equal(TEXT_CHARS);
      }
      const after = heapAfterGc();
      const perStatement = (after - before) / N;
      // Before the caches the proxy kept each prepared statement's text once (its ServerObjects entry).
      expect(
        perStatement / text.length,
        `retained ${(perStatement / 2 ** 20).toFixed(1)} MiB per prepared statement of a ${(text.length / 2 ** 20).toFixed(1)} MiB text`,
      ).to.be.below(2.5);
    } finally {
      await c.end();
    }
  });
});
