/**
 * Issue #14: the parser's WASM instance stays on V8's baseline compiler, so parsing thousands of
 * statements does not trigger the optimizing compiler's memory peak (hundreds of MiB) in the sidecar.
 * Measured in a child process by its peak RSS (VmHWM), as a growth between 1000 and 40 000 parses.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';

const CHILD = `
import { readFileSync } from 'node:fs';
const { SqlParser } = await import(process.env.PARSER_URL);
const hwm = () => Number(/VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
const p = SqlParser.create();
await p.load();
const q = (i) => \`SELECT abalance, x\${i % 50} FROM pgbench_accounts a JOIN t\${i % 7} USING (id) WHERE aid = \${i} AND b IN (1, 2, 3)\`;
for (let i = 0; i < 1000; i++) p.parse(q(i));
const before = hwm();
for (let i = 1000; i < 40000; i++) p.parse(q(i));
await new Promise((r) => setTimeout(r, 1500));
console.log(JSON.stringify({ growth: hwm() - before }));
`;

describe('issue #14: parser memory', () => {
  it('40 000 parses raise the peak RSS by less than 25 MiB (no optimizing recompile of the WASM parser)', function () {
    this.timeout(120_000);
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
      env: { ...process.env, PARSER_URL: new URL('../../proxy/sql/parser.ts', import.meta.url).href },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).to.equal(0);
    const { growth } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { growth: number };
    expect(growth, `peak RSS grew by ${growth.toFixed(1)} MiB`).to.be.below(25);
  });
});
