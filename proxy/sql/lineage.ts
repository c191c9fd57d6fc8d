/**
 * Which table columns a statement reads, as far as the parse tree shows: every column name it
 * mentions anywhere (subqueries, CTEs, function arguments, ORDER BY ...), and whether it may read every
 * column of the tables it names (`SELECT c FROM customers c`, `row_to_json(c)`, `*`, column alias lists). It never
 * depends on the policy: the shape cache is shared; the policy's column rules are applied later
 * (see masking/lineage-rule.ts).
 */
import type { ColumnReads } from './types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Node = any;

/** Statements whose output lineage the parse tree cannot show at all (a cursor's rows come from its DECLARE). */
const OPAQUE_KINDS = new Set(['FetchStmt']);

export function columnReads(kind: string, stmt: Node): ColumnReads {
  const names = new Set<string>();
  const ranges = new Set<string>();
  const lastNames: string[] = [];
  let wholeRow = false;
  const str = (n: Node): string | undefined => (typeof n?.String?.sval === 'string' ? n.String.sval : undefined);
  const alias = (a: Node): void => {
    if (!a) return;
    if (typeof a.aliasname === 'string') ranges.add(a.aliasname);
    // `FROM customers c(a, b, c, d, x)` renames columns: the new names say nothing about their origin.
    if (a.colnames?.length) wholeRow = true;
  };
  const visit = (n: Node): void => {
    if (n === null || typeof n !== 'object') return;
    if (Array.isArray(n)) {
      for (const x of n) visit(x);
      return;
    }
    if (typeof n.relname === 'string') {
      ranges.add(n.relname);
      alias(n.alias);
    }
    for (const key of Object.keys(n)) {
      const v = n[key];
      switch (key) {
        case 'ColumnRef': {
          const fields: Node[] = v.fields ?? [];
          for (const f of fields) {
            const s = str(f);
            if (s !== undefined) names.add(s);
          }
          // `*` reads every column, ruled ones too; where it expands into plain columns (`SELECT *`) the
          // server still reports each one's origin, and set operations or `ROW(t.*)` lose it.
          if (fields.some((f) => f.A_Star)) wholeRow = true;
          else lastNames.push(str(fields[fields.length - 1]) ?? '');
          continue;
        }
        case 'A_Indirection':
          for (const i of v.indirection ?? []) {
            const s = str(i);
            if (s !== undefined) names.add(s);
            if (i.A_Star) wholeRow = true;
          }
          visit(v.arg);
          continue;
        case 'FuncCall': {
          // `ssn(c)` is PostgreSQL's functional notation for `c.ssn`.
          const parts: Node[] = v.funcname ?? [];
          const last = str(parts[parts.length - 1]);
          if (last !== undefined) names.add(last);
          break;
        }
        case 'RangeSubselect':
        case 'RangeFunction':
        case 'RangeTableFunc':
        case 'JoinExpr':
          alias(v.alias);
          if (key === 'JoinExpr') for (const u of v.usingClause ?? []) {
            const s = str(u);
            if (s !== undefined) names.add(s);
          }
          break;
        case 'CommonTableExpr':
          ranges.add(v.ctename);
          if (v.aliascolnames?.length) wholeRow = true;
          break;
        case 'CopyStmt':
          for (const a of v.attlist ?? []) {
            const s = str(a);
            if (s !== undefined) names.add(s);
          }
          break;
      }
      visit(v);
    }
  };
  visit(stmt);
  // A name that is a table or alias is a whole-row reference: `SELECT c FROM customers c`, `public.customers`.
  if (lastNames.some((s) => ranges.has(s))) wholeRow = true;
  return { names: [...names].sort(), wholeRow, ...(OPAQUE_KINDS.has(kind) ? { opaque: true } : {}), ...(kind === 'ExplainStmt' ? { plans: true } : {}) };
}

/**
 * For COPY (query) TO: per output column, the table column it reads when it is a plain column of a
 * plain table (what RowDescription's origin gives a SELECT), or null when it is derived or its origin
 * cannot be told from the text (subqueries, CTEs, set operations, functions in FROM, renamed columns).
 */
export function copySources(query: Node): (string | null)[] | undefined {
  const sel = query?.SelectStmt;
  if (!sel?.targetList) return undefined;
  const rangeNames = new Set<string>();
  const plainRange = (n: Node): boolean => {
    if (n?.RangeVar) {
      rangeNames.add(n.RangeVar.relname);
      if (n.RangeVar.alias) rangeNames.add(n.RangeVar.alias.aliasname);
      return !n.RangeVar.alias?.colnames?.length;
    }
    const j = n?.JoinExpr;
    return Boolean(j) && !j.alias && plainRange(j.larg) && plainRange(j.rarg);
  };
  const plainFrom = (sel.op ?? 'SETOP_NONE') === 'SETOP_NONE' && !sel.withClause && (sel.fromClause ?? []).every(plainRange);
  return sel.targetList.map((t: Node) => {
    const fields: Node[] = t.ResTarget?.val?.ColumnRef?.fields ?? [];
    const last = fields[fields.length - 1]?.String?.sval;
    if (!plainFrom || typeof last !== 'string') return null;
    // A table name or alias is the whole row, not a column.
    return rangeNames.has(last) ? null : last;
  });
}

/** What two statements read together (EXECUTE of a prepared statement, multi-statement prepares). */
export function mergeReads(a: ColumnReads | undefined, b: ColumnReads | undefined): ColumnReads | undefined {
  if (!a || !b) return a ?? b;
  const opaque = a.opaque || b.opaque;
  const plans = a.plans && b.plans;
  return { names: [...new Set([...a.names, ...b.names])].sort(), wholeRow: a.wholeRow || b.wholeRow, ...(opaque ? { opaque: true as const } : {}), ...(plans ? { plans: true as const } : {}) };
}
