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
  const all = collect({ [kind]: stmt });
  const reads: ColumnReads = {
    ...summary(all, all.ranges),
    ...(OPAQUE_KINDS.has(kind) ? { opaque: true } : {}),
    ...(kind === 'ExplainStmt' ? { plans: true } : {}),
  };
  if (all.written.length) {
    const written = summary(collect(all.written), all.ranges);
    if (written.names.length || written.wholeRow) reads.written = written;
  }
  return reads;
}

interface Collected {
  names: Set<string>;
  ranges: Set<string>;
  /** The last name of every column reference, to tell whole-row references once every range is known. */
  lastNames: string[];
  wholeRow: boolean;
  /** Subtrees a write's stored values may come from (INSERT, UPDATE but its WHERE, MERGE, CREATE TABLE AS, SELECT INTO, CTEs). */
  written: Node[];
}

function summary(c: Collected, ranges: Set<string>): { names: string[]; wholeRow: boolean } {
  // A name that is a table or alias is a whole-row reference: `SELECT c FROM customers c`, `public.customers`.
  return { names: [...c.names].sort(), wholeRow: c.wholeRow || c.lastNames.some((s) => ranges.has(s)) };
}

function collect(root: Node): Collected {
  const names = new Set<string>();
  const ranges = new Set<string>();
  const lastNames: string[] = [];
  const written: Node[] = [];
  const ctes: Node[] = [];
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
          if (key === 'JoinExpr')
            for (const u of v.usingClause ?? []) {
              const s = str(u);
              if (s !== undefined) names.add(s);
            }
          break;
        // Where a write's values can come from: not UPDATE's own WHERE (a filter), not RETURNING (an output, masked as such).
        case 'InsertStmt':
        case 'MergeStmt':
          written.push({ ...v, returningList: undefined, returningClause: undefined });
          break;
        case 'UpdateStmt':
          written.push({ ...v, whereClause: undefined, returningList: undefined, returningClause: undefined });
          break;
        case 'CreateTableAsStmt':
          written.push(v.query);
          break;
        case 'SelectStmt':
          if (v.intoClause) written.push({ ...v, intoClause: undefined });
          break;
        case 'CommonTableExpr':
          ctes.push(v.ctequery);
          ranges.add(v.ctename);
          if (v.aliascolnames?.length) wholeRow = true;
          break;
        case 'returningClause':
          // PostgreSQL 18: `old` and `new` (renamed by `RETURNING WITH (OLD AS o, NEW AS n)`) are whole rows of the target.
          ranges.add('old').add('new');
          for (const o of v?.options ?? [])
            if (typeof o.ReturningOption?.value === 'string') ranges.add(o.ReturningOption.value);
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
  visit(root);
  // A write may store what a sibling CTE computed (`WITH a AS (...), b AS (INSERT ... SELECT ... FROM a)`).
  if (written.length) written.push(...ctes);
  return { names, ranges, lastNames, wholeRow, written };
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
  const plainFrom =
    (sel.op ?? 'SETOP_NONE') === 'SETOP_NONE' && !sel.withClause && (sel.fromClause ?? []).every(plainRange);
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
  const written =
    a.written && b.written
      ? {
          names: [...new Set([...a.written.names, ...b.written.names])].sort(),
          wholeRow: a.written.wholeRow || b.written.wholeRow,
        }
      : (a.written ?? b.written);
  return {
    names: [...new Set([...a.names, ...b.names])].sort(),
    wholeRow: a.wholeRow || b.wholeRow,
    ...(opaque ? { opaque: true as const } : {}),
    ...(plans ? { plans: true as const } : {}),
    ...(written ? { written } : {}),
  };
}
