/**
 * Masks what the database sends back before the agent sees it: DataRow values (text and binary
 * formats), COPY ... TO STDOUT rows, NotificationResponse payloads, and every text field of
 * ErrorResponse/NoticeResponse. Column rules match the result column's name or the underlying table
 * column (so `SELECT ssn AS x` is still masked), and, through the statement's lineage (DerivedMask),
 * every output the server cannot trace to a plain table column. Binary values are decoded where their
 * form is known; a binary value the proxy cannot inspect (arrays, records, ranges, anything not listed
 * here) or that cannot carry a mask in its own type becomes NULL.
 */
import { BIND_ERRORS_MASK, type DerivedMask } from '../masking/lineage-rule.js';
import type { MaskStrategy } from '../../shared/contract/policy-types.js';
import type { Masker } from '../masking/masker.js';
import type { CopyInfo } from '../sql/types.js';
import { maskWithEmbeddedBytea } from '../masking/embedded-bytea.js';
import { maskJsonColumns } from '../masking/json-columns.js';
import { copyFormat, encodeCopyField, splitCopyRow } from './copy-format.js';
import {
  buildErrorNotice,
  buildNotification,
  errorResponse,
  parseErrorNotice,
  parseNotification,
  ProtocolError,
  type Column,
  type Message,
} from './protocol.js';

/** Type OIDs whose binary form is their UTF-8 text (json's too). */
const TEXT_TYPES = new Set([25, 1043, 1042, 19, 18, 705, 114, 142]);
const JSON_TYPE = 114;
const JSONB = 3802;
const INT_TYPES: Record<number, number> = { 20: 8, 23: 4, 21: 2, 26: 4 };
const FLOAT_TYPES: Record<number, number> = { 700: 4, 701: 8 };
const NUMERIC = 1700;
const BYTEA = 17;
const UUID = 2950;
/** Fixed-width binary types that cannot hold text: bool, date, time, timetz, timestamp, timestamptz, interval. */
const NO_TEXT_TYPES = new Set([16, 1082, 1083, 1266, 1114, 1184, 1186]);
/** ErrorResponse fields that are protocol metadata, never text from data: severity, code, positions, source line. */
const METADATA_FIELDS = 'SVCPpL';
/** Fields whose text may quote a value the statement read; withheld when it reads a ruled column. */
const VALUE_FIELDS = 'MDHWq';

export interface ColumnPlan {
  /** Whole-column strategy from a column rule (by name, by underlying column, or by lineage). */
  strategy?: MaskStrategy;
  label: string;
  typeOid: number;
  binary: boolean;
}

export type RowPlan = ColumnPlan[];

export interface ColumnNames {
  columnName(tableOid: number, attnum: number): string | undefined;
  /** Undefined when the catalog's columns are not loaded: then no origin can be trusted to be unruled. */
  hasRuledColumn(relation: string): boolean | undefined;
  /** Whether a miss in columnName() is definite (the catalog knew the table and that attribute). */
  covers?(tableOid: number, attnum: number): boolean;
  /** A view whose definition reads a ruled column: its columns are reported with the view as their origin. */
  isRuledView?(relationOid: number): boolean;
  /** A generated column computed from a ruled column: that column's name. */
  ruledGeneratedColumn?(tableOid: number, attnum: number): string | undefined;
  /** The same, by column name (any table). */
  isRuledGeneratedName?(name: string): boolean;
}

export class ResultMasker {
  constructor(
    private readonly masker: Masker,
    private readonly columns?: () => ColumnNames,
  ) {}

  /** Whether results need looking at at all. */
  get active(): boolean {
    return this.masker.scansValues || this.masker.hasColumnRules;
  }

  /**
   * Per result column: its name's rule, else its underlying table column's rule, else (no plain table
   * origin, in a statement that reads a ruled column) the statement's derived mask.
   */
  plan(cols: Column[], mask?: DerivedMask): RowPlan {
    const derived = mask?.errorsOnly ? undefined : mask;
    const catalog = this.columns?.();
    // Without the catalog's columns, a plain table origin may still be a ruled column under another name.
    const originsKnown = catalog?.hasRuledColumn('') !== undefined;
    return cols.map((c) => {
      let strategy = this.masker.columnStrategy(c.name);
      let label = c.name;
      if (!strategy && c.tableOid && this.masker.hasColumnRules && catalog?.isRuledView?.(c.tableOid)) {
        strategy = 'redact';
        label = mask?.label ?? 'view';
      }
      if (!strategy && c.tableOid && catalog) {
        const underlying = catalog.columnName(c.tableOid, c.attnum);
        if (underlying) {
          strategy = this.masker.columnStrategy(underlying);
          label = underlying;
        } else if (this.masker.hasColumnRules && catalog.ruledGeneratedColumn?.(c.tableOid, c.attnum) !== undefined) {
          // `GENERATED ALWAYS AS (lower(notes))`: derived from a ruled column, so redacted as derived outputs are.
          strategy = 'redact';
          label = catalog.ruledGeneratedColumn(c.tableOid, c.attnum)!;
        } else if (this.masker.hasColumnRules && catalog.covers?.(c.tableOid, c.attnum) === false) {
          // A column newer than the catalog snapshot could be one a column rule names: fail closed.
          strategy = 'redact';
        }
      }
      // attnum 0 is a whole-row reference (`SELECT c FROM customers c`): a table origin, but every column in one value.
      if (!strategy && derived && (!c.tableOid || c.attnum === 0 || !originsKnown)) {
        strategy = derived.strategy;
        label = derived.label;
      }
      return { ...(strategy ? { strategy } : {}), label, typeOid: c.typeOid, binary: c.format === 1 };
    });
  }

  /**
   * Plan for COPY TO rows, when the statement named its columns: as the same SELECT would be masked.
   * A column that is not a plain table column gets the derived mask (COPY has no RowDescription).
   */
  copyPlan(copy: CopyInfo, mask?: DerivedMask): RowPlan | undefined {
    if (!copy.columns) return undefined;
    const derived = mask?.errorsOnly ? undefined : mask;
    const catalog = this.columns?.();
    return copy.columns.map((name, i) => {
      const source = copy.sources?.[i];
      let strategy = this.masker.columnStrategy(name) ?? (source ? this.masker.columnStrategy(source) : undefined);
      let label = strategy && source && !this.masker.columnStrategy(name) ? source : name;
      if (!strategy && this.masker.hasColumnRules && source && catalog?.isRuledGeneratedName?.(source))
        strategy = 'redact';
      if (!strategy && derived && (!source || derived.viaView)) {
        strategy = derived.strategy;
        label = derived.label;
      }
      return { ...(strategy ? { strategy } : {}), label, typeOid: 25, binary: false };
    });
  }

  /**
   * Returns a rewritten DataRow, or undefined when nothing was masked. Nothing is copied until a value
   * is replaced; the rewritten row is then assembled in one buffer of its exact size. A row whose values
   * do not fill the message exactly is a ProtocolError (the session ends): never forwarded unmasked.
   */
  dataRow(m: Message, plan: RowPlan | undefined): { buf: Buffer; count: number } | undefined {
    const { buf, end } = m;
    if (end - m.start < 7) throw new ProtocolError('malformed DataRow message: truncated');
    let pos = m.start + 5;
    const n = buf.readInt16BE(pos);
    pos += 2;
    // Replaced values as (start of the value's length word, end of the value, replacement) triples.
    let edits: (number | Buffer | null)[] | undefined;
    let size = end - m.start;
    let count = 0;
    for (let i = 0; i < n; i++) {
      if (pos + 4 > end) throw new ProtocolError('malformed DataRow message: truncated');
      const len = buf.readInt32BE(pos);
      const valStart = pos + 4;
      const valEnd = len < 0 ? valStart : valStart + len;
      if (valEnd > end) throw new ProtocolError('malformed DataRow message: a value runs past its end');
      pos = valEnd;
      if (len < 0) continue;
      const replacement = this.value(buf, valStart, valEnd, plan?.[i]);
      if (replacement === undefined) continue;
      count += replacement.count;
      (edits ??= []).push(valStart - 4, valEnd, replacement.value);
      size += (replacement.value?.length ?? 0) - len;
    }
    if (pos !== end) throw new ProtocolError('malformed DataRow message: trailing bytes');
    if (!edits) return undefined;
    const out = Buffer.allocUnsafe(size);
    out[0] = 0x44;
    out.writeInt32BE(size - 1, 1);
    out.writeInt16BE(n, 5);
    let at = 7;
    let copiedTo = m.start + 7;
    for (let k = 0; k < edits.length; k += 3) {
      const from = edits[k] as number;
      const value = edits[k + 2] as Buffer | null;
      at += buf.copy(out, at, copiedTo, from);
      at = out.writeInt32BE(value === null ? -1 : value.length, at);
      if (value !== null) at += value.copy(out, at);
      copiedTo = edits[k + 1] as number;
    }
    buf.copy(out, at, copiedTo, end);
    return { buf: out, count };
  }

  /** A replacement for one value (null = SQL NULL), or undefined to keep it. */
  private value(
    buf: Buffer,
    a: number,
    b: number,
    col: ColumnPlan | undefined,
  ): { value: Buffer | null; count: number } | undefined {
    const binary = col?.binary ?? false;
    const typeOid = col?.typeOid ?? 0;
    if (col?.strategy) {
      if (binary && !carriesText(typeOid)) return { value: null, count: 1 };
      const text = decodeValue(buf, a, b, typeOid, binary) ?? '';
      return { value: encodeText(this.masker.apply(text, col.strategy, col.label), binary, typeOid), count: 1 };
    }
    if (!this.masker.scansValues || b === a) return undefined;
    const text = decodeValue(buf, a, b, typeOid, binary);
    // Not inspectable in this form (arrays, records, ranges, unknown types): never passed through.
    if (text === undefined) return { value: null, count: 1 };
    const r = binary || typeOid === BYTEA ? this.masker.maskText(text) : maskWithEmbeddedBytea(this.masker, text);
    if (!r.count) return undefined;
    return { value: !binary || carriesText(typeOid) ? encodeText(r.text, binary, typeOid) : null, count: r.count };
  }

  /** A NoticeResponse naming the binary-format columns whose values will arrive as NULL (not inspectable). */
  uninspectableNotice(plan: RowPlan): Buffer | undefined {
    if (!this.masker.scansValues) return undefined;
    const cols = plan.filter((c) => c.binary && !c.strategy && !inspectsBinary(c.typeOid)).map((c) => c.label);
    if (!cols.length) return undefined;
    return errorResponse(
      {
        severity: 'NOTICE',
        code: '01000',
        message: `agentgate: binary-format values of ${cols.map((c) => `"${c}"`).join(', ')} are returned as NULL: the proxy cannot inspect that type in binary form for sensitive values`,
        hint: 'request these columns in text format',
      },
      'N',
    );
  }

  /**
   * One COPY TO row (text or csv format), split as PostgreSQL writes it. A row that does not split into
   * exactly the plan's fields is masked whole: a field never shifts against its column's rule.
   */
  copyRow(m: Message, copy: CopyInfo, plan: RowPlan | undefined): { buf: Buffer; count: number } | undefined {
    const line = m.buf.toString('utf8', m.start + 5, m.end);
    const nl = line.endsWith('\n') ? '\n' : '';
    const format = copyFormat(copy);
    const fields = splitCopyRow(nl ? line.slice(0, -1) : line, format);
    let count = 0;
    let out: string[];
    if (!fields || (plan && fields.length !== plan.length)) {
      out = Array.from({ length: plan?.length || 1 }, () =>
        encodeCopyField(this.masker.apply('', 'redact', 'copy-row'), format),
      );
      count = out.length;
    } else {
      out = fields.map((f, i) => {
        if (f.isNull) return f.raw;
        const col = plan?.[i];
        if (col?.strategy) {
          count++;
          return encodeCopyField(this.masker.apply(f.value, col.strategy, col.label), format);
        }
        // COPY carries no types: bytea's hex form (whole or inside an array or record) is also looked at as bytes.
        const r = maskWithEmbeddedBytea(this.masker, f.value);
        count += r.count;
        return r.count ? encodeCopyField(r.text, format) : f.raw;
      });
    }
    if (!count) return undefined;
    const payload = Buffer.from(out.join(format.delimiter) + nl, 'utf8');
    const buf = Buffer.allocUnsafe(5 + payload.length);
    buf[0] = 0x64;
    buf.writeInt32BE(4 + payload.length, 1);
    payload.copy(buf, 5);
    return { buf, count };
  }

  /**
   * ErrorResponse/NoticeResponse with sensitive values masked in every text field. In a statement that
   * reads a ruled column (`derived`), the database's own text may quote that column's values
   * (`invalid input syntax for type integer: "123-45-6789"`), and a column rule masks by origin, not
   * by pattern: so message, detail, hint, context and internal query are withheld, keeping the
   * SQLSTATE. Parse-analysis errors (class 42 with a cursor position) only quote the statement's own
   * text and are kept.
   */
  errorNotice(m: Message, derived?: DerivedMask): { buf: Buffer; count: number } | undefined {
    if (!this.masker.scansValues && !derived && !this.masker.hasColumnRules) return undefined;
    const e = parseErrorNotice(m);
    const analysis = e.code?.startsWith('42') && e.fields.some(([k]) => k === 'P');
    const withhold = derived !== undefined && !analysis;
    // A constraint violation raised by a trigger or a deferred check (at COMMIT) may quote a row of a table
    // the statement never named ("Failing row contains (...)", "Key (...)=(...)"): its detail never passes.
    const integrity = !withhold && this.masker.hasColumnRules && e.code?.startsWith('23') ? 'DWq' : '';
    let count = 0;
    const fields: [string, string][] = [];
    for (const [k, v] of e.fields) {
      if (METADATA_FIELDS.includes(k)) fields.push([k, v]);
      else if (integrity.includes(k)) count++;
      else if (withhold && VALUE_FIELDS.includes(k)) {
        count++;
        const why =
          derived.reason ??
          (derived === BIND_ERRORS_MASK
            ? 'was planned at Bind, where functions over masked columns may run'
            : derived.touchOnly
              ? `touches a table with a masked column (${derived.label}), whose rows and keys it may quote`
              : `reads a masked column (${derived.label}) whose values it may quote`);
        if (k === 'M')
          fields.push([
            k,
            `agentgate: the database's message is withheld (SQLSTATE ${e.code ?? 'unknown'}): this statement ${why}`,
          ]);
      } else {
        const r = maskWithEmbeddedBytea(this.masker, v);
        count += r.count;
        fields.push([k, r.text]);
      }
    }
    return count ? { buf: buildErrorNotice(m.type, fields), count } : undefined;
  }

  /** NotificationResponse (LISTEN/NOTIFY) with its channel and payload masked (JSON keys naming ruled columns too), framing rebuilt exactly. */
  notification(m: Message): { buf: Buffer; count: number } | undefined {
    if (!this.masker.scansValues && !this.masker.hasColumnRules) return undefined;
    const n = parseNotification(m);
    const channel = this.masker.maskText(n.channel);
    const catalog = this.columns?.();
    const columns = maskJsonColumns(this.masker, n.payload, (k) => catalog?.isRuledGeneratedName?.(k) === true);
    const payload = maskWithEmbeddedBytea(this.masker, columns.text);
    const count = channel.count + columns.count + payload.count;
    return count ? { buf: buildNotification(n.pid, channel.text, payload.text), count } : undefined;
  }

  maskText(s: string): { text: string; count: number } {
    return this.masker.maskText(s);
  }
}

function isTextLike(oid: number): boolean {
  return TEXT_TYPES.has(oid) || oid === JSONB;
}

/** Whether a binary value of this type is decoded and inspected rather than nulled. */
function inspectsBinary(typeOid: number): boolean {
  return (
    isTextLike(typeOid) ||
    typeOid in INT_TYPES ||
    typeOid in FLOAT_TYPES ||
    typeOid === NUMERIC ||
    typeOid === BYTEA ||
    typeOid === UUID ||
    NO_TEXT_TYPES.has(typeOid)
  );
}

/** Types whose values can hold a masked text in their own form. */
function carriesText(oid: number): boolean {
  return isTextLike(oid) || oid === BYTEA;
}

/** The text a value stands for, in either format; undefined when a binary form is not inspectable. */
function decodeValue(buf: Buffer, a: number, b: number, typeOid: number, binary: boolean): string | undefined {
  if (binary) return binaryText(buf, a, b, typeOid);
  const text = buf.toString('utf8', a, b);
  return typeOid === BYTEA ? byteaTextAsLatin1(text) : text;
}

/** A (masked) text as a value of the column's type and format; json stays valid JSON, bytea stays bytea. */
function encodeText(s: string, binary: boolean, typeOid: number): Buffer {
  if (typeOid === JSON_TYPE || typeOid === JSONB) {
    const json = isJson(s) ? s : JSON.stringify(s);
    return binary && typeOid === JSONB
      ? Buffer.concat([Buffer.from([1]), Buffer.from(json, 'utf8')])
      : Buffer.from(json, 'utf8');
  }
  if (typeOid === BYTEA)
    return binary ? Buffer.from(s, 'latin1') : Buffer.from(`\\x${Buffer.from(s, 'latin1').toString('hex')}`);
  return Buffer.from(s, 'utf8');
}

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

/** The text a binary value stands for ('' for types that cannot hold text); undefined when not inspectable. */
function binaryText(buf: Buffer, a: number, b: number, typeOid: number): string | undefined {
  if (typeOid === JSONB) return buf[a] === 1 ? buf.toString('utf8', a + 1, b) : undefined;
  if (TEXT_TYPES.has(typeOid)) return buf.toString('utf8', a, b);
  if (typeOid === BYTEA) return buf.toString('latin1', a, b);
  const width = INT_TYPES[typeOid];
  if (width) {
    if (b - a !== width) return undefined;
    if (width === 8) return buf.readBigInt64BE(a).toString();
    if (typeOid === 26) return String(buf.readUInt32BE(a));
    return String(width === 4 ? buf.readInt32BE(a) : buf.readInt16BE(a));
  }
  const fwidth = FLOAT_TYPES[typeOid];
  if (fwidth) {
    if (b - a !== fwidth) return undefined;
    const v = fwidth === 8 ? buf.readDoubleBE(a) : buf.readFloatBE(a);
    return Number.isInteger(v) ? BigInt(v).toString() : String(v);
  }
  if (typeOid === NUMERIC) return numericText(buf, a, b);
  if (typeOid === UUID) return b - a === 16 ? buf.toString('hex', a, b) : undefined;
  if (NO_TEXT_TYPES.has(typeOid)) return '';
  return undefined;
}

/** PostgreSQL's binary numeric (base-10000 digits, weight, display scale) as its decimal text. */
export function numericText(buf: Buffer, a: number, b: number): string | undefined {
  if (b - a < 8) return undefined;
  const ndigits = buf.readInt16BE(a);
  const weight = buf.readInt16BE(a + 2);
  const sign = buf.readUInt16BE(a + 4);
  const dscale = buf.readInt16BE(a + 6);
  if (sign === 0xc000) return 'NaN';
  if (sign === 0xd000) return 'Infinity';
  if (sign === 0xf000) return '-Infinity';
  if ((sign !== 0 && sign !== 0x4000) || ndigits < 0 || dscale < 0 || b - a !== 8 + ndigits * 2) return undefined;
  const digit = (i: number): number => (i >= 0 && i < ndigits ? buf.readInt16BE(a + 8 + i * 2) : 0);
  let intPart = '';
  for (let i = 0; i <= weight; i++) intPart += i === 0 ? String(digit(i)) : String(digit(i)).padStart(4, '0');
  let frac = '';
  for (let i = weight + 1; frac.length < dscale; i++) frac += String(digit(i)).padStart(4, '0');
  frac = frac.slice(0, dscale);
  return (sign === 0x4000 ? '-' : '') + (intPart || '0') + (frac ? `.${frac}` : '');
}

/** bytea in text output (`\x` hex, or the old escape format) as the bytes it stands for. */
function byteaTextAsLatin1(text: string): string {
  if (text.startsWith('\\x')) return Buffer.from(text.slice(2), 'hex').toString('latin1');
  return text;
}
