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
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
    const dir = mkdtempSync(join(tmpdir(), 'review14-'));
    const file = join(dir, 'child.mjs');
    writeFileSync(file, CHILD);
    const r = spawnSync(process.execPath, ['--import', 'tsx', file], {
      env: { ...process.env, PARSER_URL: new URL('../../proxy/sql/parser.ts', import.meta.url).href },
      encoding: 'utf8',
    });
    rmSync(dir, { recursive: true, force: true });
    expect(r.status, r.stderr).to.equal(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line, r.stdout + r.stderr).to.be.a('string');
    const res = JSON.parse(line!.slice(7)) as { first: boolean; second: boolean; third: boolean; error: string };
    expect(res.first, 'the statement whose load failed is refused').to.equal(false);
    expect({ second: res.second, third: res.third }, res.error).to.deep.equal({ second: true, third: true });
  });
});
