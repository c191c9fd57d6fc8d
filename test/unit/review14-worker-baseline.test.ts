/**
 * Review 14 (lazy parser load): the V8 flags that keep libpg_query's WASM on the baseline compiler
 * (parser.ts keepWasmOnBaselineCompiler) are set only when the in-process instance loads. Before the
 * change that was at start; now it is with the first short statement. When an agent's first statement is
 * longer than the inline limit (8 KiB), the parse worker compiles libpg_query before the flags are set,
 * and its instance tiers up to TurboFan: the transient peak of hundreds of MiB that OOM-killed the
 * sidecar (docs/performance.md, round 11), back again. Setting the flags later does not stop a module
 * that has already started tiering.
 *
 * Measured in a child process: TurboFan compiles of WASM functions (--trace-wasm-compilation-times) and
 * the growth of the peak RSS over 1200 large statements. Fails at 1812a21.
 */
import { expect } from 'chai';
import { runParserChild } from '../support/parser-child.js';

const CHILD = `
const { SqlParser } = await import(process.env.PARSER_URL);
const { statusMiB } = await import(process.env.RSS_URL);
const hwm = () => statusMiB(process.pid, 'VmHWM');
const p = SqlParser.create();
// > 8192 UTF-16 units: parsed in the worker.
const q = (i) => \`SELECT a FROM t WHERE aid = \${i} AND b IN (\${Array.from({ length: 1700 }, (_, k) => k + i).join(', ')})\`;
let r = await p.parse(q(0));
if (!r.ok) throw new Error(r.error);
r = await p.parse('SELECT 1'); // the in-process instance loads now (and sets the flags), as in a real session
if (!r.ok) throw new Error(r.error);
const before = hwm();
if (!(before > 0)) throw new Error('no VmHWM in /proc/self/status');
for (let i = 1; i < 1200; i++) {
  r = await p.parse(q(i));
  if (!r.ok) throw new Error(r.error);
}
await new Promise((res) => setTimeout(res, 1000));
console.log('RESULT ' + JSON.stringify({ growth: hwm() - before }));
await p.close();
`;

describe('review14: a first statement parsed in the worker keeps WASM on the baseline compiler', () => {
  it('no TurboFan compile of libpg_query and no tier-up memory peak when the first statement is > 8 KiB', function () {
    this.timeout(120_000);
    const { result, stdout } = runParserChild<{ growth: number }>(CHILD, {
      nodeArgs: ['--trace-wasm-compilation-times'],
    });
    const turbofan = stdout.split('\n').filter((l) => l.includes('using TurboFan')).length;
    const { growth } = result;
    expect(
      { turbofan, growthOver150MiB: growth > 150 },
      `${turbofan} WASM functions compiled by TurboFan; peak RSS grew by ${growth.toFixed(1)} MiB`,
    ).to.deep.equal({ turbofan: 0, growthOver150MiB: false });
  });
});
