/**
 * PostgreSQL's attribute notation: `x.f`, `(x).f`, `(ROW(...)::t).f` is the call `f(x)` on the whole row
 * when `f` is not a column of `x`. The parse tree shows a qualified column reference (or a field
 * selection), not a function call, and which one it is depends on the catalog. The shape (catalog-free)
 * records every such name as a possible call; resolve.ts decides with the catalog.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Node = any;

/**
 * The names in one parse-tree node that may be attribute-notation calls: each field after the first of
 * a qualified column reference (`c.f`, `s.t.f`, `c.f.g`), each field selection (`(c).f`).
 */
export function attributeCallNames(key: string, node: Node): string[] {
  const names = (list: Node[]): string[] => list.map((f) => f?.String?.sval).filter((s): s is string => typeof s === 'string');
  if (key === 'ColumnRef') return names((node?.fields ?? []).slice(1));
  if (key === 'A_Indirection') return names(node?.indirection ?? []);
  return [];
}

/**
 * Built-in functions that take a whole row as their first argument, for the built-in catalog (used
 * before a target's catalog loads, and by `agentgate sql explain`); a target's catalog lists its own.
 */
export const BUILTIN_ROW_FUNCTIONS = [
  'row_to_json', 'to_json', 'to_jsonb', 'concat', 'concat_ws', 'format', 'quote_literal', 'quote_nullable',
  'hstore', 'json_build_array', 'json_build_object', 'jsonb_build_array', 'jsonb_build_object', 'num_nulls',
  'num_nonnulls', 'pg_typeof', 'pg_column_size', 'record_out', 'record_send', 'hash_record', 'hash_record_extended',
];
