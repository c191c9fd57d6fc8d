/**
 * The parser's WASM stays on the baseline compiler: with V8's tier-up, parsing a few thousand statements
 * grew the process by ~500 MB while TurboFan recompiled libpg_query in the background, and a sidecar
 * with a 384 Mi limit was OOM-killed on its first queries on a real node. Measured in a fresh process
 * (the flags are process-wide), as the growth of RSS while statements are parsed.
 */
import { execFileSync } from 'node:child_process';
import { expect } from 'chai';

const SCRIPT = `
const { SqlParser } = await import(${JSON.stringify(new URL('../../proxy/sql/parser.ts', import.meta.url).href)});
const rss = () => process.memoryUsage().rss;
const p = await SqlParser.create();
const qs = ["SELECT id, name FROM customers WHERE id = $1 ORDER BY id", "UPDATE customers SET tier = 'x' WHERE id IN (SELECT id FROM t WHERE a > 3)", "WITH a AS (SELECT 1) SELECT * FROM a JOIN b USING (id) WHERE x ILIKE '%y%'", "INSERT INTO t VALUES (1,'a'),(2,'b') ON CONFLICT (id) DO UPDATE SET v = excluded.v"];
const base = rss();
let peak = base;
for (let i = 0; i < 12000; i++) {
  p.parse(qs[i % 4] + ' -- ' + i);
  if (i % 250 === 0) { await new Promise((r) => setTimeout(r, 2)); peak = Math.max(peak, rss()); }
}
process.stdout.write(JSON.stringify({ growthMB: Math.round((peak - base) / 1048576) }));
process.exit(0);
`;

describe('parser memory: libpg_query WASM is not recompiled by TurboFan (sidecar memory limit)', function () {
  this.timeout(120_000);
  it('parsing 12000 statements grows the process by less than 100 MB', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], { encoding: 'utf8' });
    const { growthMB } = JSON.parse(out) as { growthMB: number };
    console.log(`      RSS growth while parsing: ${growthMB} MB`);
    expect(growthMB).to.be.below(100);
  });
});
