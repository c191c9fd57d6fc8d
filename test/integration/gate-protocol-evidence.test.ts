/**
 * Issue #12 remainders over a real HTTP target: HTTP requests are counted on their own metric (not as
 * SQL statements), scraped from the proxy's /metrics endpoint; the evidence report's decisions and
 * denials show an HTTP request as method, path template, path and the status the agent got.
 */
import { expect } from 'chai';
import http from 'node:http';
import type net from 'node:net';
import { buildEvidence } from '../../proxy/audit/evidence.js';
import { ProxyMetrics } from '../../proxy/observability/metrics.js';
import { startHealthServer } from '../../shared/kube/health-server.js';
import { eventually } from '../support/eventually.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';

describe('gate: HTTP requests on their own metric and in the evidence report', function () {
  this.timeout(60_000);
  let upstream: http.Server;
  let s: HttpStack;
  let health: Awaited<ReturnType<typeof startHealthServer>>;
  const metrics = new ProxyMetrics();

  before(async () => {
    upstream = http.createServer((req, res) => {
      req.resume();
      req.on('end', () =>
        req.url?.startsWith('/v1/missing')
          ? res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}')
          : res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
      );
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}`;
    s = await startHttpStack(
      {
        targets: [{ name: 'api', protocol: 'http', listen: '127.0.0.1:1', upstream: { url } }],
        rules: [
          { name: 'no-deletes', when: { http: { methods: ['DELETE'] } }, action: 'Deny' },
          { name: 'customers', when: { http: { paths: ['/v1/customers/{id}'] } }, action: 'Allow' },
          { name: 'missing', when: { http: { paths: ['/v1/missing'] } }, action: 'Allow' },
        ],
      },
      { proxyOptions: { metrics } },
    );
    health = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      metrics,
      health: { notReady: () => s.proxy.notReady() },
    } as never);
  });

  after(async () => {
    await health?.close();
    await s?.stop();
    await new Promise((r) => upstream?.close(r));
  });

  const send = async (method: string, path: string): Promise<number> => {
    const r = await fetch(`${s.url('api')}${path}`, {
      method,
      headers: { authorization: `Bearer ${await s.token()}` },
    });
    await r.arrayBuffer();
    return r.status;
  };

  it('counts HTTP requests on agentgate_proxy_http_requests_total by method and decision, none as statements', async () => {
    expect(await send('GET', '/v1/customers/42')).to.equal(200);
    expect(await send('GET', '/v1/customers/43')).to.equal(200);
    expect(await send('DELETE', '/v1/customers/42')).to.equal(403);
    expect(await send('PROPFIND', '/v1/customers/42')).to.equal(200);
    const m = await (await fetch(`http://127.0.0.1:${health.port}/metrics`)).text();
    expect(m).to.contain(
      'agentgate_proxy_http_requests_total{target="api",method="GET",decision="Allow",enforced="false"} 2',
    );
    expect(m).to.contain(
      'agentgate_proxy_http_requests_total{target="api",method="DELETE",decision="Deny",enforced="true"} 1',
    );
    // A method the proxy does not know is one label value, whatever the agent sends.
    expect(m).to.contain(
      'agentgate_proxy_http_requests_total{target="api",method="_other",decision="Allow",enforced="false"} 1',
    );
    expect(m).not.to.match(/agentgate_proxy_statements_total\{target="api"/);
  });

  it('the evidence report shows HTTP decisions and denials with method, path template, path and status', async () => {
    expect(await send('GET', '/v1/missing')).to.equal(404);
    // Completions are written a few ms after the response (deferred): wait for those the report shows.
    await eventually('the completions of both GETs', () =>
      ['/v1/customers/42', '/v1/missing'].every((path) =>
        s.records().some((r) => r.event.action === 'statement.completion' && r.http?.path === path),
      ),
    );
    const records = s.records();
    const ev = buildEvidence({
      records: records as never,
      verification: { ok: true, chains: [], problems: [], unseenStreams: [] },
      from: new Date(Date.parse(records[0]!['@timestamp']) - 1000),
      to: new Date(Date.now() + 1000),
      fromSource: 'test',
    } as never);
    const [header, ...rows] = ev.decisionsCsv.trim().split('\n');
    const cols = header!.split(',');
    for (const c of ['protocol', 'http_method', 'http_path_template', 'http_path', 'http_status', 'mcp_tool'])
      expect(cols, c).to.include(c);
    const cell = (row: string, name: string): string => JSON.parse(`[${row}]`)[cols.indexOf(name)] as string;
    const of = (method: string, path: string): string => {
      const row = rows.find((r) => cell(r, 'http_method') === method && cell(r, 'http_path') === path);
      expect(row, `${method} ${path}`).to.be.a('string');
      return row!;
    };
    const get = of('GET', '/v1/customers/42');
    expect(cell(get, 'protocol')).to.equal('http');
    expect(cell(get, 'http_path_template')).to.equal('/v1/customers/{id}');
    expect(cell(get, 'http_status')).to.equal('200');
    expect(cell(of('GET', '/v1/missing'), 'http_status')).to.equal('404');
    const del = of('DELETE', '/v1/customers/42');
    expect(cell(del, 'http_status')).to.equal('403');
    expect(cell(del, 'rule')).to.equal('no-deletes');
    expect(cell(del, 'mcp_tool')).to.equal('');
    // The report's table of denials: the request, not empty SQL columns.
    expect(ev.html).to.contain('DELETE /v1/customers/42, status 403');
  });
});
