/**
 * Issue #14, idle memory: a sidecar whose policy has only PostgreSQL targets does not load the HTTP and
 * MCP adapters (the MCP SDK, zod and hono alone are ~20 MiB of RSS). Checked in a fresh process, which
 * logs every package the proxy's entry module resolves.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';

// The hooks run on their own thread, whose process.stderr is relayed through the main thread and may lose
// its last lines when the process exits; a synchronous write to fd 2 cannot.
const LOG_PACKAGES = `import { writeSync } from 'node:fs';
export async function resolve(spec, ctx, next) {
  const r = await next(spec, ctx);
  const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(r.url);
  if (m) writeSync(2, 'package ' + m[1] + '\\n');
  return r;
}`;

describe('perf (issue #14): modules loaded by the proxy', function () {
  this.timeout(60_000);

  it('importing the proxy loads no HTTP or MCP adapter dependency (they load with a target of theirs)', () => {
    const hooks = `data:text/javascript,${encodeURIComponent(LOG_PACKAGES)}`;
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { register } from 'node:module'; register(${JSON.stringify(hooks)}); await import('./proxy/main.ts');`,
      ],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).to.equal(0);
    const loaded = new Set([...r.stderr.matchAll(/^package (\S+)$/gm)].map((m) => m[1]));
    expect(loaded, 'the hook sees the proxy load its parser').to.include('libpg-query');
    for (const heavy of ['@modelcontextprotocol/sdk', 'zod', 'hono', '@hono/node-server', 'eventsource'])
      expect(loaded, heavy).to.not.include(heavy);
  });
});
