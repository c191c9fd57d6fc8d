/**
 * COPY TO rows exactly as PostgreSQL writes them (copyto.c): text format with its backslash escapes
 * (the delimiter inside data is written as `\` + delimiter, NULL as `\N`), CSV with its QUOTE and ESCAPE
 * characters. A row that does not split cleanly is reported as such (the caller masks all of it), so a
 * field never shifts against the column plan.
 */
import type { CopyInfo } from '../sql/types.js';

export interface CopyFormat {
  format: 'text' | 'csv';
  delimiter: string;
  quote: string;
  escape: string;
  null: string;
}

export interface CopyField {
  /** The value the field stands for (escapes undone, quotes removed). */
  value: string;
  /** SQL NULL: the row keeps the field as written. */
  isNull: boolean;
  raw: string;
}

export function copyFormat(copy: CopyInfo): CopyFormat {
  const csv = copy.format === 'csv';
  const quote = copy.quote ?? '"';
  return {
    format: csv ? 'csv' : 'text',
    delimiter: copy.delimiter ?? (csv ? ',' : '\t'),
    quote,
    escape: copy.escape ?? quote,
    null: copy.nullString ?? (csv ? '' : '\\N'),
  };
}

/** One row (without its line end) as fields, or undefined when it does not parse as PostgreSQL writes. */
export function splitCopyRow(line: string, f: CopyFormat): CopyField[] | undefined {
  return f.format === 'csv' ? splitCsv(line, f) : splitText(line, f);
}

/** A (masked) value as a field of the format. */
export function encodeCopyField(value: string, f: CopyFormat): string {
  if (f.format === 'text') return escapeText(value, f.delimiter);
  // Quoted when PostgreSQL would quote it (CopyAttributeOutCSV), so it can never read as NULL or split.
  const plain =
    value !== f.null && value !== '\\.' && ![f.delimiter, f.quote, '\n', '\r'].some((c) => value.includes(c));
  if (plain) return value;
  let out = f.quote;
  for (const ch of value) out += ch === f.quote || ch === f.escape ? f.escape + ch : ch;
  return out + f.quote;
}

function splitText(line: string, f: CopyFormat): CopyField[] | undefined {
  const fields: CopyField[] = [];
  let start = 0;
  for (let i = 0; i <= line.length; i++) {
    const ch = line[i];
    if (ch === '\\') {
      if (i + 1 >= line.length) return undefined; // a lone trailing backslash is never written
      i++;
      continue;
    }
    if (i === line.length || ch === f.delimiter) {
      const raw = line.slice(start, i);
      // A custom NULL string without a backslash can equal a value (which is written unescaped): not trusted as NULL.
      const isNull = raw === f.null && f.null.includes('\\');
      fields.push({ raw, isNull, value: isNull ? '' : unescapeText(raw) });
      start = i + 1;
    }
  }
  return fields;
}

/** CopyReadAttributesCSV, step by step: an escape before a quote or escape inside quotes, quotes anywhere. */
function splitCsv(line: string, f: CopyFormat): CopyField[] | undefined {
  const fields: CopyField[] = [];
  let i = 0;
  for (;;) {
    const start = i;
    let value = '';
    let sawQuote = false;
    for (;;) {
      if (i >= line.length) break;
      const c = line[i++]!;
      if (c === f.delimiter) {
        i--;
        break;
      }
      if (c !== f.quote) {
        value += c;
        continue;
      }
      sawQuote = true;
      for (;;) {
        if (i >= line.length) return undefined; // unterminated quoted field
        const q = line[i++]!;
        if (q === f.escape && i < line.length && (line[i] === f.escape || line[i] === f.quote)) {
          value += line[i++];
          continue;
        }
        if (q === f.quote) break;
        value += q;
      }
    }
    const raw = line.slice(start, i);
    fields.push({ raw, value, isNull: !sawQuote && raw === f.null });
    if (i >= line.length) return fields;
    i++; // the delimiter
  }
}

/** A field of COPY's text format as the value it stands for (backslash escapes undone). */
function unescapeText(f: string): string {
  if (!f.includes('\\')) return f;
  const named: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
  return f.replace(/\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|([\s\S]))/g, (_m, oct?: string, hex?: string, ch?: string) =>
    oct
      ? String.fromCharCode(parseInt(oct, 8) & 0xff)
      : hex
        ? String.fromCharCode(parseInt(hex, 16))
        : (named[ch!] ?? ch!),
  );
}

/** A value as a field of COPY's text format, escaped as PostgreSQL escapes it. */
function escapeText(s: string, delimiter: string): string {
  const named: Record<string, string> = {
    '\\': '\\\\',
    '\b': '\\b',
    '\f': '\\f',
    '\n': '\\n',
    '\r': '\\r',
    '\t': '\\t',
    '\v': '\\v',
  };
  let out = '';
  for (const ch of s) out += named[ch] ?? (ch === delimiter ? `\\${ch}` : ch);
  return out;
}
