/**
 * Masks what the database sends back before the agent sees it: DataRow values (text and binary
 * formats), COPY ... TO STDOUT rows, and the text fields of ErrorResponse/NoticeResponse. Column rules
 * match the result column's name or the underlying table column (so `SELECT ssn AS x` is still masked).
 * Binary values that cannot carry a mask in their own type become NULL.
 */
import type { MaskStrategy } from '../policy/types.js';
import type { Masker } from '../masking/masker.js';
import type { CopyInfo } from '../sql/types.js';
import { buildErrorNotice, parseErrorNotice, type Column, type Message } from './protocol.js';

/** Type OIDs whose binary form is their text (json/jsonb/xml have a simple wrapper). */
const TEXT_TYPES = new Set([25, 1043, 1042, 19, 18, 705, 114, 142]);
const JSONB = 3802;
const INT_TYPES: Record<number, number> = { 20: 8, 23: 4, 21: 2 };
const NUMERIC = 1700;

export interface ColumnPlan {
  /** Whole-column strategy from a column rule. */
  strategy?: MaskStrategy;
  label: string;
  typeOid: number;
  binary: boolean;
}

export type RowPlan = ColumnPlan[];

export interface ColumnNames {
  columnName(tableOid: number, attnum: number): string | undefined;
  /** Whether a miss in columnName() is definite (the catalog knew the table and that attribute). */
  covers?(tableOid: number, attnum: number): boolean;
}

export class ResultMasker {
  constructor(private readonly masker: Masker, private readonly columns?: () => ColumnNames) {}

  /** Whether results need looking at at all. */
  get active(): boolean {
    return this.masker.scansValues || this.masker.hasColumnRules;
  }

  plan(cols: Column[]): RowPlan {
    return cols.map((c) => {
      let strategy = this.masker.columnStrategy(c.name);
      let label = c.name;
      if (!strategy && c.tableOid && this.columns) {
        const names = this.columns();
        const underlying = names.columnName(c.tableOid, c.attnum);
        if (underlying) {
          strategy = this.masker.columnStrategy(underlying);
          label = underlying;
        } else if (this.masker.hasColumnRules && names.covers?.(c.tableOid, c.attnum) === false) {
          // A column newer than the catalog snapshot could be one a column rule names: fail closed.
          strategy = 'redact';
        }
      }
      return { ...(strategy ? { strategy } : {}), label, typeOid: c.typeOid, binary: c.format === 1 };
    });
  }

  /** Plan for COPY TO rows, when the statement named its columns. */
  copyPlan(copy: CopyInfo): RowPlan | undefined {
    if (!copy.columns) return undefined;
    return copy.columns.map((name) => {
      const strategy = this.masker.columnStrategy(name);
      return { ...(strategy ? { strategy } : {}), label: name, typeOid: 25, binary: false };
    });
  }

  /** Returns a rewritten DataRow, or undefined when nothing was masked. */
  dataRow(m: Message, plan: RowPlan | undefined): { buf: Buffer; count: number } | undefined {
    const { buf, end } = m;
    let pos = m.start + 5;
    const n = buf.readInt16BE(pos);
    pos += 2;
    let parts: Buffer[] | undefined;
    let copiedTo = m.start + 7;
    let count = 0;
    for (let i = 0; i < n; i++) {
      if (pos + 4 > end) return undefined; // malformed: leave it to the client to refuse
      const len = buf.readInt32BE(pos);
      const valStart = pos + 4;
      const valEnd = len < 0 ? valStart : valStart + len;
      pos = valEnd;
      if (len < 0) continue;
      const col = plan?.[i];
      const replacement = this.value(buf, valStart, valEnd, col);
      if (replacement === undefined) continue;
      count += replacement.count;
      parts ??= [];
      parts.push(buf.subarray(copiedTo, valStart - 4), lengthPrefixed(replacement.value));
      copiedTo = valEnd;
    }
    if (!parts) return undefined;
    parts.push(buf.subarray(copiedTo, end));
    const body = Buffer.concat(parts);
    const out = Buffer.allocUnsafe(7 + body.length);
    out[0] = 0x44;
    out.writeInt32BE(6 + body.length, 1);
    out.writeInt16BE(n, 5);
    body.copy(out, 7);
    return { buf: out, count };
  }

  /** A replacement for one value (null = SQL NULL), or undefined to keep it. */
  private value(buf: Buffer, a: number, b: number, col: ColumnPlan | undefined): { value: Buffer | null; count: number } | undefined {
    const binary = col?.binary ?? false;
    if (col?.strategy) {
      if (binary && !isTextLike(col.typeOid)) return { value: null, count: 1 };
      const text = binary ? binaryText(buf, a, b, col.typeOid) ?? '' : buf.toString('utf8', a, b);
      return { value: encodeText(this.masker.apply(text, col.strategy, col.label), binary, col.typeOid), count: 1 };
    }
    if (!this.masker.scansValues || b - a < 6) return undefined;
    if (!binary) {
      const text = buf.toString('utf8', a, b);
      const r = this.masker.maskText(text);
      return r.count ? { value: Buffer.from(r.text, 'utf8'), count: r.count } : undefined;
    }
    const typeOid = col?.typeOid ?? 0;
    const text = binaryText(buf, a, b, typeOid);
    if (text === undefined) return undefined;
    const r = this.masker.maskText(text);
    if (!r.count) return undefined;
    return { value: isTextLike(typeOid) ? encodeText(r.text, true, typeOid) : null, count: r.count };
  }

  /** One COPY TO row (text or csv format). */
  copyRow(m: Message, copy: CopyInfo, plan: RowPlan | undefined): { buf: Buffer; count: number } | undefined {
    const line = m.buf.toString('utf8', m.start + 5, m.end);
    const nl = line.endsWith('\n') ? '\n' : '';
    const body = nl ? line.slice(0, -1) : line;
    const delimiter = copy.delimiter ?? (copy.format === 'csv' ? ',' : '\t');
    const fields = copy.format === 'csv' ? splitCsv(body, delimiter, copy.quote ?? '"') : body.split(delimiter);
    let count = 0;
    const out = fields.map((f, i) => {
      if (copy.format === 'text' && f === '\\N') return f;
      const value = copy.format === 'csv' ? unquoteCsv(f, copy.quote ?? '"') : f;
      const col = plan?.[i];
      let masked: string | undefined;
      if (col?.strategy) masked = this.masker.apply(value, col.strategy, col.label);
      else {
        const r = this.masker.maskText(value);
        if (r.count) masked = r.text;
        count += r.count;
      }
      if (masked === undefined) return f;
      if (col?.strategy) count++;
      return copy.format === 'csv' ? quoteCsv(masked, delimiter, copy.quote ?? '"') : escapeCopyText(masked, delimiter);
    });
    if (!count) return undefined;
    const payload = Buffer.from(out.join(delimiter) + nl, 'utf8');
    const buf = Buffer.allocUnsafe(5 + payload.length);
    buf[0] = 0x64;
    buf.writeInt32BE(4 + payload.length, 1);
    payload.copy(buf, 5);
    return { buf, count };
  }

  /** ErrorResponse/NoticeResponse with sensitive values in its text fields masked. */
  errorNotice(m: Message): { buf: Buffer; count: number } | undefined {
    if (!this.masker.scansValues) return undefined;
    const e = parseErrorNotice(m);
    let count = 0;
    const fields = e.fields.map(([k, v]): [string, string] => {
      if ('SVCPpFLR'.includes(k)) return [k, v];
      const r = this.masker.maskText(v);
      count += r.count;
      return [k, r.text];
    });
    return count ? { buf: buildErrorNotice(m.type, fields), count } : undefined;
  }

  maskText(s: string): { text: string; count: number } {
    return this.masker.maskText(s);
  }
}

function isTextLike(oid: number): boolean {
  return TEXT_TYPES.has(oid) || oid === JSONB;
}

function lengthPrefixed(v: Buffer | null): Buffer {
  if (v === null) {
    const b = Buffer.alloc(4);
    b.writeInt32BE(-1);
    return b;
  }
  const b = Buffer.allocUnsafe(4 + v.length);
  b.writeInt32BE(v.length);
  v.copy(b, 4);
  return b;
}

function encodeText(s: string, binary: boolean, typeOid: number): Buffer {
  const b = Buffer.from(s, 'utf8');
  return binary && typeOid === JSONB ? Buffer.concat([Buffer.from([1]), Buffer.from(JSON.stringify(s))]) : binary && typeOid === 114 ? Buffer.from(JSON.stringify(s)) : b;
}

/** The text a binary value stands for, for the types that can hold a sensitive value. */
function binaryText(buf: Buffer, a: number, b: number, typeOid: number): string | undefined {
  if (typeOid === JSONB) return buf.toString('utf8', a + 1, b);
  if (TEXT_TYPES.has(typeOid)) return buf.toString('utf8', a, b);
  const width = INT_TYPES[typeOid];
  if (width && b - a === width) {
    if (width === 8) return buf.readBigInt64BE(a).toString();
    return String(width === 4 ? buf.readInt32BE(a) : buf.readInt16BE(a));
  }
  if (typeOid === NUMERIC) return numericText(buf, a, b);
  return undefined;
}

/** Decodes PostgreSQL's binary numeric (base-10000 digits) far enough to see card-like numbers. */
function numericText(buf: Buffer, a: number, b: number): string | undefined {
  if (b - a < 8) return undefined;
  const ndigits = buf.readInt16BE(a);
  const weight = buf.readInt16BE(a + 2);
  const sign = buf.readUInt16BE(a + 4);
  if (sign === 0xc000 || b - a !== 8 + ndigits * 2) return undefined;
  let intPart = '';
  for (let i = 0; i <= weight; i++) {
    const d = i < ndigits ? buf.readInt16BE(a + 8 + i * 2) : 0;
    intPart += i === 0 ? String(d) : String(d).padStart(4, '0');
  }
  return (sign === 0x4000 ? '-' : '') + (intPart || '0');
}

function escapeCopyText(s: string, delimiter: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').split(delimiter).join(`\\${delimiter}`);
}

function splitCsv(line: string, delimiter: string, quote: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuote = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === quote) inQuote = !inQuote;
    if (ch === delimiter && !inQuote) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function unquoteCsv(f: string, quote: string): string {
  if (f.length >= 2 && f.startsWith(quote) && f.endsWith(quote)) return f.slice(1, -1).split(quote + quote).join(quote);
  return f;
}

function quoteCsv(s: string, delimiter: string, quote: string): string {
  return s.includes(delimiter) || s.includes(quote) || s.includes('\n') ? quote + s.split(quote).join(quote + quote) + quote : s;
}
