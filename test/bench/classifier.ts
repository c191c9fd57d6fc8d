/**
 * `npx tsx test/bench/classifier.ts`: classifier throughput (statements/s) in one process, for
 * pgbench-style traffic: the same text repeated (cache hits), the same statement with a different
 * literal each time (pgbench -M simple), the same with a bigint id past 32 bits each time (a numeric
 * constant to PostgreSQL), and uncached full parses. No thresholds: ratios within one run
 * are what to compare, since the absolute numbers depend on the machine's load.
 */
import { StatementClassifier } from '../../proxy/sql/classifier.js';
import { SqlParser } from '../../proxy/sql/parser.js';

const N = Number(process.env.BENCH_N ?? 100_000);

function rate(label: string, fn: (i: number) => unknown): number {
  for (let i = 0; i < 2000; i++) fn(i);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fn(i);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const r = N / s;
  console.log(`${label.padEnd(44)} ${Math.round(r).toString().padStart(10)} statements/s`);
  return r;
}

const parser = SqlParser.create();
await parser.load();
const same = new StatementClassifier(parser);
const varying = new StatementClassifier(parser);
const text = (i: number): string => `SELECT abalance FROM pgbench_accounts WHERE aid = ${i};`;
const hit = rate('same text (cache hit)', () => same.shapes(text(42)));
const vary = rate('different literal each time (pgbench -S simple)', (i) => varying.shapes(text(i + 10_000_000)));
const bigints = new StatementClassifier(parser);
const big = rate('different bigint literal each time (> 2^31)', (i) => bigints.shapes(text(9_007_199_254_000 + i)));
const uncached = new StatementClassifier(parser, { maxTextLength: 0 });
const parse = rate('full parse, no cache', (i) => uncached.shapes(text(i)));
console.log(
  `ratios: varying/hit ${(vary / hit).toFixed(3)}, bigint/hit ${(big / hit).toFixed(3)}, parse/hit ${(parse / hit).toFixed(3)}, varying/parse ${(vary / parse).toFixed(3)}`,
);
await parser.close();
