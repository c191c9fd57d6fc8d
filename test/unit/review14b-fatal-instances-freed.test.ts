/**
 * Review 14b: "a fresh instance after a fatal failure" is a new evaluation of libpg-query's wasm/index.cjs
 * through a require made once per process by createRequire(import.meta.url). That require belongs to one
 * pseudo-parent Module, and Node records every module it loads in that parent's `children` array (the
 * cache entry is deleted, the child is not): every dropped instance — its exports, the closure holding
 * its Emscripten Module, its WASM memory and compiled code — stays reachable for the life of the process.
 * Measured here (node 20): 0 of 20 dropped instances collected; ~2 MiB RSS each after one ~8 KiB parse
 * (79 MiB for 40). Each fatal failure leaks one instance without bound.
 *
 * In a child process (needs --expose-gc and a fresh module cache). The trap is simulated as in
 * review14-fatal-fresh-instance.test.ts. The first instance may stay (its index.cjs is the recorded parent
 * of the cached libpg-query.js and @pgsql/types modules), so N-1 must be collected.
 * Fails at 3fa8e0b. A fix that passes: a fresh createRequire(import.meta.url) per load (its pseudo-parent
 * is dropped with the call), or removing the old module from its parent's children.
 */
import { expect } from 'chai';
import { runParserChild } from '../support/parser-child.js';

const CHILD = `
const { SqlParser } = await import(process.env.PARSER_URL);
const p = SqlParser.create();
await p.load();
let collected = 0;
const reg = new FinalizationRegistry(() => collected++);
const N = 12;
for (let i = 0; i < N; i++) {
  const old = p.inline;
  reg.register(old, i);
  p.inline = { loadModule: () => old.loadModule(), parseSync: () => { throw new WebAssembly.RuntimeError('unreachable'); } };
  const refused = p.parse('SELECT 1');
  if (refused.ok) throw new Error('not refused');
  const next = await p.parse('SELECT 2');
  if (!next.ok) throw new Error('the fresh instance failed: ' + next.error);
}
for (let i = 0; i < 6; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 50)); }
console.log('RESULT ' + JSON.stringify({ dropped: N, collected }));
await p.close();
`;

describe('review14b: an instance dropped after a fatal failure is freed', () => {
  it('the instances dropped by fatal failures are garbage-collected (not kept by the require that loaded them)', function () {
    this.timeout(120_000);
    const res = runParserChild<{ dropped: number; collected: number }>(CHILD, { nodeArgs: ['--expose-gc'] }).result;
    expect(res.collected, `${res.collected} of ${res.dropped} dropped instances collected`).to.be.at.least(
      res.dropped - 1,
    );
  });
});
