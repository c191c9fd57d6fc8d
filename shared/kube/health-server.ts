/**
 * The health and metrics endpoint of the sidecar and of the operator (Istio's shape: its own port,
 * reachable by the kubelet): /healthz — the process serves; /readyz — what the owner says (the proxy:
 * every target listens and the audit log can be written; the operator: its informer synced);
 * /metrics — Prometheus.
 *
 * Three fixed GET routes on node:http, without Express: the sidecar loads nothing else of it (its modules
 * and MIME table cost idle memory: docs/performance.md, round 7); the operator's APIs use Express.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Registry } from '../observability/prometheus.js';

// Not `import ... from 'node:http'`: as an ES module, node:http's namespace reads every export, which loads
// tls, http2, zlib and more (+12 MiB RSS in a bare Node 24); the CommonJS object loads none of them.
const { createServer } = process.getBuiltinModule('node:http');

export interface HealthSource {
  /** Why the proxy is not ready, or undefined when it is. */
  notReady(): string | undefined;
}

export interface HealthServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  type: string;
  body: string;
}

const TEXT = 'text/plain; charset=utf-8';

export async function startHealthServer(o: {
  host: string;
  port: number;
  metrics: { registry: Registry };
  health: HealthSource;
}): Promise<HealthServer> {
  const route = async (path: string): Promise<Reply> => {
    switch (path) {
      case '/healthz':
        return { status: 200, type: TEXT, body: 'ok' };
      case '/readyz': {
        const why = o.health.notReady();
        return { status: why ? 503 : 200, type: TEXT, body: why ?? 'ok' };
      }
      case '/metrics':
        return { status: 200, type: o.metrics.registry.contentType, body: await o.metrics.registry.metrics() };
      default:
        return { status: 404, type: TEXT, body: 'not found' };
    }
  };
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let reply: Reply;
    // The path as sent, never normalised: `/healthz/../metrics` or `//x/metrics` is not /metrics to a
    // front proxy's rule, so it must not be here either. Only origin-form targets (`/...`) are served.
    const target = req.url ?? '';
    const path = target.startsWith('/') ? target.split('?', 1)[0]! : undefined;
    if (req.method !== 'GET' && req.method !== 'HEAD') reply = { status: 405, type: TEXT, body: 'method not allowed' };
    else if (path === undefined) reply = { status: 400, type: TEXT, body: 'bad request target' };
    else reply = await route(path).catch(() => ({ status: 500, type: TEXT, body: 'internal error' }));
    res.writeHead(reply.status, {
      'content-type': reply.type,
      'content-length': Buffer.byteLength(reply.body),
      ...(reply.status === 405 ? { allow: 'GET, HEAD' } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : reply.body);
  };
  const server = createServer((req, res) => void serve(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      // An accept error (EMFILE) must not take the process down; the next connection is accepted again.
      server.on('error', () => undefined);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  return { server, port, close: () => new Promise<void>((r) => server.close(() => r())) };
}
