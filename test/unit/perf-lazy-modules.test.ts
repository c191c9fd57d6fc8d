/**
 * Issue #14, idle memory: a sidecar whose policy has only PostgreSQL targets does not load the HTTP and
 * MCP adapters (the MCP SDK, zod and hono alone are ~20 MiB of RSS), nor Node's TLS modules (loaded
 * when a TLS connection or an HTTPS call needs them; docs/performance.md, round 7). Checked in a fresh
 * process, which logs every package and Node module the proxy's entry module resolves.
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

// In-thread hooks see require() as well as import, so also what prom-client's index requires. The
// modules Node loads for its own (an ES import of node:http reads its whole namespace, which loads tls,
// http2 and zlib) are in process.moduleLoadList.
const LOG_BUILTINS = `import { registerHooks } from 'node:module';
import { writeSync } from 'node:fs';
registerHooks({
  resolve(spec, ctx, next) {
    const r = next(spec, ctx);
    if (r.url.startsWith('node:')) writeSync(2, 'builtin ' + r.url.slice(5) + ' ' + ctx.parentURL + '\\n');
    return r;
  },
});
await import('./proxy/main.ts');
// What proxy/main.ts loads when the sidecar serves health and metrics, as it always does when injected,
// and with checkpoints (its dynamic import of the witnesses; review 7 found a static https import there
// went unseen).
await import('./proxy/observability/metrics.ts');
await import('./shared/kube/health-server.ts');
await import('./proxy/audit/witnesses.ts');
await import('./proxy/modes/services.ts');
for (const m of process.moduleLoadList) if (m.startsWith('NativeModule ')) writeSync(2, 'loaded ' + m.slice(13) + '\\n');`;

describe('perf (issue #14): modules loaded by the proxy', function () {
  this.timeout(60_000);

  it('importing the proxy and its cluster mode loads no HTTP or MCP adapter dependency (they load with a target of theirs), no Kubernetes client, no yaml', () => {
    const hooks = `data:text/javascript,${encodeURIComponent(LOG_PACKAGES)}`;
    // The sidecar's cluster mode with the operator: what proxy/modes/cluster.ts loads on that path.
    const clusterPath = [
      './proxy/modes/cluster.ts',
      './proxy/cluster/operator-feed.ts',
      './proxy/cluster/policy-source.ts',
      './proxy/approvals/kube-approvals.ts',
      './shared/contract/validate-policy.ts',
    ];
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { register } from 'node:module'; register(${JSON.stringify(hooks)}); await import('./proxy/main.ts');` +
          clusterPath.map((m) => ` await import('${m}');`).join(''),
      ],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).to.equal(0);
    const loaded = new Set([...r.stderr.matchAll(/^package (\S+)$/gm)].map((m) => m[1]));
    // The SQL parser is loaded by the first statement, not on import (test/e2e/idle-memory.test.ts).
    expect(loaded, 'the hook sees the proxy load its wire protocol').to.include('pg-protocol');
    // yaml reads a local-mode policy file (and the CRD where no generated validator exists), client-node is
    // for a cluster-mode proxy without the operator: a sidecar follows its policy through the operator.
    for (const heavy of [
      '@modelcontextprotocol/sdk',
      'zod',
      'hono',
      '@hono/node-server',
      'eventsource',
      'yaml',
      '@kubernetes/client-node',
      '@marcbachmann/cel-js',
    ])
      expect(loaded, heavy).to.not.include(heavy);
  });

  it('validating a policy without CEL loads no CEL engine; the first CEL expression loads it', () => {
    // In-thread hooks, which also see require() (cel.ts loads cel-js with a synchronous require).
    const script = `import { registerHooks } from 'node:module';
import { readFileSync, writeSync } from 'node:fs';
import { parse } from 'yaml';
registerHooks({ resolve(spec, ctx, next) { const r = next(spec, ctx); if (r.url.includes('/@marcbachmann/cel-js/')) writeSync(2, 'cel-js\\n'); return r; } });
const { validatePolicy } = await import('./shared/contract/validate-policy.ts');
validatePolicy(parse(readFileSync('examples/local/policy.yaml', 'utf8')));
writeSync(2, 'validated\\n');
const { celError } = await import('./shared/policy-language/cel.ts');
writeSync(2, 'error: ' + celError('request.method ==') + '\\n');`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).to.equal(0);
    const events = r.stderr.split('\n').filter((l) => l === 'validated' || l === 'cel-js' || l.startsWith('error: '));
    expect(events[0], r.stderr).to.equal('validated');
    expect(events[1], 'the first expression loads cel-js').to.equal('cel-js');
    expect(events.at(-1)).to.match(/^error: \S/);
  });

  it("importing the proxy loads none of Node's TLS modules (they load when used)", () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', LOG_BUILTINS], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).to.equal(0);
    const requests = [...r.stderr.matchAll(/^builtin (\S+) (\S+)$/gm)]
      .map(([, name, parent]) => ({ name: name!, parent: parent! }))
      // The TypeScript loader (tsx, esbuild) is not part of what the image runs.
      .filter((q) => !/node_modules\/(tsx|esbuild|get-tsconfig)\//.test(q.parent));
    expect(
      requests.map((q) => q.name),
      'the hook sees the proxy resolve Node modules',
    ).to.include('net');
    for (const heavy of ['tls', 'https', 'http2', 'zlib'])
      expect(
        requests.filter((q) => q.name === heavy),
        heavy,
      ).to.deep.equal([]);
    const loaded = [...r.stderr.matchAll(/^loaded (\S+)$/gm)].map(([, name]) => name);
    expect(loaded, 'Node lists what it loaded').to.include('net');
    for (const heavy of ['tls', 'https', 'http2', 'zlib']) expect(loaded, heavy).to.not.include(heavy);
  });
});
