/**
 * Review of HTTP targets (issue #12) against Prometheus (Debian package): Go's FormValue reads a
 * parameter from an urlencoded or multipart POST body before the URL query, so a policy that allows
 * POST queries (as Grafana sends them) must decide the body's parameters too. Also the admin API by
 * other spellings, and a Deny on a query parameter dodged by repeating it.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import { freePort, run, waitHttp } from '../support/http-tools.js';

describe('rev12: Prometheus, parameters in POST bodies', function () {
  this.timeout(90_000);
  let prom: ChildProcess;
  let promPort: number;
  let s: HttpStack;
  let token: string;

  before(async function () {
    if ((await run('prometheus', ['--version'])).code !== 0)
      throw new Error('prometheus is not installed (scripts/test-prereqs.sh installs the Debian package)');
    const dir = mkdtempSync(join(tmpdir(), 'rev12-prometheus-'));
    promPort = await freePort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['127.0.0.1:${promPort}']\n`,
    );
    prom = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--web.enable-admin-api',
      ],
      { stdio: 'ignore' },
    );
    await waitHttp(`http://127.0.0.1:${promPort}/-/ready`, 60_000);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = (await (
        await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=go_memstats_alloc_bytes`)
      ).json()) as { data: { result: unknown[] } };
      if (r.data.result.length) break;
      if (Date.now() > deadline) throw new Error('prometheus never scraped itself');
      await new Promise((res) => setTimeout(res, 300));
    }
    s = await startHttpStack({
      targets: [
        { name: 'metrics', protocol: 'http', listen: '127.0.0.1:1', upstream: { url: `http://127.0.0.1:${promPort}` } },
      ],
      rules: [
        { name: 'no-admin', when: { http: { paths: ['/api/v1/admin/**'] } }, action: 'Deny' },
        {
          name: 'no-go-internals',
          when: { http: { paths: ['/api/v1/query'], cel: 'request.query.query.exists(q, q.contains("go_memstats"))' } },
          action: 'Deny',
        },
        {
          name: 'no-build-info',
          when: { http: { paths: ['/api/v1/query'], query: [{ name: 'query', pattern: '*build_info*' }] } },
          action: 'Deny',
        },
        { name: 'queries', when: { http: { methods: ['GET', 'POST'], paths: ['/api/v1/query'] } }, action: 'Allow' },
        {
          name: 'no-flags',
          when: {
            http: { cel: 'request.path == "/api/v1/status/flags" || request.path.startsWith("/api/v1/status/flags/")' },
          },
          action: 'Deny',
        },
        { name: 'status', when: { http: { methods: ['GET'], paths: ['/api/v1/status/**'] } }, action: 'Allow' },
      ],
    });
    token = await s.token('agent-sre');
  });

  after(async () => {
    await s?.stop();
    prom?.kill();
  });

  const post = (body: string | FormData, contentType?: string, query = ''): Promise<Response> =>
    fetch(`${s.url('metrics')}/api/v1/query${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, ...(contentType ? { 'content-type': contentType } : {}) },
      body,
    });

  it('an urlencoded POST body carries the PromQL Prometheus runs: the Deny rules see it (CEL and a query condition)', async () => {
    // Directly, Prometheus answers this query with data: the body is what it reads.
    const direct = (await (
      await fetch(`http://127.0.0.1:${promPort}/api/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'query=go_memstats_alloc_bytes',
      })
    ).json()) as { data: { result: unknown[] } };
    expect(direct.data.result.length).to.be.greaterThan(0);
    const viaCel = await post('query=go_memstats_alloc_bytes', 'application/x-www-form-urlencoded');
    expect(viaCel.status).to.equal(403);
    expect(((await viaCel.json()) as { rule: string }).rule).to.equal('no-go-internals');
    const viaQuery = await post(
      'query=prometheus_build_info',
      'application/x-www-form-urlencoded; charset=UTF-8',
      '?query=up',
    );
    expect(viaQuery.status).to.equal(403);
    expect(((await viaQuery.json()) as { rule: string }).rule).to.equal('no-build-info');
    const fine = await post('query=up', 'application/x-www-form-urlencoded');
    expect(fine.status).to.equal(200);
    expect(((await fine.json()) as { status: string }).status).to.equal('success');
  });

  it('a multipart body (also read by FormValue) is not decided as if it had no parameters', async () => {
    const form = new FormData();
    form.set('query', 'go_memstats_alloc_bytes');
    const r = await fetch(`${s.url('metrics')}/api/v1/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    expect(r.status).to.equal(403);
  });

  it('repeating the parameter (Go reads the first) or spelling the admin path otherwise does not pass', async () => {
    const rep = await fetch(`${s.url('metrics')}/api/v1/query?query=go_memstats_alloc_bytes&query=up`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(rep.status).to.equal(403);
    for (const p of [
      '/api/v1/ADMIN/tsdb/snapshot',
      '/api/v1/admin/tsdb/snapshot/',
      '/api/v1/%61dmin/tsdb/snapshot',
      '/api/v1/admin%2Ftsdb/snapshot',
      '/api/v1/./admin/tsdb/snapshot',
    ]) {
      const r = await fetch(`${s.url('metrics')}${p}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        redirect: 'manual',
      });
      expect([400, 403], p).to.include(r.status);
    }
  });

  it('CEL sees the path as the API routes it: a Deny on request.path is not dodged by percent-encoding (Go decodes %66 to f)', async () => {
    // Directly, Prometheus serves the encoded spelling as the flags page.
    expect((await fetch(`http://127.0.0.1:${promPort}/api/v1/status/%66lags`)).status).to.equal(200);
    for (const p of ['/api/v1/status/flags', '/api/v1/status/%66lags', '/api/v1/status/fl%61gs/']) {
      const r = await fetch(`${s.url('metrics')}${p}`, { headers: { authorization: `Bearer ${token}` } });
      expect(r.status, p).to.equal(403);
      expect(((await r.json()) as { rule: string }).rule, p).to.equal('no-flags');
    }
    expect(
      (await fetch(`${s.url('metrics')}/api/v1/status/buildinfo`, { headers: { authorization: `Bearer ${token}` } }))
        .status,
    ).to.equal(200);
  });
});
