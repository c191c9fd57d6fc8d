/**
 * The agent-facing startup phase: SSLRequest/GSSENCRequest, CancelRequest, StartupMessage (protocol
 * 3.0; newer minor versions are negotiated down), then a cleartext password request — over TLS or
 * loopback only — whose answer is the agent's JWT. Startup parameters that could bypass the policy
 * (`replication`, `options=-c ...`, any setting not known to be harmless) are refused here.
 */
import type { Socket } from 'node:net';
import { settingVerdict } from '../sql/settings.js';
import { ProtocolError } from './protocol.js';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const MAX_STARTUP = 10_000;

/** More than this unread during startup pauses the socket until the handshake reads it. */
const STARTUP_HIGH_WATER = 256 * 1024;

/**
 * Buffered reads from a socket during startup (before the session's framer takes over). Chunks are
 * kept as a list and copied only as far as `take` needs them (linear in what arrives), and a client
 * that sends more than the handshake reads is paused rather than buffered without bound.
 */
export class ByteQueue {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private waiter?: () => void;
  private ended?: Error;
  private readonly onData = (d: Buffer): void => {
    this.chunks.push(d);
    this.bytes += d.length;
    if (this.bytes > STARTUP_HIGH_WATER) this.socket.pause();
    this.waiter?.();
  };
  private readonly onEnd = (): void => {
    this.ended = new ProtocolError('the client closed the connection during startup');
    this.waiter?.();
  };

  constructor(private socket: Socket) {
    this.attach(socket);
  }

  private attach(s: Socket): void {
    this.socket = s;
    s.on('data', this.onData);
    s.on('end', this.onEnd);
    s.on('close', this.onEnd);
    s.on('error', this.onEnd);
  }

  detach(): Socket {
    const s = this.socket;
    s.off('data', this.onData);
    s.off('end', this.onEnd);
    s.off('close', this.onEnd);
    s.off('error', this.onEnd);
    s.pause();
    if (this.bytes) s.unshift(this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.bytes));
    this.chunks = [];
    this.bytes = 0;
    return s;
  }

  /** Switch to a TLS socket wrapping the current one. */
  replace(s: Socket): void {
    this.detach();
    this.attach(s);
    s.resume();
  }

  async take(n: number): Promise<Buffer> {
    while (this.bytes < n) {
      if (this.ended) throw this.ended;
      if (this.socket.isPaused()) this.socket.resume();
      await new Promise<void>((r) => (this.waiter = r));
      this.waiter = undefined;
    }
    let out: Buffer;
    const first = this.chunks[0]!;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length > n) this.chunks[0] = first.subarray(n);
      else this.chunks.shift();
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const c = this.chunks[0]!;
        const k = Math.min(c.length, n - filled);
        c.copy(out, filled, 0, k);
        filled += k;
        if (k < c.length) this.chunks[0] = c.subarray(k);
        else this.chunks.shift();
      }
    }
    this.bytes -= n;
    return out;
  }

  get buffered(): number {
    return this.bytes;
  }
}

export type StartupPacket =
  { kind: 'startup'; minor: number; params: Record<string, string> } | { kind: 'cancel'; pid: number; secret: Buffer };

export interface HandshakeOptions {
  tls?: { key: Buffer; cert: Buffer };
}

/** Reads packets until a StartupMessage or CancelRequest, answering SSL/GSS requests on the way. */
export async function readStartup(
  q: ByteQueue,
  socket: Socket,
  opts: HandshakeOptions,
): Promise<{ packet: StartupPacket; socket: Socket }> {
  let current = socket;
  let secured = false;
  for (let round = 0; round < 3; round++) {
    const len = (await q.take(4)).readInt32BE(0);
    if (len < 8 || len > MAX_STARTUP) throw new ProtocolError(`invalid startup packet length ${len}`);
    const body = await q.take(len - 4);
    const code = body.readInt32BE(0);
    if (code === SSL_REQUEST) {
      if (secured) throw new ProtocolError('SSLRequest received on a TLS connection');
      if (!opts.tls) {
        current.write('N');
        continue;
      }
      // Loaded on first use: a sidecar whose agents never ask for TLS keeps Node's tls out of memory.
      // Awaited before the checks below: from 'S' to the TLSSocket's construction nothing may yield,
      // or bytes the client sends meanwhile would be read as plaintext.
      const { TLSSocket } = await import('node:tls');
      if (q.buffered) throw new ProtocolError('data received after SSLRequest before the TLS handshake');
      current.write('S');
      const secure = new TLSSocket(current, { isServer: true, key: opts.tls.key, cert: opts.tls.cert });
      q.replace(secure);
      current = secure;
      secured = true;
      continue;
    }
    if (code === GSSENC_REQUEST) {
      current.write('N');
      continue;
    }
    if (code === CANCEL_REQUEST) {
      if (body.length < 12) throw new ProtocolError('malformed CancelRequest');
      return {
        packet: { kind: 'cancel', pid: body.readInt32BE(4), secret: Buffer.from(body.subarray(8)) },
        socket: current,
      };
    }
    const major = code >> 16;
    const minor = code & 0xffff;
    if (major !== 3)
      throw new ProtocolError(`unsupported frontend protocol ${major}.${minor}: agentgate speaks 3.0`, '08P01');
    const params: Record<string, string> = {};
    let pos = 4;
    for (;;) {
      const nul = body.indexOf(0, pos);
      if (nul < 0) throw new ProtocolError('malformed startup packet: missing terminator');
      const key = body.toString('utf8', pos, nul);
      pos = nul + 1;
      if (key === '') break;
      const vnul = body.indexOf(0, pos);
      if (vnul < 0) throw new ProtocolError('malformed startup packet: parameter without value');
      params[key] = body.toString('utf8', pos, vnul);
      pos = vnul + 1;
    }
    if (pos !== body.length) throw new ProtocolError('malformed startup packet: trailing bytes');
    return { packet: { kind: 'startup', minor, params }, socket: current };
  }
  throw new ProtocolError('too many negotiation requests before startup');
}

export interface StartupPolicyResult {
  /** Parameters forwarded to the upstream session. */
  forward: Record<string, string>;
  /** `_pq_.` protocol options the proxy does not support (for NegotiateProtocolVersion). */
  unsupportedOptions: string[];
  applicationName?: string;
}

const CONSUMED = new Set(['user', 'database', 'client_encoding']);

/** Decides which startup parameters pass; throws a 42501 ProtocolError for ones that may not. */
export function checkStartupParams(params: Record<string, string>): StartupPolicyResult {
  const forward: Record<string, string> = {};
  const unsupportedOptions: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    const key = k.toLowerCase();
    if (key.startsWith('_pq_.')) {
      unsupportedOptions.push(k);
      continue;
    }
    if (key === 'replication') {
      if (['false', 'off', 'no', '0'].includes(v.toLowerCase())) continue;
      throw new ProtocolError('replication connections are not allowed through agentgate', '42501');
    }
    if (key === 'options') {
      if (v.trim() === '') continue;
      throw new ProtocolError(
        'startup "options" (-c settings) are not allowed through agentgate; use SET, which the policy checks',
        '42501',
      );
    }
    if (CONSUMED.has(key)) continue;
    if (key === 'application_name') continue;
    // A startup parameter is a SET the policy never sees: only settings known to be harmless pass.
    if (settingVerdict(key) !== 'harmless')
      throw new ProtocolError(
        `startup parameter ${k} is not allowed through agentgate (only settings known to be harmless are); use SET, which the policy checks`,
        '42501',
      );
    forward[k] = v;
  }
  return {
    forward,
    unsupportedOptions,
    ...(params.application_name ? { applicationName: params.application_name } : {}),
  };
}

/** Reads the PasswordMessage ('p') that answers AuthenticationCleartextPassword. */
export async function readPassword(q: ByteQueue): Promise<string> {
  const head = await q.take(5);
  if (head[0] !== 0x70)
    throw new ProtocolError(
      `expected a password message, got ${JSON.stringify(String.fromCharCode(head[0]!))}`,
      '28000',
    );
  const len = head.readInt32BE(1);
  if (len < 5 || len > 65_536) throw new ProtocolError(`invalid password message length ${len}`);
  const body = await q.take(len - 4);
  const nul = body.indexOf(0);
  if (nul !== body.length - 1) throw new ProtocolError('malformed password message');
  return body.toString('utf8', 0, nul);
}
