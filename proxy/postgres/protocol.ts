/**
 * PostgreSQL wire protocol v3: a zero-copy framer, the backend messages the proxy itself sends, and
 * parsers for the few messages whose contents it needs. Message bodies are referenced as
 * (buffer, start, end) slices of the socket's chunks; nothing is copied unless it is rewritten.
 */

/** Default for the largest message the proxy buffers (PostgreSQL's own limit for most messages is 1 GB). */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export class ProtocolError extends Error {
  constructor(
    message: string,
    readonly sqlState = '08P01',
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** A message longer than the configured limit: SQLSTATE 54000 (program_limit_exceeded). */
export class MessageTooLarge extends ProtocolError {
  constructor(
    readonly type: number,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(
      `message ${JSON.stringify(String.fromCharCode(type))} of ${bytes} bytes exceeds the limit of ${limit} bytes (spec.protocolLimits.maxMessageBytes)`,
      '54000',
    );
    this.name = 'MessageTooLarge';
  }
}

export interface Message {
  type: number;
  /** Buffer holding the whole message (type byte, length, body). */
  buf: Buffer;
  /** Offset of the type byte. */
  start: number;
  /** Offset just past the message. */
  end: number;
}

/**
 * Splits a byte stream into typed messages. Messages complete within a chunk are slices of it (no
 * copy). A message that spans chunks is collected as a list of pieces and copied once, into a buffer
 * of its exact size, when its last byte arrives: linear in its size however many chunks it takes.
 * Its length is checked against the limit as soon as its header is complete, before it is buffered.
 */
export class Framer {
  private pieces: Buffer[] = [];
  private pieceBytes = 0;
  /** Total size (type byte included) of the message being collected; 0 while its header is incomplete. */
  private need = 0;

  /** `maxBytes` may be a function, so a policy change applies to the next message. */
  constructor(private readonly maxBytes: number | (() => number) = MAX_MESSAGE_BYTES) {}

  /** Calls `onMessage` for each complete message in order. Throws ProtocolError on a bad length. */
  push(chunk: Buffer, onMessage: (m: Message) => void): void {
    let pos = 0;
    const n = chunk.length;
    if (this.pieceBytes > 0) {
      if (this.need === 0) {
        // The header itself was split: at most 4 bytes are carried, so this copy is tiny.
        const take = Math.min(5 - this.pieceBytes, n);
        this.collect(chunk.subarray(0, take));
        pos = take;
        if (this.pieceBytes < 5) return;
        const head = Buffer.concat(this.pieces, 5);
        this.pieces = [head];
        this.need = 1 + this.length(head, 0);
      }
      const take = Math.min(this.need - this.pieceBytes, n - pos);
      this.collect(chunk.subarray(pos, pos + take));
      pos += take;
      if (this.pieceBytes < this.need) return;
      const whole = Buffer.concat(this.pieces, this.need);
      this.pieces = [];
      this.pieceBytes = this.need = 0;
      onMessage({ type: whole[0]!, buf: whole, start: 0, end: whole.length });
    }
    while (n - pos >= 5) {
      const end = pos + 1 + this.length(chunk, pos);
      if (end > n) {
        this.need = end - pos;
        break;
      }
      onMessage({ type: chunk[pos]!, buf: chunk, start: pos, end });
      pos = end;
    }
    if (pos < n) this.collect(chunk.subarray(pos));
  }

  private collect(piece: Buffer): void {
    this.pieces.push(piece);
    this.pieceBytes += piece.length;
  }

  private length(buf: Buffer, pos: number): number {
    const len = buf.readInt32BE(pos + 1);
    if (len < 4)
      throw new ProtocolError(
        `invalid message length ${len} for message type ${JSON.stringify(String.fromCharCode(buf[pos]!))}`,
      );
    const max = typeof this.maxBytes === 'function' ? this.maxBytes() : this.maxBytes;
    if (len > max) throw new MessageTooLarge(buf[pos]!, len, max);
    return len;
  }

  get pending(): number {
    return this.pieceBytes;
  }
}

/** Reads fields from a message body with bounds checks; any overrun is a ProtocolError. */
/** PostgreSQL's NAMEDATALEN - 1: the bytes of a statement or portal name the server keeps. */
const MAX_NAME_BYTES = 63;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

export class Reader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
    private readonly what: string,
  ) {
    this.pos = start;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new ProtocolError(`malformed ${this.what} message: truncated`);
  }

  byte(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  cstring(): string {
    return this.cstringBytes().toString('utf8');
  }

  /** The bytes of a NUL-terminated string, the terminator consumed. */
  private cstringBytes(): Buffer {
    const nul = this.buf.indexOf(0, this.pos);
    if (nul < 0 || nul >= this.end)
      throw new ProtocolError(`malformed ${this.what} message: missing string terminator`);
    const raw = this.buf.subarray(this.pos, nul);
    this.pos = nul + 1;
    return raw;
  }

  /**
   * A prepared statement or portal name as the server keys it: PostgreSQL keeps the first 63 bytes
   * (NAMEDATALEN - 1), so longer names sharing those are one object there and must be one here. A cut
   * inside a character keeps its bytes apart (NUL and hex), so different server names stay different.
   */
  objectName(): string {
    const raw = this.cstringBytes();
    if (raw.length <= MAX_NAME_BYTES) return raw.toString('utf8');
    const kept = raw.subarray(0, MAX_NAME_BYTES);
    for (let cut = kept.length; cut >= kept.length - 3; cut--) {
      try {
        const prefix = UTF8.decode(kept.subarray(0, cut));
        return cut === kept.length ? prefix : `${prefix}\0${kept.subarray(cut).toString('hex')}`;
      } catch {
        // a character cut at byte 63: try a shorter prefix
      }
    }
    return `\0${kept.toString('hex')}`;
  }

  bytes(n: number): Buffer {
    if (n < 0) throw new ProtocolError(`malformed ${this.what} message: negative length`);
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** PostgreSQL checks that a message was consumed exactly; so does the proxy. */
  done(): void {
    if (this.pos !== this.end)
      throw new ProtocolError(`malformed ${this.what} message: ${this.end - this.pos} unexpected trailing bytes`);
  }
}

export const bodyReader = (m: Message, what: string): Reader => new Reader(m.buf, m.start + 5, m.end, what);

// ---- messages the proxy sends to the agent (backend messages) ----

/** One wire message: type byte, length, body. */
export function message(type: string, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = type.charCodeAt(0);
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}

const cstr = (s: string): Buffer => Buffer.from(`${s}\0`, 'utf8');

export interface ErrorFields {
  severity: 'ERROR' | 'FATAL' | 'NOTICE' | 'WARNING';
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

export function errorResponse(f: ErrorFields, type: 'E' | 'N' = 'E'): Buffer {
  const parts: Buffer[] = [
    Buffer.from('S'),
    cstr(f.severity),
    Buffer.from('V'),
    cstr(f.severity),
    Buffer.from('C'),
    cstr(f.code),
    Buffer.from('M'),
    cstr(f.message),
  ];
  if (f.detail) parts.push(Buffer.from('D'), cstr(f.detail));
  if (f.hint) parts.push(Buffer.from('H'), cstr(f.hint));
  parts.push(Buffer.from([0]));
  return message(type, Buffer.concat(parts));
}

export function readyForQuery(status: number): Buffer {
  return message('Z', Buffer.from([status]));
}

export function authRequest(code: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(code);
  return message('R', b);
}

export function backendKeyData(pid: number, secret: Buffer): Buffer {
  const b = Buffer.alloc(4 + secret.length);
  b.writeInt32BE(pid);
  secret.copy(b, 4);
  return message('K', b);
}

export function negotiateProtocolVersion(minor: number, unrecognized: string[]): Buffer {
  const head = Buffer.alloc(8);
  head.writeInt32BE((3 << 16) | minor);
  head.writeInt32BE(unrecognized.length, 4);
  return message('v', Buffer.concat([head, ...unrecognized.map(cstr)]));
}

/** Describe(portal) as the frontend sends it, for the proxy to learn a portal's columns. */
export function describePortal(name: string): Buffer {
  return message('D', Buffer.concat([Buffer.from('P'), cstr(name)]));
}

// ---- parsers ----

export interface ErrorNotice {
  fields: [string, string][];
  code?: string;
  message?: string;
}

export function parseErrorNotice(m: Message): ErrorNotice {
  const r = bodyReader(m, 'ErrorResponse');
  const fields: [string, string][] = [];
  for (;;) {
    const t = r.byte();
    if (t === 0) break;
    fields.push([String.fromCharCode(t), r.cstring()]);
  }
  const get = (k: string): string | undefined => fields.find((f) => f[0] === k)?.[1];
  return { fields, code: get('C'), message: get('M') };
}

export function buildErrorNotice(type: number, fields: [string, string][]): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of fields) parts.push(Buffer.from(k), cstr(v));
  parts.push(Buffer.from([0]));
  return message(String.fromCharCode(type), Buffer.concat(parts));
}

export interface Notification {
  pid: number;
  channel: string;
  payload: string;
}

export function parseNotification(m: Message): Notification {
  const r = bodyReader(m, 'NotificationResponse');
  const pid = r.int32();
  const channel = r.cstring();
  const payload = r.cstring();
  r.done();
  return { pid, channel, payload };
}

export function buildNotification(pid: number, channel: string, payload: string): Buffer {
  const head = Buffer.alloc(4);
  head.writeInt32BE(pid);
  return message('A', Buffer.concat([head, cstr(channel), cstr(payload)]));
}

export interface Column {
  name: string;
  tableOid: number;
  attnum: number;
  typeOid: number;
  format: number;
}

export function parseRowDescription(m: Message): Column[] {
  const r = bodyReader(m, 'RowDescription');
  const n = r.int16();
  const cols: Column[] = [];
  for (let i = 0; i < n; i++) {
    const name = r.cstring();
    const tableOid = r.int32() >>> 0;
    const attnum = r.int16();
    const typeOid = r.int32() >>> 0;
    r.int16(); // typlen
    r.int32(); // typmod
    const format = r.int16();
    cols.push({ name, tableOid, attnum, typeOid, format });
  }
  return cols;
}

/** Rows affected/returned from a CommandComplete tag ("SELECT 5", "INSERT 0 3", "UPDATE 2"). */
export function commandTag(m: Message): { tag: string; rows?: number } {
  const tag = bodyReader(m, 'CommandComplete').cstring();
  const last = tag.slice(tag.lastIndexOf(' ') + 1);
  return /^\d+$/.test(last) ? { tag: tag.slice(0, tag.indexOf(' ')), rows: Number(last) } : { tag };
}

export function parameterStatus(name: string, value: string): Buffer {
  return message('S', Buffer.concat([cstr(name), cstr(value)]));
}

/** A simple-protocol Query message. */
export function queryMessage(sql: string): Buffer {
  return message('Q', cstr(sql));
}
