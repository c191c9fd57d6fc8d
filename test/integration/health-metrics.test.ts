/** The proxy's health and metrics endpoint, on a real run (embedded PostgreSQL, real statements). */
import { expect } from 'chai';
import { startHealthServer } from '../../shared/kube/health-server.js';
import { ProxyMetrics } from '../../proxy/observability/metrics.js';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';

describe('proxy health and metrics', function () {
  this.timeout(60_000);
  let s: LocalStack;
  let health: Awaited<ReturnType<typeof startHealthServer>>;
  const get = async (path: string): Promise<{ status: number; text: string }> => {
    const r = await fetch(`http://127.0.0.1:${health.port}${path}`);
    return { status: r.status, text: await r.text() };
  };

  before(async () => {
    const metrics = new ProxyMetrics();
    s = await startLocalStack({ proxyOptions: { metrics } });
    health = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      metrics,
      health: { notReady: () => s.proxy.notReady() },
    });
  });
  after(async () => {
    await health?.close();
    await s?.postgres.stop();
  });

  it('is ready once every target listens and the audit log works', async () => {
    expect(await get('/healthz')).to.deep.equal({ status: 200, text: 'ok' });
    expect(await get('/readyz')).to.deep.equal({ status: 200, text: 'ok' });
  });

  it('counts decisions by outcome, refused identities and open sessions', async () => {
    const c = await s.connect('metrics-agent');
    await c.query('SELECT 1');
    await c.query('SELECT 2');
    await c.query('DROP TABLE orders').catch(() => undefined);
    const open = (await get('/metrics')).text;
    expect(open).to.match(/agentgate_proxy_sessions\{target="billing-db"\} 1/);
    await c.end();
    const { connect } = await import('pg').then((m) => ({
      connect: async () => {
        const x = new m.default.Client({
          host: s.host,
          port: s.port,
          user: 'agent',
          database: 'billing',
          password: 'not-a-token',
        });
        await x.connect();
      },
    }));
    await connect().catch(() => undefined);
    const m = (await get('/metrics')).text;
    expect(m).to.match(/agentgate_proxy_statements_total\{target="billing-db",decision="Allow",enforced="false"\} 2/);
    expect(m).to.match(/agentgate_proxy_statements_total\{target="billing-db",decision="Deny",enforced="true"\} 1/);
    expect(m).to.match(/agentgate_proxy_identity_rejections_total\{target="billing-db"\} 1/);
    expect(m).to.match(/agentgate_proxy_audit_healthy 1/);
    expect(m).to.match(/agentgate_proxy_sessions\{target="billing-db"\} 0/);
  });

  it('is not ready when the audit log cannot be written, or while shutting down', async () => {
    s.proxy.audit.close(); // as if its volume failed: statements are refused from now on
    const failed = await get('/readyz');
    expect(failed.status).to.equal(503);
    expect(failed.text).to.equal('audit log unavailable: audit log closed');
    expect((await get('/metrics')).text).to.match(/agentgate_proxy_audit_healthy 0/);
    await s.proxy.stop();
    const r = await get('/readyz');
    expect(r.status).to.equal(503);
    expect(r.text).to.equal('shutting down');
  });
});
