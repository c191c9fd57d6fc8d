/**
 * Literal-normalized text of a statement, for grouping statements in the audit trail (`fingerprint`):
 * every literal replaced by a placeholder of its token kind, comments dropped, whitespace collapsed and
 * unquoted identifiers lowercased, over the tokens lexer.ts finds.
 *
 * Grouping only: it never decides anything. It is not a sound identity of a statement's meaning (option
 * literals such as EXPLAIN (ANALYZE 'off') or COPY (FORMAT 'binary'), UESCAPE characters and JavaScript's
 * Unicode lowercasing, which PostgreSQL does not do, all change meaning under the same key), so the
 * classifier's cache is keyed on the exact text, or on a template checked per literal
 * (literal-template.ts), instead. Anything the lexer cannot follow returns undefined.
 */

import { hash } from 'node:crypto';
import { SqlLexer, Token } from './lexer.js';

export interface StatementKey {
  key: string;
}

export function statementKey(sql: string, maxLength = 4096): StatementKey | undefined {
  if (sql.length > maxLength) return undefined;
  const lexer = new SqlLexer(sql);
  let out = '';
  for (;;) {
    const t = lexer.next();
    switch (t) {
      case Token.End:
        return { key: out.trim() };
      case Token.Error:
        return undefined;
      case Token.Space:
      case Token.Comment:
        if (out.length > 0 && out.charCodeAt(out.length - 1) !== 32) out += ' ';
        break;
      case Token.String:
      case Token.DollarString:
        out += '?s';
        break;
      case Token.BitString:
        out += '?b';
        break;
      case Token.Number:
        out += '?n';
        break;
      case Token.Identifier:
        out += sql.slice(lexer.start, lexer.end).toLowerCase();
        break;
      default:
        out += sql.slice(lexer.start, lexer.end);
    }
  }
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
