/**
 * One upstream session the proxy keeps for its own small, frequent catalog reads (what a capped write
 * sets off, hidden-writes.ts), so each read costs a query, not a connection. Queries run one at a time;
 * a session that failed or closed is replaced, and a query on a broken one is retried once on a new one.
 */
import { simpleQuery } from './simple-query.js';
import type { UpstreamSession } from './upstream.js';

export class KeptUpstream {
  private session?: Promise<UpstreamSession>;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly connect: () => Promise<UpstreamSession>,
    private readonly timeoutMs = 15_000,
  ) {}

  query(sql: string): Promise<(string | null)[][]> {
    const run = this.queue.then(() => this.attempt(sql).catch(() => this.attempt(sql)));
    this.queue = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.closed = true;
    void this.session?.then(
      (s) => s.socket.destroy(),
      () => undefined,
    );
    this.session = undefined;
  }

  private async attempt(sql: string): Promise<(string | null)[][]> {
    if (this.closed) throw new Error('the proxy is stopping');
    const pending = (this.session ??= this.open());
    try {
      const s = await pending;
      if (s.socket.destroyed) throw new Error('upstream session closed');
      return await simpleQuery(s.socket, sql, this.timeoutMs);
    } catch (e) {
      if (this.session === pending) this.session = undefined;
      void pending.then(
        (s) => s.socket.destroy(),
        () => undefined,
      );
      throw e;
    }
  }

  private async open(): Promise<UpstreamSession> {
    const s = await this.connect();
    s.socket.once('close', () => s.socket.destroy());
    s.socket.on('error', () => undefined);
    s.socket.unref();
    return s;
  }
}
