/**
 * A statement text with its integer literals taken out: the key under which texts that differ only in
 * those literals (`... WHERE aid = 41`, `... WHERE aid = 977`, `... WHERE id = 90071992547409`) share one
 * classification.
 *
 * Why a shared answer equals a fresh parse (classifier.ts checks the rest; the differential test
 * test/unit/classifier-cache.test.ts compares them):
 * - Only ASCII texts without NUL, and only a literal that is a whole token of decimal digits, not followed
 *   by a character that would continue it (`1.5`, `1e3`, `12abc`, `0x1F`, `$1`). PostgreSQL's scanner
 *   makes such a token an integer constant (ICONST) when its value fits in 32 bits and a numeric one
 *   (FCONST, kept as its text) when it does not, and scans it the same way whatever its digits are. Each
 *   literal is one of two kinds, and the kind is part of the key: up to 9 digits, or 10 digits up to
 *   2147483647 (an integer, `\u0000` in the key); 10 digits above that, or 11 to 64 digits, with no
 *   leading zero (a numeric constant, `\u0000\u0000`: two literals are never adjacent, their digits would
 *   be one token). A longer one, or one of 10 or more digits with a leading zero, is not taken out. So
 *   two texts with the same template have the same token sequence, each literal of the same kind:
 *   everything outside the literals is byte for byte the same.
 * - The first text seen is parsed, and the template is kept only if every one of its literals is a
 *   constant of its kind (`A_Const` with `ival`, or with `fval` holding the literal's text) at exactly
 *   that offset with exactly that value (`constantsAt`): the grammar stored the value and did nothing
 *   else with it (a literal the grammar consumes, such as `float(30)`, `FETCH 5` or a negated `-5`, is
 *   not found there, and the template is not kept).
 * - The statement's shape must not have read any numeric constant's value (shape.ts counts every such
 *   read: `WHERE 1 = 1`, `EXPLAIN (ANALYZE 0)`, `SET TRANSACTION READ ONLY` options), and shapes depend
 *   on offsets only through the statement's own location and length, which the classifier moves by the
 *   difference in length.
 * ASCII only, because the parse tree's offsets are in bytes and the text's in UTF-16 units.
 */
import { SqlLexer, Token, isDigit, isIdentChar } from './lexer.js';

export interface LiteralTemplate {
  /** The text with every template literal replaced by NUL (a text that holds NUL never meets the cache). */
  key: string;
  /**
   * Offset and value of each literal taken out, in text order: a number for an integer constant, the
   * literal's text for a numeric one (what the parse tree holds for each).
   */
  offsets: number[];
  values: (number | string)[];
}

/** Up to this many digits a literal is always an integer constant. */
const INTEGER_DIGITS = 9;
/** The longest numeric (FCONST) literal taken out. */
const MAX_DIGITS = 64;
const INT32_MAX = 2147483647;

/** The template of `sql`, or undefined when it has no such literal or the text is outside what this reads. */
export function literalTemplate(sql: string, maxLength: number): LiteralTemplate | undefined {
  if (sql.length > maxLength) return undefined;
  for (let i = 0; i < sql.length; i++) {
    const c = sql.charCodeAt(i);
    if (c === 0 || c >= 128) return undefined;
  }
  const lexer = new SqlLexer(sql);
  const offsets: number[] = [];
  const values: (number | string)[] = [];
  let key = '';
  let copied = 0;
  for (;;) {
    const t = lexer.next();
    if (t === Token.End) break;
    if (t === Token.Error) return undefined;
    if (t !== Token.Number) continue;
    const { start, end } = lexer;
    if (end - start > MAX_DIGITS || !allDigits(sql, start, end)) continue;
    const after = sql.charCodeAt(end);
    if (isIdentChar(after) || after === 46) continue;
    const value = constantOf(sql.slice(start, end));
    if (value === undefined) continue;
    key += sql.slice(copied, start) + (typeof value === 'number' ? '\u0000' : '\u0000\u0000');
    copied = end;
    offsets.push(start);
    values.push(value);
  }
  if (offsets.length === 0) return undefined;
  return { key: key + sql.slice(copied), offsets, values };
}

/**
 * What the scanner makes of a token of decimal digits: its value as an integer constant, or its text as a
 * numeric one; undefined for the ones not taken out (10 or more digits with a leading zero).
 */
function constantOf(digits: string): number | string | undefined {
  if (digits.length <= INTEGER_DIGITS) return Number(digits);
  if (digits.charCodeAt(0) === 48) return undefined;
  if (digits.length === INTEGER_DIGITS + 1 && Number(digits) <= INT32_MAX) return Number(digits);
  return digits;
}

function allDigits(sql: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isDigit(sql.charCodeAt(i))) return false;
  return true;
}

/**
 * Whether the parse tree holds, for every literal of the template, a constant of its kind at its offset
 * with its value: an integer (libpg_query's JSON leaves out a zero: `{"ival": {}}`), or a numeric
 * constant holding the literal's text.
 */
export function constantsAt(tree: unknown, template: LiteralTemplate): boolean {
  const found = new Map<number, number | string>();
  const visit = (n: unknown): void => {
    if (n === null || typeof n !== 'object') return;
    if (Array.isArray(n)) {
      for (const x of n) visit(x);
      return;
    }
    const c = (n as { A_Const?: { ival?: { ival?: number }; fval?: { fval?: unknown }; location?: number } }).A_Const;
    if (c && typeof c.location === 'number') {
      const value = c.ival ? (c.ival.ival ?? 0) : typeof c.fval?.fval === 'string' ? c.fval.fval : undefined;
      // Two constants claiming one offset (never made by the grammar): neither counts.
      if (value !== undefined) found.set(c.location, found.has(c.location) ? NaN : value);
    }
    for (const v of Object.values(n)) visit(v);
  };
  visit(tree);
  return template.offsets.every((o, i) => found.get(o) === template.values[i]);
}
