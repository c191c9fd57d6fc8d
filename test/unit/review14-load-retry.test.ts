/**
 * Review 14 (lazy parser load): "a load failure refuses the statement" — and the next statement must be
 * able to load the parser again. libpg-query starts its WASM instantiation when its module is evaluated
 * (a module-level initPromise); a dynamic import of the same URL returns that same module, so after one
 * failed instantiation (e.g. "Out of memory: Cannot allocate Wasm memory", transient in a memory-limited
 * sidecar) every later load() of the same generation awaits the same rejected promise: every statement is
 * refused until the process restarts, while the proxy reports itself ready.
 *
 * In a child process (the module cache must not hold libpg-query yet): WebAssembly.instantiate fails for
 * the first load only. Fails at 1812a21.
 */
import { expect } from 'chai';
import { runParserChild } from '../support/parser-child.js';

const CHILD = `
const { SqlParser } = await import(process.env.PARSER_URL);
const real = WebAssembly.instantiate;
let failing = true;
WebAssembly.instantiate = function (...args) {
  if (failing) return Promise.reject(new RangeError('WebAssembly.instantiate(): Out of memory: Cannot allocate Wasm memory for new instance'));
  return real.apply(this, args);
};
const p = SqlParser.create();
const first = await p.parse('SELECT 1');
failing = false;
const second = await p.parse('SELECT 2');
const third = await p.parse('SELECT 3');
console.log('RESULT ' + JSON.stringify({ first: first.ok, second: second.ok, third: third.ok, error: second.ok ? '' : second.error }));
await p.close();
`;

describe('review14: a parser load that failed once can succeed later', () => {
  it('refuses the statement whose load failed, then parses once the WASM can be instantiated', function () {
    this.timeout(60_000);
    const res = runParserChild<{ first: boolean; second: boolean; third: boolean; error: string }>(CHILD).result;
    expect(res.first, 'the statement whose load failed is refused').to.equal(false);
    expect({ second: res.second, third: res.third }, res.error).to.deep.equal({ second: true, third: true });
  });
});
