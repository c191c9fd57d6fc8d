/**
 * HTTP targets against Prometheus' own HTTP API (Debian package `prometheus`), on 127.0.0.1 with a
 * temporary configuration that scrapes itself: rules on paths, methods and PromQL (CEL over the query
 * parameter), JSON field masks on its gzip-compressed results, text masking of /metrics.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import { freePort, run, waitHttp } from '../support/http-tools.js';

describe('HTTP targets: Prometheus HTTP API', function () {
  this.timeout(90_000);
  let prom: ChildProcess;
  let promPort: number;
  let s: HttpStack;
  let token: string;

  before(async function () {
    if ((await run('prometheus', ['--version'])).code !== 0)
      throw new Error('prometheus is not installed (scripts/test-prereqs.sh installs the Debian package)');
    const dir = mkdtempSync(join(tmpdir(), 'prometheus-'));
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
    // Wait for the first scrapes, so that queries have data.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=up`)).json()) as {
        data: { result: unknown[] };
      };
      if (r.data.result.length) break;
      if (Date.now() > deadline) throw new Error('prometheus never scraped itself');
      await new Promise((res) => setTimeout(res, 300));
    }
    s = await startHttpStack({
      targets: [
        {
          name: 'metrics',
          protocol: 'http',
          listen: '127.0.0.1:1',
          upstream: { url: `http://127.0.0.1:${promPort}` },
          maskFields: [{ path: '$.data.result[*].metric.instance', strategy: 'partial' }],
        },
      ],
      masking: {
        patterns: [{ name: 'loopback-endpoint', regex: `127\\.0\\.0\\.1:${promPort}` }],
        defaultStrategy: 'redact',
      },
      rules: [
        {
          name: 'no-admin',
          when: { http: { paths: ['/api/v1/admin/**'] } },
          action: 'Deny',
          message: 'the TSDB admin API is for people',
        },
        {
          name: 'no-go-internals',
          when: { http: { paths: ['/api/v1/query'], cel: 'request.query.query.exists(q, q.contains("go_memstats"))' } },
          action: 'Deny',
        },
        {
          name: 'instant-queries',
          when: { http: { methods: ['GET'], paths: ['/api/v1/query', '/api/v1/label/{name}/values'] } },
          action: 'Allow',
        },
        { name: 'scrape-endpoint', when: { http: { methods: ['GET'], paths: ['/metrics'] } }, action: 'Allow' },
      ],
    });
    token = await s.token('agent-sre');
  });

  after(async () => {
    await s?.stop();
    prom?.kill();
  });

  const curl = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    run('curl', ['-sS', '-H', `Authorization: Bearer ${token}`, ...args]);

  it('an allowed PromQL query: gzip from Prometheus, masked by JSON path, compressed again (curl --compressed)', async () => {
    const r = await curl(['--compressed', '-D', '-', `${s.url('metrics')}/api/v1/query?query=up`]);
    const [head, body] = r.stdout.split('\r\n\r\n');
    expect(head).to.match(/^HTTP\/1.1 200/);
    expect(head).to.match(/content-encoding: gzip/i);
    const j = JSON.parse(body!);
    expect(j.status).to.equal('success');
    const m = j.data.result[0].metric;
    expect(m.job).to.equal('self');
    expect(m.instance).to.match(/^\*+\.\*\.\*\.\*:\d{4}$|\*/);
    expect(m.instance).not.to.equal(`127.0.0.1:${promPort}`);
    const decisions = s.records().filter((x) => x.event.action === 'statement.decision');
    expect(decisions.at(-1)).to.deep.include({ decision: 'Allow', rule: { name: 'instant-queries' } });
    expect(decisions.at(-1)!.http).to.include({ method: 'GET', pathTemplate: '/api/v1/query' });
  });

  it('label values: a {name} template segment', async () => {
    const r = await curl([`${s.url('metrics')}/api/v1/label/job/values`]);
    expect(JSON.parse(r.stdout).data).to.deep.equal(['self']);
  });

  it('CEL over the query parameter denies a PromQL expression; POST with a form body (a way around query conditions) falls to defaultAction', async () => {
    const denied = await curl([
      '-w',
      '\n%{http_code}',
      '--get',
      '--data-urlencode',
      'query=rate(go_memstats_alloc_bytes_total[1m])',
      `${s.url('metrics')}/api/v1/query`,
    ]);
    const [body, code] = denied.stdout.split('\n');
    expect(code).to.equal('403');
    expect(JSON.parse(body!).rule).to.equal('no-go-internals');
    const form = await curl([
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--data-urlencode',
      'query=go_memstats_alloc_bytes_total',
      `${s.url('metrics')}/api/v1/query`,
    ]);
    expect(form.stdout).to.equal('403');
  });

  it('the admin API is denied, and Prometheus never sees the call', async () => {
    const r = await curl([
      '-w',
      '\n%{http_code}',
      '-X',
      'POST',
      `${s.url('metrics')}/api/v1/admin/tsdb/delete_series?match[]=up`,
    ]);
    const [body, code] = r.stdout.split('\n');
    expect(code).to.equal('403');
    expect(JSON.parse(body!)).to.include({ rule: 'no-admin', status: 403 });
    const up = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=up`)).json()) as {
      data: { result: unknown[] };
    };
    expect(up.data.result.length).to.be.greaterThan(0);
  });

  it('/metrics (text exposition format) is masked line by line', async () => {
    const r = await curl([`${s.url('metrics')}/metrics`]);
    expect(r.stdout).to.contain('# TYPE');
    expect(r.stdout).to.contain('prometheus_build_info');
    expect(r.stdout).not.to.contain(`127.0.0.1:${promPort}`);
  });
});
