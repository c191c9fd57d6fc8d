/**
 * What the SQL parser costs a proxy process before and after its first statement, side by side: a process
 * that listens on a socket and has created its SqlParser (what a sidecar holds until its agent sends SQL),
 * and the same after one statement (the parser loaded). Alternating fresh processes, `BENCH_ROUNDS` each.
 *
 *   npx tsx test/bench/parser-load.ts
 *
 * In the image's environment (its NODE_OPTIONS and malloc settings), through tsx. Prints per process: RSS, anonymous and file RSS 2 s after it settled; for the parsed one, the time of
 * its first statement (the load included) and the median time of a short statement's parse after it.
 */
import { imageRuntimeEnv } from '../../scripts/image/rootfs.js';
import { runParserChild } from '../support/parser-child.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

const CHILD = `
import { createServer } from 'node:net';
const { SqlParser } = await import(process.env.PARSER_URL);
const { statusMiB } = await import(process.env.RSS_URL);
const field = (f) => statusMiB(process.pid, f);
const server = createServer().listen(0, '127.0.0.1');
const parser = SqlParser.create();
const out = {};
if (process.env.MODE === 'parsed') {
  const t0 = performance.now();
  const first = await parser.parse('SELECT id, amount_cents FROM orders WHERE customer_id = 1');
  out.firstMs = performance.now() - t0;
  if (!first.ok) throw new Error(first.error);
}
await new Promise((r) => setTimeout(r, 2000));
Object.assign(out, { rss: field('VmRSS'), anon: field('RssAnon'), file: field('RssFile') });
if (process.env.MODE === 'parsed') {
  // After the memory is read: these parses' garbage is not the parser's.
  const times = [];
  for (let i = 0; i < 2000; i++) {
    const t = performance.now();
    parser.parse('SELECT id, amount_cents FROM orders WHERE customer_id = ' + i);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  out.parseUs = times[times.length >> 1] * 1000;
}
console.log('RESULT ' + JSON.stringify(out));
server.close();
await parser.close();
`;

type Result = { rss: number; anon: number; file: number; firstMs?: number; parseUs?: number };

const run = (mode: 'created' | 'parsed'): Result =>
  runParserChild<Result>(CHILD, { env: { ...imageRuntimeEnv(), MODE: mode } }).result;

const f = (n: number): string => n.toFixed(1);
const results: Record<'created' | 'parsed', Result[]> = { created: [], parsed: [] };
for (let i = 1; i <= rounds; i++)
  for (const mode of ['created', 'parsed'] as const) {
    const r = run(mode);
    results[mode].push(r);
    console.log(
      `round ${i}, ${mode === 'created' ? 'parser created, no statement' : 'after one statement'}: ` +
        `RSS ${f(r.rss)} MiB (anonymous ${f(r.anon)}, file ${f(r.file)})` +
        (r.firstMs !== undefined ? `; first statement ${f(r.firstMs)} ms, then ${f(r.parseUs!)} µs per parse` : ''),
    );
  }
const mean = (xs: Result[], k: 'rss' | 'anon' | 'file'): number => xs.reduce((s, x) => s + x[k], 0) / xs.length;
console.log(
  `the loaded parser, mean over ${rounds} pairs: RSS +${f(mean(results.parsed, 'rss') - mean(results.created, 'rss'))} MiB ` +
    `(anonymous +${f(mean(results.parsed, 'anon') - mean(results.created, 'anon'))}, ` +
    `file +${f(mean(results.parsed, 'file') - mean(results.created, 'file'))})`,
);
