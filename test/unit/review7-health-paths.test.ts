/**
 * Review 7: the first node:http health server matched its three routes against the WHATWG-normalised path
 * of `new URL(req.url, 'http://health')`, not the request target the client sent. Dot segments (plain,
 * percent-encoded, or with backslashes) were resolved, and a target starting with `//` was read as an
 * authority: `/healthz/../metrics`, `/healthz/%2e%2e/metrics`, `/healthz\..\metrics` and
 * `//anything/metrics` were all served /metrics, where Express (c84e520) answered 404. A front proxy or
 * mesh rule that allows `/healthz*` or denies `/metrics` on the raw path (Envoy does not treat `\` as a
 * separator) would have been bypassed. Now routes match the target as sent.
 */
import { expect } from 'chai';
import net from 'node:net';
import { startHealthServer, type HealthServer } from '../../shared/kube/health-server.js';
import { Counter, Registry } from '../../shared/observability/prometheus.js';

describe('review7: health server routes on the request target as sent', () => {
  let server: HealthServer;

  before(async () => {
    const registry = new Registry();
    new Counter({ name: 'secret_total', help: 'probe', registers: [registry] }).inc();
    server = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      metrics: { registry },
      health: { notReady: () => undefined },
    });
  });
  after(() => server?.close());

  // Raw bytes: clients such as curl normalise these targets themselves before sending.
  const raw = (target: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const c = net.connect(server.port, '127.0.0.1', () =>
        c.end(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
      );
      let out = '';
      c.setEncoding('latin1');
      c.on('data', (d: string) => (out += d));
      c.on('close', () => resolve(out));
      c.on('error', reject);
    });

  it('still serves /metrics (control)', async () => {
    expect(await raw('/metrics'))
      .to.match(/^HTTP\/1\.1 200/)
      .and.include('secret_total 1');
  });

  for (const target of ['/healthz/../metrics', '/healthz/%2e%2e/metrics', '/healthz\\..\\metrics', '//evil/metrics'])
    it(`does not serve /metrics for ${target}`, async () => {
      const answer = await raw(target);
      expect(answer).to.not.include('secret_total');
      expect(answer).to.match(/^HTTP\/1\.1 404/);
    });
});
