/**
 * The operator's pod-facing HTTPS listener (AGENTGATE_OPERATOR_URL): what agents and proxies call —
 * the token exchange, the JWKS, audit checkpoints and keys, used approval grants. It serves the
 * routers it is given and /healthz, nothing else: the admission paths live on their own listener
 * (server.ts), which pods are not told about.
 */
import express, { type Response, type Router } from 'express';
import { TlsListener } from './tls-listener.js';

/** How every pod-facing endpoint refuses: a problem document (RFC 9457) with the status and why. */
export function sendProblem(res: Response, status: number, detail: string, title = 'refused'): void {
  res.status(status).type('application/problem+json').json({ title, status, detail });
}

export interface PodApiOptions {
  tls: { cert: string; key: string };
  routers: Router[];
}

export class PodApiServer {
  private readonly listener: TlsListener;

  constructor(o: PodApiOptions) {
    const app = express();
    app.disable('x-powered-by');
    for (const r of o.routers) app.use(r);
    app.get('/healthz', (_req, res) => void res.type('text/plain').send('ok'));
    this.listener = new TlsListener({ tls: o.tls }, app);
  }

  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return this.listener.listen(host, port);
  }

  setCertificate(tls: { cert: string; key: string }): void {
    this.listener.setCertificate(tls);
  }

  close(): Promise<void> {
    return this.listener.close();
  }
}
