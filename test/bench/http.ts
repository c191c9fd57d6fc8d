/**
 * `npm run bench:http`: requests per second straight to an HTTP API and through an agentgate HTTP
 * target (JWT verified per request, policy decided, audit chained to a file, session recordings), with
 * and without response masking, side by side; prints the ratio to direct. Two upstreams: json-server
 * (a real REST API) and a minimal node:http server (what the proxy itself costs). Uses autocannon when
 * it is installed, else a loop of fetch (undici) clients. No thresholds: numbers are printed.
 * BENCH_SECONDS and BENCH_CONNECTIONS tune the run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpStack } from '../support/http-stack.js';
import { freePort, waitHttp } from '../support/http-tools.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);

type Load = (url: string, headers: Record<string, string>) => Promise<number>;

async function loadGenerator(): Promise<{ name: string; run: Load }> {
  try {
    const mod = (await import('autocannon' as string)) as {
      default: (o: object) => Promise<{ requests: { average: number }; non2xx: number }>;
    };
    return {
      name: 'autocannon',
      run: async (url, headers) => {
        const r = await mod.default({ url, headers, connections: CONNECTIONS, duration: SECONDS });
        if (r.non2xx)
          throw new Error(
            `${url}: ${r.non2xx} responses were not 2xx: ${JSON.stringify((r as { statusCodeStats?: unknown }).statusCodeStats)}`,
          );
        return r.requests.average;
      },
    };
  } catch {
    return {
      name: `fetch (undici) loops, ${CONNECTIONS} concurrent`,
      run: async (url, headers) => {
        let n = 0;
        const end = Date.now() + SECONDS * 1000;
        await Promise.all(
          Array.from({ length: CONNECTIONS }, async () => {
            while (Date.now() < end) {
              const r = await fetch(url, { headers });
              await r.arrayBuffer();
              if (r.status !== 200) throw new Error(`${url}: ${r.status}`);
              n++;
            }
          }),
        );
        return n / SECONDS;
      },
    };
  }
}

async function main(): Promise<void> {
  const load = await loadGenerator();
  const dir = mkdtempSync(join(tmpdir(), 'bench-http-'));
  const customer = (i: number): object => ({
    id: i,
    name: `Customer ${i}`,
    email: `c${i}@example.com`,
    card_number: '4111 1111 1111 1111',
    address: { city: 'London', iban: 'GB82 WEST 1234 5698 7654 32' },
    orders: [{ id: i * 10, total: 12.5 }],
  });
  writeFileSync(
    join(dir, 'db.json'),
    JSON.stringify({ customers: Array.from({ length: 20 }, (_, i) => customer(i + 1)) }),
  );
  const jsPort = await freePort();
  const js = spawn(
    process.execPath,
    [
      new URL('../../node_modules/json-server/lib/cli/bin.js', import.meta.url).pathname,
      '--host',
      '127.0.0.1',
      '--port',
      String(jsPort),
      '--quiet',
      join(dir, 'db.json'),
    ],
    { stdio: 'ignore' },
  );
  const body = JSON.stringify(customer(1));
  const minimal = http.createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body),
  );
  await new Promise<void>((r) => minimal.listen(0, '127.0.0.1', () => r()));
  const minPort = (minimal.address() as net.AddressInfo).port;
  await waitHttp(`http://127.0.0.1:${jsPort}/customers/1`);
  const target = (name: string, port: number, listen: number): object => ({
    name,
    protocol: 'http',
    listen: `127.0.0.1:${listen}`,
    upstream: { url: `http://127.0.0.1:${port}` },
  });
  const allow = [
    { name: 'reads', when: { http: { methods: ['GET'], paths: ['/customers/{id}', '/c'] } }, action: 'Allow' as const },
  ];
  const plain = await startHttpStack({
    targets: [target('json', jsPort, 1), target('minimal', minPort, 2)],
    rules: allow,
  });
  const masked = await startHttpStack({
    targets: [target('json', jsPort, 1), target('minimal', minPort, 2)],
    rules: allow,
    masking: { detectors: ['email', 'creditCard', 'iban'], defaultStrategy: 'redact' },
  });
  const headers = { authorization: `Bearer ${await plain.token('bench', 600)}` };
  const headersMasked = { authorization: `Bearer ${await masked.token('bench', 600)}` };
  console.log(`load: ${load.name}; ${SECONDS} s per run; GET of one customer (${body.length} bytes of JSON)`);
  const rows: string[][] = [];
  try {
    for (const [name, port, path] of [
      ['json-server', jsPort, '/customers/1'],
      ['minimal node:http', minPort, '/c'],
    ] as const) {
      const direct = await load.run(`http://127.0.0.1:${port}${path}`, {});
      const through = await load.run(`${plain.url(name === 'json-server' ? 'json' : 'minimal')}${path}`, headers);
      const throughMasked = await load.run(
        `${masked.url(name === 'json-server' ? 'json' : 'minimal')}${path}`,
        headersMasked,
      );
      rows.push([
        name,
        direct.toFixed(0),
        `${through.toFixed(0)} (${(through / direct).toFixed(3)})`,
        `${throughMasked.toFixed(0)} (${(throughMasked / direct).toFixed(3)})`,
      ]);
    }
  } finally {
    await plain.stop();
    await masked.stop();
    js.kill();
    minimal.close();
  }
  console.log(
    '\n| upstream | direct req/s | agentgate req/s (ratio) | agentgate + masking req/s (ratio) |\n|---|---|---|---|',
  );
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
