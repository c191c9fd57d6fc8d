/**
 * The sidecar's health and metrics endpoint (Istio's shape: its own port, reachable by the kubelet):
 * /healthz — the process serves; /readyz — every target listens and the audit log can be written
 * (the startup probe holds the agent back until then); /metrics — Prometheus.
 */
import type { Server } from 'node:http';
import express from 'express';
import type { ProxyMetrics } from './metrics.js';

export interface HealthSource {
  /** Why the proxy is not ready, or undefined when it is. */
  notReady(): string | undefined;
}

export async function startHealthServer(o: { host: string; port: number; metrics: ProxyMetrics; health: HealthSource }): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => void res.type('text/plain').send('ok'));
  app.get('/readyz', (_req, res) => {
    const why = o.health.notReady();
    res.status(why ? 503 : 200).type('text/plain').send(why ?? 'ok');
  });
  app.get('/metrics', async (_req, res) => {
    res.type(o.metrics.registry.contentType).send(await o.metrics.registry.metrics());
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(o.port, o.host, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as { port: number }).port;
  return { server, port, close: () => new Promise<void>((r) => server.close(() => r())) };
}
