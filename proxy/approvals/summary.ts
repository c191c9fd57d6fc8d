/**
 * The one line approvers see of a held statement (`spec.command.summary`, the Command column of
 * `kubectl get apr`). It leads with what the classifier found — statement kind, tables, effects — so
 * no text the agent writes can come first: a comment that reads "SELECT … read-only, safe to approve"
 * in front of an UPDATE is not shown at all, and literals are masked (statement-key.ts's lexer, the
 * audit fingerprint's). The full masked text stays in `spec.command.text`.
 */
import { statementKey } from '../sql/statement-key.js';
import type { Classification } from '../sql/types.js';

/** The CRD's maxLength for spec.command.summary. */
export const SUMMARY_MAX = 120;
const MAX_TABLES = 3;
const MAX_TABLE_NAME = 30;

/** `UpdateStmt` → `UPDATE`, `CreateTableAsStmt` → `CREATE TABLE AS`. */
export function statementVerb(kind: string): string {
  const words = kind.replace(/Stmt$/, '').match(/[A-Z][a-z]*|[a-z]+|\d+/g) ?? [];
  return words.length ? words.join(' ').toUpperCase() : 'STATEMENT';
}

/** `kind`: several when one approval covers several statements (`SELECT + DELETE payroll.salaries (read, write)`). */
export function approvalSummary(
  c: { kind: string | string[]; effects: Classification['effects'] } & { tables: { schema?: string; name: string }[] },
  text: string,
): string {
  const names = [...new Set(c.tables.map((t) => (t.schema ? `${t.schema}.${t.name}` : t.name)))].map((n) =>
    n.length > MAX_TABLE_NAME ? `${n.slice(0, MAX_TABLE_NAME - 1)}…` : n,
  );
  const tables =
    names.length > MAX_TABLES
      ? `${names.slice(0, MAX_TABLES).join(', ')} +${names.length - MAX_TABLES}`
      : names.join(', ');
  const verbs = [...new Set((typeof c.kind === 'string' ? [c.kind] : c.kind).map(statementVerb))].join(' + ');
  const head = `${verbs}${tables ? ` ${tables}` : ''} (${c.effects.length ? c.effects.join(', ') : 'no effects'})`;
  // Comments dropped, literals masked; text the lexer cannot follow is not shown (the head still is).
  const key = statementKey(text, 1 << 20)?.key;
  const line = clean(key ? `${head}: ${key}` : head);
  return line.length > SUMMARY_MAX ? `${line.slice(0, SUMMARY_MAX - 1)}…` : line;
}

/** Control characters (a quoted identifier may hold newlines) would break the column. */
function clean(s: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');
}
