/**
 * Review 14b: "an instance that failed fatally is dropped at once ... none runs on the old one" holds per
 * SqlParser only. The instance lives in libpg-query's module (require.cache), not in the SqlParser: two
 * SqlParser objects in one process (two GuardProxy instances, explainSql beside a proxy, the test
 * process) share it. When A traps, A drops its reference and, only at its next load, the cache entry;
 *  - B, loaded before, keeps parsing on the trapped instance until it traps on B itself;
 *  - C, loading for the first time (generation 0: no cache delete) before A's next statement, is handed
 *    the trapped instance from the cache.
 * In a child process (fresh module cache); the trap is simulated as in review14-fatal-fresh-instance.
 * Fails at 3fa8e0b. Suggested fix: one process-wide instance (module-level inline/loading/generation)
 * so a trap drops it for every SqlParser, or a fresh evaluation for every load.
 */
import { expect } from 'chai';
import { runParserChild } from '../support/parser-child.js';

const CHILD = `
const { SqlParser } = await import(process.env.PARSER_URL);
const a = SqlParser.create();
const b = SqlParser.create();
await a.load();
await b.load();
const trapped = a.inline;
const sharedBefore = b.inline === trapped;
// A's instance traps (as a WASM stack overflow would).
a.inline = { loadModule: () => trapped.loadModule(), parseSync: () => { throw new WebAssembly.RuntimeError('unreachable'); } };
const refused = a.parse('SELECT 1');
const c = SqlParser.create();
await c.load();
const result = {
  sharedBefore,
  aRefused: refused.ok === false,
  bOnTrapped: b.inline === trapped,
  cOnTrapped: c.inline === trapped,
};
console.log('RESULT ' + JSON.stringify(result));
await Promise.all([a.close(), b.close(), c.close()]);
`;

describe('review14b: a trapped instance is not used by another SqlParser in the process', () => {
  it('after A traps, neither B (loaded before) nor C (loaded after) parses on the trapped instance', function () {
    this.timeout(60_000);
    const r = runParserChild<{ sharedBefore: boolean; aRefused: boolean; bOnTrapped: boolean; cOnTrapped: boolean }>(
      CHILD,
    ).result;
    expect(r.aRefused).to.equal(true);
    expect(
      { bOnTrapped: r.bOnTrapped, cOnTrapped: r.cOnTrapped },
      `shared before the trap: ${r.sharedBefore}`,
    ).to.deep.equal({
      bOnTrapped: false,
      cOnTrapped: false,
    });
  });
});
