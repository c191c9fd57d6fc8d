/**
 * The health and metrics endpoint (shared/kube/health-server.ts), as the kubelet and Prometheus reach it,
 * with curl. Its routes must not answer anything but what they say: readiness is the owner's verdict.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startHealthServer, type HealthServer } from '../../shared/kube/health-server.js';
import { Counter, Registry } from '../../shared/observability/prometheus.js';

type Answer = { status: number; headers: string; body: string };

describe('health server', () => {
  let server: HealthServer;
  let notReady: string | undefined;
  let failMetrics = false;

  // Asynchronous: the server answers from this process's event loop.
  const curl = async (...args: string[]): Promise<Answer> => {
    const { stdout } = await promisify(execFile)('curl', ['-sS', '-i', ...args]);
    const end = stdout.indexOf('\r\n\r\n');
    const headers = stdout.slice(0, end);
    return { status: Number(/^HTTP\/1\.1 (\d+)/.exec(headers)?.[1]), headers, body: stdout.slice(end + 4) };
  };
  const get = (path: string, ...args: string[]): Promise<Answer> =>
    curl(...args, `http://127.0.0.1:${server.port}${path}`);

  before(async () => {
    const registry = new Registry();
    new Counter({ name: 'probe_total', help: 'probe', registers: [registry] }).inc();
    const metrics = {
      registry: Object.assign(Object.create(registry) as Registry, {
        metrics: () => (failMetrics ? Promise.reject(new Error('collector broke')) : registry.metrics()),
      }),
    };
    server = await startHealthServer({ host: '127.0.0.1', port: 0, metrics, health: { notReady: () => notReady } });
  });
  after(() => server?.close());

  it('answers /healthz, and /readyz with the owner’s verdict and reason', async () => {
    expect(await get('/healthz')).to.include({ status: 200, body: 'ok' });
    expect(await get('/readyz?verbose=1')).to.include({ status: 200, body: 'ok' });
    notReady = 'audit log not writable';
    expect(await get('/readyz')).to.include({ status: 503, body: 'audit log not writable' });
    notReady = undefined;
  });

  it('serves Prometheus metrics, and a failing collector as 500 without its message', async () => {
    const ok = await get('/metrics');
    expect(ok.status).to.equal(200);
    expect(ok.headers).to.match(/content-type: text\/plain; version=0\.0\.4/i);
    expect(ok.body).to.include('probe_total 1');
    failMetrics = true;
    expect(await get('/metrics')).to.include({ status: 500, body: 'internal error' });
    failMetrics = false;
  });

  it('answers HEAD without a body; other methods 405, other paths 404', async () => {
    const head = await get('/healthz', '-I');
    expect(head.status).to.equal(200);
    expect(head.body).to.equal('');
    const post = await get('/readyz', '-X', 'POST');
    expect(post.status).to.equal(405);
    expect(post.headers).to.match(/allow: GET, HEAD/i);
    expect((await get('/healthz/../metrics/x', '--path-as-is')).status).to.equal(404);
    expect((await get('/')).status).to.equal(404);
  });

  it('a request target that is not a path (origin-form) gets 400, and the server keeps serving', async () => {
    expect((await get('/', '--request-target', 'http://[::1')).status).to.equal(400);
    expect((await get('/', '--request-target', 'http://health/metrics')).status).to.equal(400);
    expect((await get('/healthz')).status).to.equal(200);
  });

  it('an accept error after listening (EMFILE) is not fatal: the server keeps serving', async () => {
    server.server.emit('error', Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' }));
    expect((await get('/healthz')).status).to.equal(200);
  });
});
