/**
 * Issue #14, memory: what the sidecar keeps alive is bounded by bytes, not by counts that a hostile
 * agent can fill with large values.
 */
import { expect } from 'chai';
import { Worker } from 'node:worker_threads';
import { cachedEntryBytes, StatementClassifier } from '../../proxy/sql/classifier.js';
import { SqlParser } from '../../proxy/sql/parser.js';
import { nextEvent } from '../support/eventually.js';
import { fullGc } from '../support/heap.js';

const heapUsed = (): number => {
  fullGc();
  fullGc();
  return process.memoryUsage().heapUsed;
};
const MiB = 1024 * 1024;

describe('perf (issue #14): memory bounds', function () {
  this.timeout(120_000);
  let parser: SqlParser;
  before(async () => {
    parser = SqlParser.create();
    await parser.load();
  });
  after(() => parser.close());

  it('the shape cache keeps at most its byte budget alive when short texts have huge shapes', () => {
    // ~4 KB of text, ~45 KB of shapes: 800 function calls. Each text sent twice, so each is cached (a
    // string literal: texts that differ in an integer literal would share one template entry).
    const text = (i: number): string => `SELECT '${i}', ${Array.from({ length: 800 }, () => 'f(a)').join(',')}`;
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
      // String literals: texts that differ in an integer literal would share one template entry.
      (i: number) => `SELECT abalance FROM pgbench_accounts WHERE aid = '${i}'`,
      (i: number) => `SELECT '${i}' FROM ${Array.from({ length: 1000 }, () => 'a').join(',')}`,
      (i: number) => `SELECT '${i}', ${Array.from({ length: 200 }, (_, k) => `f${k}(x.c${k}, 'é')`).join(',')}`,
    ];
    // Fill one cache as the measured one is filled, with other texts, and drop it: what the first use of
    // this code allocates once (compiled code, the parser's buffers) is not the cache's.
    const fill = (cache: StatementClassifier, text: (i: number) => string, from: number, n: number) => {
      let estimate = 0;
      for (let i = from; i < from + n; i++) {
        cache.shapes(text(i));
        const r = cache.shapes(text(i));
        if (r instanceof Promise || !r.ok) throw new Error('not parsed');
        estimate += cachedEntryBytes(text(i), r.shapes);
      }
      return estimate;
    };
    const newCache = () => new StatementClassifier(parser, { entries: 1000, maxBytes: 1024 * MiB });
    for (const text of texts) fill(newCache(), text, 1_000_000, 400);
    for (const text of texts) {
      expect(text(0).length, 'short enough to be cached').to.be.below(4096);
      // The cache's own fixed structures (sized by its entry count) are not any entry's.
      const cache = newCache();
      const h0 = heapUsed();
      const estimate = fill(cache, text, 0, 400);
      const real = heapUsed() - h0;
      cache.shapes(text(0));
      expect(cache.hits, 'the texts were cached').to.equal(1);
      expect(estimate, text(0).slice(0, 40)).to.be.at.least(real);
    }
  });

  it('the parse worker a large statement started is closed once idle, with the memory it grew', async () => {
    // This parser's own worker thread, not the process's thread count: workers of other parsers (other
    // test files') start and end meanwhile.
    const workerOf = (p: SqlParser): Worker | undefined =>
      (p as unknown as { worker?: { worker: Worker } }).worker?.worker;
    const own = SqlParser.create({ workerIdleMs: 200 });
    try {
      const large = `SELECT ${Array.from({ length: 3000 }, (_, i) => `f(${i})`).join(', ')}`;
      const r = await own.parse(large);
      expect(r.ok).to.equal(true);
      const worker = workerOf(own);
      expect(worker, 'the worker runs').to.be.instanceOf(Worker);
      await nextEvent(worker!, 'exit', 'the idle worker to be closed');
      expect(workerOf(own), 'the worker was closed').to.equal(undefined);
      // A later large statement starts a fresh one.
      expect((await own.parse(`${large}, 1`)).ok).to.equal(true);
    } finally {
      await own.close();
    }
  });
});
