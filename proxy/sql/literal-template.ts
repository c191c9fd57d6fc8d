/**
 * A statement text with its small integer literals taken out: the key under which texts that differ only
 * in those literals (`... WHERE aid = 41`, `... WHERE aid = 977`) share one classification.
 *
 * Why a shared answer equals a fresh parse (classifier.ts checks the rest; the differential test
 * test/unit/classifier-cache.test.ts compares them):
 * - Only ASCII texts without NUL, and only a literal that is a whole token of 1 to 9 decimal digits, not
 *   followed by a character that would continue it (`1.5`, `1e3`, `12abc`, `0x1F`, `$1`). Such a token is
 *   an ICONST to PostgreSQL's scanner whatever its digits are (9 digits never overflow into a numeric
 *   constant), and it is scanned the same way whatever they are, so two texts with the same template
 *   have the same token sequence: everything outside the literals is byte for byte the same.
 * - The first text seen is parsed, and the template is kept only if every one of its literals is an
 *   integer `A_Const` at exactly that offset with exactly that value (`integerConstantsAt`): the grammar
 *   stored the value and did nothing else with it (a literal the grammar consumes, such as `float(30)`,
 *   `FETCH 5` or a negated `-5`, is not found there, and the template is not kept).
 * - The statement's shape must not have read any integer constant's value (shape.ts counts every such
 *   read: `WHERE 1 = 1`, `EXPLAIN (ANALYZE 0)`, `SET TRANSACTION READ ONLY` options), and shapes depend
 *   on offsets only through the statement's own location and length, which the classifier moves by the
 *   difference in length.
 * ASCII only, because the parse tree's offsets are in bytes and the text's in UTF-16 units.
 */
import { SqlLexer, Token, isDigit, isIdentChar } from './lexer.js';

export interface LiteralTemplate {
  /** The text with every template literal replaced by NUL (a text that holds NUL never meets the cache). */
  key: string;
  /** Offset and value of each literal taken out, in text order. */
  offsets: number[];
  values: number[];
}

const MAX_DIGITS = 9;

/** The template of `sql`, or undefined when it has no such literal or the text is outside what this reads. */
export function literalTemplate(sql: string, maxLength: number): LiteralTemplate | undefined {
  if (sql.length > maxLength) return undefined;
  for (let i = 0; i < sql.length; i++) {
    const c = sql.charCodeAt(i);
    if (c === 0 || c >= 128) return undefined;
  }
  const lexer = new SqlLexer(sql);
  const offsets: number[] = [];
  const values: number[] = [];
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
    key += sql.slice(copied, start) + '\u0000';
    copied = end;
    offsets.push(start);
    values.push(Number(sql.slice(start, end)));
  }
  if (offsets.length === 0) return undefined;
  return { key: key + sql.slice(copied), offsets, values };
}

function allDigits(sql: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isDigit(sql.charCodeAt(i))) return false;
  return true;
}

/**
 * Whether the parse tree holds, for every literal of the template, an integer constant at its offset
 * with its value (libpg_query's JSON leaves out a zero: `{"ival": {}}`).
 */
export function integerConstantsAt(tree: unknown, template: LiteralTemplate): boolean {
  const found = new Map<number, number>();
  const visit = (n: unknown): void => {
    if (n === null || typeof n !== 'object') return;
    if (Array.isArray(n)) {
      for (const x of n) visit(x);
      return;
    }
    const c = (n as { A_Const?: { ival?: { ival?: number }; location?: number } }).A_Const;
    if (c && c.ival && typeof c.location === 'number') {
      // Two constants claiming one offset (never made by the grammar): neither counts.
      found.set(c.location, found.has(c.location) ? NaN : (c.ival.ival ?? 0));
    }
    for (const v of Object.values(n)) visit(v);
  };
  visit(tree);
  return template.offsets.every((o, i) => found.get(o) === template.values[i]);
}
