/**
 * The health and metrics endpoint of the sidecar and of the operator (Istio's shape: its own port,
 * reachable by the kubelet): /healthz — the process serves; /readyz — what the owner says (the proxy:
 * every target listens and the audit log can be written; the operator: its informer synced);
 * /metrics — Prometheus.
 */
import type { Server } from 'node:http';
import express from 'express';
import type { Registry } from 'prom-client';

export interface HealthSource {
  /** Why the proxy is not ready, or undefined when it is. */
  notReady(): string | undefined;
}

export interface HealthServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(o: {
  host: string;
  port: number;
  metrics: { registry: Registry };
  health: HealthSource;
}): Promise<HealthServer> {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => void res.type('text/plain').send('ok'));
  app.get('/readyz', (_req, res) => {
    const why = o.health.notReady();
    res
      .status(why ? 503 : 200)
      .type('text/plain')
      .send(why ?? 'ok');
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
