/**
 * How a response body reaches the agent with masking on. JSON is masked value by value (buffered up to
 * maxResponseBodyBytes, then Content-Length is set to the masked length); event streams (SSE), NDJSON
 * and text are masked line by line as they stream (each line bounded), never buffered whole;
 * gzip/deflate/br bodies are decompressed, masked and compressed again. A body that cannot be inspected
 * (another encoding, a binary type, a line or document over the bound) is refused: the agent gets a 502
 * problem when nothing was sent yet, else the connection is cut.
 */
import { Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import type { Masker } from '../masking/masker.js';
import { UnmaskableShape, type JsonMasker } from './json-masker.js';

export class Uninspectable extends Error {}

export type BodyKind = 'json' | 'sse' | 'lines';

/** Charsets whose bytes are read as UTF-8 without a difference (masking reads bodies as UTF-8). */
const UTF8_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii']);

/**
 * How the body of this content type is masked; undefined: it cannot be inspected. A charset other than
 * UTF-8 (UTF-16, UTF-7…) would be masked as bytes it is not. With field rules on, a structured type the
 * proxy does not parse (YAML, XML, a form) or a Kubernetes Table (cells under display names) would carry
 * the fields unmasked, and a body without a type is masked as JSON (or refused when it is not JSON).
 */
export function bodyKind(contentType: string | undefined, fieldRules = false): BodyKind | undefined {
  const [media, ...params] = (contentType ?? '').split(';');
  const t = media!.trim().toLowerCase();
  for (const p of params) {
    const m = /^\s*charset\s*=\s*"?([^"\s]*)"?\s*$/i.exec(p);
    if (m && !UTF8_CHARSETS.has(m[1]!.toLowerCase())) return undefined;
  }
  if (t === 'text/event-stream') return 'sse';
  if (
    t === 'application/x-ndjson' ||
    t === 'application/ndjson' ||
    t === 'application/jsonl' ||
    t === 'application/json-seq'
  )
    return 'lines';
  if (t === 'application/json' || t.endsWith('+json')) {
    // A Kubernetes Table (json-masker.ts isKubeTable): refused before a byte is read.
    if (fieldRules && params.some((p) => /^\s*as\s*=\s*"?table"?\s*$/i.test(p))) return undefined;
    return 'json';
  }
  if (t === '') return fieldRules ? 'json' : 'lines';
  const structured =
    t === 'application/xml' ||
    t === 'text/xml' ||
    t.endsWith('+xml') ||
    t === 'application/yaml' ||
    t === 'application/x-yaml' ||
    t === 'text/yaml' ||
    t === 'text/x-yaml' ||
    t.endsWith('+yaml') ||
    t === 'application/x-www-form-urlencoded';
  if (structured) return fieldRules ? undefined : 'lines';
  if (t.startsWith('text/') || t === 'application/javascript') return 'lines';
  return undefined;
}

/** A text/* body (not an event stream): the kind whose content may be JSON under another label. */
export function isText(contentType: string | undefined): boolean {
  const t = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return t.startsWith('text/') && t !== 'text/event-stream';
}

export type Coding = 'identity' | 'gzip' | 'deflate' | 'br';

/** The body's single content coding, or undefined when it is one the proxy cannot undo. */
export function codingOf(header: string | undefined): Coding | undefined {
  const c = (header ?? '').trim().toLowerCase();
  if (c === '' || c === 'identity') return 'identity';
  if (c === 'gzip' || c === 'x-gzip') return 'gzip';
  if (c === 'deflate' || c === 'br') return c;
  return undefined;
}

export function decoder(c: Coding): Transform | undefined {
  if (c === 'gzip') return zlib.createGunzip();
  if (c === 'deflate') return zlib.createInflate();
  if (c === 'br') return zlib.createBrotliDecompress();
  return undefined;
}

export function encoder(c: Coding): Transform | undefined {
  if (c === 'gzip') return zlib.createGzip();
  if (c === 'deflate') return zlib.createDeflate();
  if (c === 'br') return zlib.createBrotliCompress();
  return undefined;
}

export interface MaskCount {
  n: number;
}

/**
 * Masks JSON as it streams: a scan that follows strings and brackets finds where each top-level value
 * ends (one document, or a stream of them: NDJSON, Kubernetes watch events), and each value is masked
 * whole as soon as it is complete. One value may not exceed `max` bytes; what is not JSON is refused
 * while field rules are on (they could not be applied), else masked by detectors.
 */
export class JsonStreamMasker extends Transform {
  private value: Buffer[] = [];
  private size = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** A top-level scalar (number, literal, string) is being read. */
  private scalar = false;

  constructor(
    private readonly json: JsonMasker,
    private readonly masker: Masker,
    private readonly max: number,
    private readonly count: MaskCount,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const out: Buffer[] = [];
    let start = 0;
    try {
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk[i]!;
        if (this.inString) {
          if (this.escaped) this.escaped = false;
          else if (c === 0x5c) this.escaped = true;
          else if (c === 0x22) {
            this.inString = false;
            if (this.depth === 0) this.scalar = true;
          }
          continue;
        }
        const ws = c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
        if (this.depth === 0 && !this.scalar && ws) {
          // Whitespace between values passes as it is.
          out.push(chunk.subarray(start, i + 1));
          start = i + 1;
          continue;
        }
        if (c === 0x22) this.inString = true;
        else if (c === 0x7b || c === 0x5b) this.depth++;
        else if (c === 0x7d || c === 0x5d) {
          if (--this.depth < 0) throw new Uninspectable('the JSON response is not well-formed');
          if (this.depth === 0) {
            this.value.push(chunk.subarray(start, i + 1));
            start = i + 1;
            out.push(this.complete());
          }
        } else if (this.depth === 0 && ws) {
          this.value.push(chunk.subarray(start, i));
          start = i;
          out.push(this.complete());
        } else if (this.depth === 0) this.scalar = true;
      }
      if (start < chunk.length) this.hold(chunk.subarray(start));
    } catch (e) {
      return cb(e as Error);
    }
    cb(null, out.length ? Buffer.concat(out) : undefined);
  }

  override _flush(cb: TransformCallback): void {
    try {
      if (this.depth !== 0 || this.inString) throw new Uninspectable('the JSON response ended inside a value');
      cb(null, this.size || this.value.length ? this.complete() : undefined);
    } catch (e) {
      cb(e as Error);
    }
  }

  private hold(b: Buffer): void {
    this.size += b.length;
    if (this.size > this.max)
      throw new Uninspectable(
        `a JSON value in the response is larger than ${this.max} bytes (limits.maxResponseBodyBytes) and masking is on`,
      );
    this.value.push(b);
  }

  private complete(): Buffer {
    const text = Buffer.concat(this.value).toString('utf8');
    this.value = [];
    this.size = 0;
    this.scalar = false;
    if (text.length > this.max)
      throw new Uninspectable(
        `a JSON value in the response is larger than ${this.max} bytes (limits.maxResponseBodyBytes) and masking is on`,
      );
    if (text.trim() === '') return Buffer.from(text);
    try {
      const m = this.json.maskText(text, true);
      this.count.n += m.count;
      return Buffer.from(m.text);
    } catch (e) {
      if (e instanceof UnmaskableShape) throw new Uninspectable(e.message);
      // Labelled JSON, but not JSON: field rules cannot be applied to it.
      if (this.json.hasFieldRules)
        throw new Uninspectable('the response says it is JSON but does not parse, and field rules are on');
      const m = this.masker.maskText(text);
      this.count.n += m.count;
      return Buffer.from(m.text);
    }
  }
}

/**
 * Masks a stream line by line (NDJSON lines as JSON when they parse, other lines by detectors). An event
 * stream (SSE) is masked event by event, as a client reads it: its `data:` lines joined with \n are one
 * payload (JSON spread over several lines gets its field rules), other lines by detectors; an event is
 * passed on at its blank line. A line or event longer than `maxLine` cannot be masked without buffering
 * it: refused; so is a bare CR in an event stream (a line end for EventSource, not for this scan).
 */
export class LineMasker extends Transform {
  private pending: Buffer[] = [];
  private pendingSize = 0;
  /** SSE: the lines of the event being read, without their line ends. */
  private event: string[] = [];
  private eventSize = 0;

  constructor(
    private readonly kind: 'sse' | 'lines',
    private readonly json: JsonMasker,
    private readonly masker: Masker,
    private readonly maxLine: number,
    private readonly count: MaskCount,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    let start = 0;
    const out: Buffer[] = [];
    try {
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, start)) {
        this.pending.push(chunk.subarray(start, i + 1));
        out.push(this.line(Buffer.concat(this.pending)));
        this.pending = [];
        this.pendingSize = 0;
        start = i + 1;
      }
    } catch (e) {
      return cb(e as Error);
    }
    if (start < chunk.length) {
      this.pending.push(chunk.subarray(start));
      this.pendingSize += chunk.length - start;
      if (this.pendingSize > this.maxLine)
        return cb(new Uninspectable(`a response line is longer than ${this.maxLine} bytes and masking is on`));
    }
    cb(null, out.length ? Buffer.concat(out) : undefined);
  }

  override _flush(cb: TransformCallback): void {
    try {
      const last = this.pending.length ? this.line(Buffer.concat(this.pending)) : Buffer.alloc(0);
      cb(
        null,
        this.kind === 'sse' && this.event.length
          ? Buffer.concat([last, this.dispatch()])
          : last.length
            ? last
            : undefined,
      );
    } catch (e) {
      cb(e as Error);
    }
  }

  private line(b: Buffer): Buffer {
    const s = b.toString('utf8');
    const eol = /\r?\n$/.exec(s)?.[0] ?? '';
    const body = s.slice(0, s.length - eol.length);
    if (this.kind === 'sse') {
      if (body.includes('\r'))
        throw new Uninspectable(
          'the event stream has a bare CR line end, which the proxy does not split on, and masking is on',
        );
      if (body === '') return Buffer.concat([this.dispatch(), Buffer.from(eol)]);
      this.eventSize += body.length;
      if (this.eventSize > this.maxLine)
        throw new Uninspectable(`an event of the stream is longer than ${this.maxLine} bytes and masking is on`);
      this.event.push(body);
      return Buffer.alloc(0);
    }
    if (/^\s*[[{]/.test(body)) {
      try {
        const r = this.json.maskText(body, true);
        this.count.n += r.count;
        return Buffer.from(r.text + eol);
      } catch (e) {
        if (e instanceof UnmaskableShape) throw new Uninspectable(e.message);
        // not JSON: detectors below
      }
    }
    return this.plain(body, eol);
  }

  /** The event read so far, masked: its data lines as one payload, in the place of the first. */
  private dispatch(): Buffer {
    const lines = this.event;
    this.event = [];
    this.eventSize = 0;
    const isData = (l: string): boolean => l === 'data' || l.startsWith('data:');
    const payload = lines
      .filter(isData)
      .map((l) => l.slice(5).replace(/^ /, ''))
      .join('\n');
    let data: string[] = [];
    let masked = false;
    if (/^\s*[[{]/.test(payload)) {
      try {
        const r = this.json.maskText(payload, true);
        this.count.n += r.count;
        data = [r.text];
        masked = true;
      } catch (e) {
        if (e instanceof UnmaskableShape) throw new Uninspectable(e.message);
        // not JSON: detectors below
      }
    }
    if (!masked) {
      const r = this.masker.maskText(payload);
      this.count.n += r.count;
      data = r.text.split('\n');
    }
    const out: string[] = [];
    let placed = false;
    for (const l of lines) {
      if (!isData(l)) out.push(this.plain(l, '').toString());
      else if (!placed) {
        placed = true;
        for (const d of data) out.push(`data: ${d}`);
      }
    }
    return Buffer.from(out.map((l) => `${l}\n`).join(''));
  }

  private plain(text: string, eol: string): Buffer {
    const m = this.masker.maskText(text);
    this.count.n += m.count;
    return Buffer.from(m.text + eol);
  }
}

/**
 * A text body whose first non-blank byte opens a JSON object or array is masked as JSON (field rules
 * included): Go's net/http labels untyped JSON `text/plain`, and an agent reads it as JSON all the same.
 * Other text goes line by line. Decided on the first non-blank byte; blanks before it are bounded.
 */
export class SniffingMasker extends Transform {
  private delegate?: Transform;
  private held: Buffer[] = [];
  private heldSize = 0;

  constructor(
    private readonly make: (json: boolean) => Transform,
    private readonly max: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, enc: BufferEncoding, cb: TransformCallback): void {
    if (this.delegate) return this.delegate._transform(chunk, enc, cb);
    this.held.push(chunk);
    this.heldSize += chunk.length;
    const all = Buffer.concat(this.held);
    const i = all.findIndex((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
    if (i < 0)
      return this.heldSize > this.max
        ? cb(new Uninspectable(`a response starts with more than ${this.max} blank bytes and masking is on`))
        : cb();
    this.delegate = this.make(all[i] === 0x7b || all[i] === 0x5b);
    this.held = [];
    this.delegate._transform(all, enc, cb);
  }

  override _flush(cb: TransformCallback): void {
    if (this.delegate) return this.delegate._flush(cb);
    // Blank to the end: as text.
    this.delegate = this.make(false);
    const all = Buffer.concat(this.held);
    if (!all.length) return this.delegate._flush(cb);
    this.delegate._transform(all, 'buffer' as BufferEncoding, (err, data) => {
      if (err) return cb(err);
      this.delegate!._flush((err2, tail) =>
        cb(err2, data || tail ? Buffer.concat([data ?? Buffer.alloc(0), tail ?? Buffer.alloc(0)]) : undefined),
      );
    });
  }
}
