/**
 * A raw wire-protocol client for tests that need exact control: pipelining, malformed messages,
 * fast-path calls, stray COPY data. Built from pg-protocol's frontend serializer and the proxy's framer.
 */
import net from 'node:net';
import { serialize } from 'pg-protocol';
import { Framer, parseErrorNotice, type Message } from '../../proxy/postgres/protocol.js';

export interface RawMessage {
  type: string;
  body: Buffer;
  error?: { code?: string; message?: string };
}

export class RawClient {
  private readonly framer = new Framer();
  private readonly received: RawMessage[] = [];
  private waiters: (() => void)[] = [];
  closed = false;
  processId = 0;
  secretKey = 0;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d) => {
      this.framer.push(d, (m: Message) => {
        const type = String.fromCharCode(m.type);
        const msg: RawMessage = { type, body: Buffer.from(m.buf.subarray(m.start + 5, m.end)) };
        if (type === 'E' || type === 'N') msg.error = parseErrorNotice(m);
        if (type === 'K') {
          this.processId = msg.body.readInt32BE(0);
          this.secretKey = msg.body.readInt32BE(4);
        }
        this.received.push(msg);
      });
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }

  static async connect(
    host: string,
    port: number,
    password: string | undefined,
    params: Record<string, string> = {},
  ): Promise<RawClient> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host, port }, () => resolve(s));
      s.once('error', reject);
    });
    const c = new RawClient(socket);
    socket.write(serialize.startup({ user: 'agent', database: 'billing', ...params }));
    if (password !== undefined) {
      const first = await c.next();
      if (first.type !== 'R') return c.pushBack(first);
      socket.write(serialize.password(password));
      await c.until('Z');
    }
    return c;
  }

  private pushBack(m: RawMessage): RawClient {
    this.received.unshift(m);
    return this;
  }

  send(...bufs: Buffer[]): void {
    this.socket.write(Buffer.concat(bufs));
  }

  async next(timeoutMs = 10_000): Promise<RawMessage> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length === 0) {
      if (this.closed) throw new Error('connection closed');
      if (Date.now() > deadline) throw new Error('timed out waiting for a message');
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
    return this.received.shift()!;
  }

  /** Messages up to and including the first of `type`. */
  async until(type: string, timeoutMs = 10_000): Promise<RawMessage[]> {
    const out: RawMessage[] = [];
    for (;;) {
      const m = await this.next(timeoutMs);
      out.push(m);
      if (m.type === type) return out;
    }
  }

  /** Everything until the connection closes. */
  async drain(timeoutMs = 10_000): Promise<RawMessage[]> {
    const out: RawMessage[] = [];
    try {
      for (;;) out.push(await this.next(timeoutMs));
    } catch {
      return out;
    }
  }

  end(): void {
    this.socket.end(serialize.end());
  }
}

export const fe = serialize;

/** A frontend message with an arbitrary type byte and body (for malformed-input tests). */
export function rawMessage(type: string, body: Buffer, lengthOverride?: number): Buffer {
  const b = Buffer.alloc(5 + body.length);
  b.write(type, 0, 'latin1');
  b.writeInt32BE(lengthOverride ?? 4 + body.length, 1);
  body.copy(b, 5);
  return b;
}

/**
 * The type of each message among `ms`, in order; with `codes`, an ErrorResponse as `E:<SQLSTATE>`; with
 * `notices: false`, NoticeResponses left out.
 */
export function messageKinds(ms: RawMessage[], o: { codes?: boolean; notices?: boolean } = {}): string[] {
  return ms
    .filter((m) => o.notices !== false || m.type !== 'N')
    .map((m) => (o.codes && m.type === 'E' ? `E:${m.error?.code}` : m.type));
}

/** The first column of each DataRow among `ms`, as text ('' for NULL). */
export function firstColumns(ms: RawMessage[]): string[] {
  return ms
    .filter((m) => m.type === 'D')
    .map((d) => {
      const len = d.body.readInt32BE(2);
      return len < 0 ? '' : d.body.subarray(6, 6 + len).toString();
    });
}
