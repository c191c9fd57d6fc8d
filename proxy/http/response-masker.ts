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
import type { JsonMasker } from './json-masker.js';

export class Uninspectable extends Error {}

export type BodyKind = 'json' | 'sse' | 'lines';

/** How the body of this content type is masked; undefined: it cannot be inspected. */
export function bodyKind(contentType: string | undefined): BodyKind | undefined {
  const t = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (t === 'text/event-stream') return 'sse';
  if (t === 'application/x-ndjson' || t === 'application/ndjson' || t === 'application/jsonl' || t === 'application/json-seq') return 'lines';
  if (t === 'application/json' || t.endsWith('+json')) return 'json';
  if (t === '' || t.startsWith('text/') || t === 'application/xml' || t.endsWith('+xml') || t === 'application/javascript' || t === 'application/x-www-form-urlencoded' || t === 'application/yaml' || t === 'application/x-yaml') return 'lines';
  return undefined;
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

/** Buffers a JSON document (bounded), masks it whole. */
export class JsonBodyMasker extends Transform {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly json: JsonMasker, private readonly masker: Masker, private readonly max: number, private readonly count: MaskCount) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.max) return cb(new Uninspectable(`the JSON response is larger than ${this.max} bytes (limits.maxResponseBodyBytes) and masking is on`));
    this.chunks.push(chunk);
    cb();
  }

  override _flush(cb: TransformCallback): void {
    const text = Buffer.concat(this.chunks).toString('utf8');
    this.chunks = [];
    if (text.trim() === '') return cb(null, Buffer.from(text));
    let out: string;
    try {
      const m = this.json.maskText(text);
      out = m.text;
      this.count.n += m.count;
    } catch {
      // Labelled JSON, but not JSON: field rules cannot be applied to it.
      if (this.json.active && !this.masker.scansValues) return cb(new Uninspectable('the response says it is JSON but does not parse, and field rules are on'));
      const m = this.masker.maskText(text);
      out = m.text;
      this.count.n += m.count;
    }
    cb(null, Buffer.from(out));
  }
}

/**
 * Masks a stream line by line (SSE `data:` payloads and NDJSON lines as JSON when they parse, other
 * lines by detectors). A line longer than `maxLine` cannot be masked without buffering it: refused.
 */
export class LineMasker extends Transform {
  private pending: Buffer[] = [];
  private pendingSize = 0;

  constructor(private readonly kind: 'sse' | 'lines', private readonly json: JsonMasker, private readonly masker: Masker, private readonly maxLine: number, private readonly count: MaskCount) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    let start = 0;
    const out: Buffer[] = [];
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, start)) {
      this.pending.push(chunk.subarray(start, i + 1));
      out.push(this.line(Buffer.concat(this.pending)));
      this.pending = [];
      this.pendingSize = 0;
      start = i + 1;
    }
    if (start < chunk.length) {
      this.pending.push(chunk.subarray(start));
      this.pendingSize += chunk.length - start;
      if (this.pendingSize > this.maxLine) return cb(new Uninspectable(`a response line is longer than ${this.maxLine} bytes and masking is on`));
    }
    cb(null, out.length ? Buffer.concat(out) : undefined);
  }

  override _flush(cb: TransformCallback): void {
    cb(null, this.pending.length ? this.line(Buffer.concat(this.pending)) : undefined);
  }

  private line(b: Buffer): Buffer {
    const s = b.toString('utf8');
    const eol = /\r?\n$/.exec(s)?.[0] ?? '';
    const body = s.slice(0, s.length - eol.length);
    let prefix = '';
    let payload = body;
    if (this.kind === 'sse') {
      const m = /^(data|event|id):( ?)/.exec(body);
      if (!m) return this.plain(body, eol);
      prefix = m[0];
      payload = body.slice(prefix.length);
    }
    if (/^\s*[[{]/.test(payload)) {
      try {
        const r = this.json.maskText(payload);
        this.count.n += r.count;
        return Buffer.from(prefix + r.text + eol);
      } catch {
        // not JSON: detectors below
      }
    }
    return this.plain(prefix + payload, eol);
  }

  private plain(text: string, eol: string): Buffer {
    const m = this.masker.maskText(text);
    this.count.n += m.count;
    return Buffer.from(m.text + eol);
  }
}
