/**
 * Literal-normalized text of a statement, for grouping statements in the audit trail (`fingerprint`):
 * every literal replaced by a placeholder of its token kind, comments dropped, whitespace collapsed and
 * unquoted identifiers lowercased, following PostgreSQL's lexical rules (scan.l) for strings ('', E'',
 * U&'', B'', X'', N''), dollar quotes, quoted identifiers, nested comments and numbers.
 *
 * Grouping only: it never decides anything. It is not a sound identity of a statement's meaning (option
 * literals such as EXPLAIN (ANALYZE 'off') or COPY (FORMAT 'binary'), UESCAPE characters and JavaScript's
 * Unicode lowercasing, which PostgreSQL does not do, all change meaning under the same key), so the
 * classifier's cache is keyed on the exact text instead. Anything this lexer cannot follow returns
 * undefined.
 */

import { hash } from 'node:crypto';

export interface StatementKey {
  key: string;
}

const isIdentStart = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 128;
const isIdentChar = (c: number): boolean => isIdentStart(c) || (c >= 48 && c <= 57) || c === 36;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;

export function statementKey(sql: string, maxLength = 4096): StatementKey | undefined {
  if (sql.length > maxLength) return undefined;
  const n = sql.length;
  let out = '';
  let i = 0;
  const space = (): void => {
    if (out.length > 0 && out.charCodeAt(out.length - 1) !== 32) out += ' ';
  };

  while (i < n) {
    const c = sql.charCodeAt(i);
    if (isSpace(c)) {
      space();
      i++;
      continue;
    }
    // -- comment to end of line
    if (c === 45 && sql.charCodeAt(i + 1) === 45) {
      while (i < n && sql.charCodeAt(i) !== 10 && sql.charCodeAt(i) !== 13) i++;
      space();
      continue;
    }
    // /* nested comments */
    if (c === 47 && sql.charCodeAt(i + 1) === 42) {
      let level = 0;
      while (i < n) {
        if (sql.charCodeAt(i) === 47 && sql.charCodeAt(i + 1) === 42) {
          level++;
          i += 2;
        } else if (sql.charCodeAt(i) === 42 && sql.charCodeAt(i + 1) === 47) {
          level--;
          i += 2;
          if (level === 0) break;
        } else i++;
      }
      if (level !== 0) return undefined;
      space();
      continue;
    }
    // String constants, with prefixes E/e (backslash escapes), U&, B/b, X/x, N/n. The lexer is always at
    // a token start here (identifiers are consumed whole), so a letter before a quote is a prefix.
    const next = sql.charCodeAt(i + 1);
    let strAt = -1;
    if (c === 39) strAt = i;
    else if (next === 39 && 'EeBbXxNn'.includes(sql[i]!)) strAt = i + 1;
    else if ((c === 85 || c === 117) && next === 38 && sql.charCodeAt(i + 2) === 39) strAt = i + 2;
    if (strAt >= 0) {
      const bits = strAt === i + 1 && 'BbXx'.includes(sql[i]!);
      const end = skipQuoted(sql, strAt, c === 69 || c === 101);
      if (end < 0) return undefined;
      i = end;
      out += bits ? '?b' : '?s';
      continue;
    }
    if ((c === 85 || c === 117) && next === 38 && sql.charCodeAt(i + 2) === 34) {
      const end = skipQuotedIdent(sql, i + 2);
      if (end < 0) return undefined;
      out += sql.slice(i, end);
      i = end;
      continue;
    }
    // Dollar-quoted strings: $tag$ ... $tag$ (a tag never starts with a digit; $1 is a parameter).
    if (c === 36 && !(i > 0 && isIdentChar(sql.charCodeAt(i - 1)))) {
      let j = i + 1;
      if (j < n && !isDigit(sql.charCodeAt(j))) {
        while (j < n && isIdentChar(sql.charCodeAt(j)) && sql.charCodeAt(j) !== 36) j++;
        if (sql.charCodeAt(j) === 36) {
          const tag = sql.slice(i, j + 1);
          const close = sql.indexOf(tag, j + 1);
          if (close < 0) return undefined;
          i = close + tag.length;
          out += '?s';
          continue;
        }
      }
      // parameter $n
      j = i + 1;
      while (j < n && isDigit(sql.charCodeAt(j))) j++;
      out += sql.slice(i, j);
      i = j;
      continue;
    }
    // Quoted identifiers "..." (and U&"..."): kept verbatim.
    if (c === 34) {
      const end = skipQuotedIdent(sql, i);
      if (end < 0) return undefined;
      out += sql.slice(i, end);
      i = end;
      continue;
    }
    // Numbers: 12, 1.5, .5, 1e-3, 0x1F, 1_000.
    if (isDigit(c) || (c === 46 && isDigit(next))) {
      let j = i;
      while (j < n) {
        const d = sql.charCodeAt(j);
        if (isDigit(d) || d === 46 || d === 95 || (d >= 97 && d <= 122) || (d >= 65 && d <= 90)) {
          if ((d === 101 || d === 69) && (sql.charCodeAt(j + 1) === 43 || sql.charCodeAt(j + 1) === 45)) j++;
          j++;
        } else break;
      }
      // "1..2" or a dot followed by an identifier is not a number we understand.
      if (sql.slice(i, j).includes('..')) return undefined;
      out += '?n';
      i = j;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentChar(sql.charCodeAt(j))) j++;
      out += sql.slice(i, j).toLowerCase();
      i = j;
      continue;
    }
    out += sql[i];
    i++;
  }
  return { key: out.trim() };
}

/** Index just past the closing quote of a '...' string starting at `start`, or -1. */
function skipQuoted(sql: string, start: number, backslashEscapes: boolean): number {
  let i = start + 1;
  const n = sql.length;
  for (;;) {
    while (i < n) {
      const c = sql.charCodeAt(i);
      if (backslashEscapes && c === 92) {
        i += 2;
        continue;
      }
      if (c === 39) {
        if (sql.charCodeAt(i + 1) === 39) {
          i += 2;
          continue;
        }
        break;
      }
      i++;
    }
    if (i >= n) return -1;
    i++;
    // 'a'\n'b' continues the same constant when only whitespace with a newline separates them.
    let j = i;
    let newline = false;
    while (j < n && isSpace(sql.charCodeAt(j))) {
      if (sql.charCodeAt(j) === 10 || sql.charCodeAt(j) === 13) newline = true;
      j++;
    }
    if (newline && sql.charCodeAt(j) === 39) {
      i = j + 1;
      continue;
    }
    return i;
  }
}

function skipQuotedIdent(sql: string, start: number): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql.charCodeAt(i) === 34) {
      if (sql.charCodeAt(i + 1) === 34) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return -1;
}

/** Stable id of a statement's structure (literals normalized), for grouping in the audit trail. */
export function fingerprint(text: string): string {
  const key = statementKey(text, 1 << 20)?.key ?? text;
  // Texts that differ only in literals share a key: its digest is remembered (a pure function of the key).
  let id = digests.get(key);
  if (id === undefined) {
    id = hash('sha256', key, 'hex').slice(0, 16);
    if (key.length <= DIGEST_KEY_MAX) {
      if (digests.size >= DIGESTS) digests.clear();
      digests.set(key, id);
    }
  }
  return id;
}

const digests = new Map<string, string>();
const DIGESTS = 256;
const DIGEST_KEY_MAX = 1024;
