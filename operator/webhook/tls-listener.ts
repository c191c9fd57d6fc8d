/**
 * One HTTPS listener of the operator (admission or pod-facing), its serving certificate swappable live.
 * With a client CA it accepts only connections presenting a certificate that CA signed.
 */
import type { RequestListener } from 'node:http';
import https from 'node:https';

export interface TlsListenerOptions {
  tls: { cert: string; key: string };
  /** PEM: require and verify a client certificate issued by this CA (the TLS handshake fails otherwise). */
  clientCa?: string;
}

export class TlsListener {
  private server?: https.Server;

  constructor(
    private readonly o: TlsListenerOptions,
    private readonly handler: RequestListener,
  ) {}

  async listen(host: string, port: number): Promise<{ host: string; port: number }> {
    const clientAuth = this.o.clientCa ? { requestCert: true, rejectUnauthorized: true, ca: this.o.clientCa } : {};
    this.server = https.createServer({ cert: this.o.tls.cert, key: this.o.tls.key, ...clientAuth }, this.handler);
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    const a = this.server.address() as { address: string; port: number };
    return { host: a.address, port: a.port };
  }

  /** Rotation: new connections get the new certificate (the client CA stays). */
  setCertificate(tls: { cert: string; key: string }): void {
    this.server?.setSecureContext({
      cert: tls.cert,
      key: tls.key,
      ...(this.o.clientCa ? { ca: this.o.clientCa } : {}),
    });
  }

  close(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
