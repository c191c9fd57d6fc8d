/**
 * Issue #14, memory: what the sidecar keeps alive is bounded by bytes, not by counts that a hostile
 * agent can fill with large values.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { cachedEntryBytes, StatementClassifier } from '../../proxy/sql/classifier.js';
import { SqlParser } from '../../proxy/sql/parser.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapUsed = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const MiB = 1024 * 1024;

describe('perf (issue #14): memory bounds', function () {
  this.timeout(120_000);
  let parser: SqlParser;
  before(async () => {
    parser = await SqlParser.create();
  });
  after(() => parser.close());

  it('the shape cache keeps at most its byte budget alive when short texts have huge shapes', () => {
    // ~4 KB of text, ~45 KB of shapes: 800 function calls. Each text sent twice, so each is cached.
    const text = (i: number): string => `SELECT ${i}, ${Array.from({ length: 800 }, () => 'f(a)').join(',')}`;
    const budget = 4 * MiB;
    const cache = new StatementClassifier(parser, { maxBytes: budget });
    const h0 = heapUsed();
    for (let i = 0; i < 400; i++) for (let k = 0; k < 2; k++) cache.shapes(text(i));
    const grown = heapUsed() - h0;
    expect(grown, `heap kept by the cache: ${(grown / MiB).toFixed(1)} MiB`).to.be.below(1.5 * budget);
    // Still a cache: the most recent texts are hits.
    const hits = cache.hits;
    cache.shapes(text(399));
    expect(cache.hits).to.equal(hits + 1);
  });

  it('the size estimate of a cached entry is never below the heap it keeps', () => {
    const texts = [
      (i: number) => `SELECT abalance FROM pgbench_accounts WHERE aid = ${i}`,
      (i: number) => `SELECT ${i} FROM ${Array.from({ length: 1000 }, () => 'a').join(',')}`,
      (i: number) => `SELECT ${i}, ${Array.from({ length: 300 }, (_, k) => `f${k}(x.c${k}, 'é')`).join(',')}`,
    ];
    for (const text of texts) {
      const cache = new StatementClassifier(parser, { entries: 1000, maxBytes: 1024 * MiB });
      const n = 200;
      let estimate = 0;
      const h0 = heapUsed();
      for (let i = 0; i < n; i++) {
        cache.shapes(text(i));
        const r = cache.shapes(text(i));
        if (r instanceof Promise || !r.ok) throw new Error('not parsed');
        estimate += cachedEntryBytes(text(i), r.shapes);
      }
      const real = heapUsed() - h0;
      expect(estimate, text(0).slice(0, 40)).to.be.at.least(real);
    }
  });

  it('the parse worker a large statement started is closed once idle, with the memory it grew', async () => {
    const threads = (): number => Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
    const own = await SqlParser.create({ workerIdleMs: 200 });
    try {
      const before = threads();
      const large = `SELECT ${Array.from({ length: 3000 }, (_, i) => `f(${i})`).join(', ')}`;
      const r = await own.parse(large);
      expect(r.ok).to.equal(true);
      expect(threads(), 'the worker runs').to.be.above(before);
      for (let i = 0; i < 50 && threads() > before; i++) await new Promise((res) => setTimeout(res, 100));
      expect(threads(), 'the worker was closed').to.equal(before);
      // A later large statement starts a fresh one.
      expect((await own.parse(`${large}, 1`)).ok).to.equal(true);
    } finally {
      await own.close();
    }
  });
});
