/**
 * Token boundaries of a SQL text, following PostgreSQL's lexical rules (scan.l) for what changes where a
 * token ends: strings ('', E'', U&'', B'', X'', N'', and 'a'\n'b' continuations), dollar quotes, quoted
 * identifiers, nested comments, parameters and numbers. It classifies tokens only as far as its two
 * users need (statement-key.ts, literal-template.ts); it never decides anything, and anything it cannot
 * follow is `Token.Error`.
 *
 * No object per token: `next()` returns the kind and leaves the token in `start`/`end`.
 */

export const enum Token {
  End,
  Space,
  Comment,
  /** '...', E'...', N'...', U&'...' */
  String,
  /** B'...', X'...' */
  BitString,
  DollarString,
  /** "..." and U&"..." */
  QuotedIdent,
  /** $1 */
  Param,
  /** 12, 1.5, .5, 1e-3, 0x1F, 1_000 (and trailing junk such as 12abc, which the server refuses) */
  Number,
  Identifier,
  /** Any other single character (operators, punctuation). */
  Other,
  Error,
}

export const isIdentStart = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 128;
export const isIdentChar = (c: number): boolean => isIdentStart(c) || (c >= 48 && c <= 57) || c === 36;
export const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;

export class SqlLexer {
  /** The current token: sql.slice(start, end). */
  start = 0;
  end = 0;

  constructor(private readonly sql: string) {}

  next(): Token {
    const sql = this.sql;
    const n = sql.length;
    let i = (this.start = this.end);
    if (i >= n) return Token.End;
    const c = sql.charCodeAt(i);
    if (isSpace(c)) {
      while (i < n && isSpace(sql.charCodeAt(i))) i++;
      return this.token(i, Token.Space);
    }
    // -- comment to end of line
    if (c === 45 && sql.charCodeAt(i + 1) === 45) {
      while (i < n && sql.charCodeAt(i) !== 10 && sql.charCodeAt(i) !== 13) i++;
      return this.token(i, Token.Comment);
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
      return this.token(level === 0 ? i : -1, Token.Comment);
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
      return this.token(skipQuoted(sql, strAt, c === 69 || c === 101), bits ? Token.BitString : Token.String);
    }
    if ((c === 85 || c === 117) && next === 38 && sql.charCodeAt(i + 2) === 34)
      return this.token(skipQuotedIdent(sql, i + 2), Token.QuotedIdent);
    // Dollar-quoted strings: $tag$ ... $tag$ (a tag never starts with a digit; $1 is a parameter).
    if (c === 36 && !(i > 0 && isIdentChar(sql.charCodeAt(i - 1)))) {
      let j = i + 1;
      if (j < n && !isDigit(sql.charCodeAt(j))) {
        while (j < n && isIdentChar(sql.charCodeAt(j)) && sql.charCodeAt(j) !== 36) j++;
        if (sql.charCodeAt(j) === 36) {
          const tag = sql.slice(i, j + 1);
          const close = sql.indexOf(tag, j + 1);
          return this.token(close < 0 ? -1 : close + tag.length, Token.DollarString);
        }
      }
      j = i + 1;
      while (j < n && isDigit(sql.charCodeAt(j))) j++;
      return this.token(j, Token.Param);
    }
    if (c === 34) return this.token(skipQuotedIdent(sql, i), Token.QuotedIdent);
    if (isDigit(c) || (c === 46 && isDigit(next))) {
      let j = i;
      while (j < n) {
        const d = sql.charCodeAt(j);
        if (isDigit(d) || d === 46 || d === 95 || (d >= 97 && d <= 122) || (d >= 65 && d <= 90)) {
          if ((d === 101 || d === 69) && (sql.charCodeAt(j + 1) === 43 || sql.charCodeAt(j + 1) === 45)) j++;
          j++;
        } else break;
      }
      // "1..2" or a dot followed by an identifier is not a number this lexer understands.
      return this.token(sql.slice(i, j).includes('..') ? -1 : j, Token.Number);
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentChar(sql.charCodeAt(j))) j++;
      return this.token(j, Token.Identifier);
    }
    return this.token(i + 1, Token.Other);
  }

  /** The token ends at `end` (-1: it does not end, an error). */
  private token(end: number, kind: Token): Token {
    if (end < 0) return Token.Error;
    this.end = end;
    return kind;
  }
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
