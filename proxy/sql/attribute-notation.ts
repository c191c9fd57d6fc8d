/**
 * PostgreSQL's attribute notation: `x.f`, `(x).f`, `(ROW(...)::t).f` is the call `f(x)` on the whole row
 * when `f` is not a column of `x`. The parse tree shows a qualified column reference (or a field
 * selection), not a function call, and which one it is depends on the catalog. The shape (catalog-free)
 * records every such name as a possible call; resolve.ts decides with the catalog.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Node = any;

/**
 * The names in one parse-tree node that may be attribute-notation calls. `row`: the second field of a
 * qualified column reference (`c.f`: its first field is a relation, so `f` takes a whole row). `any`:
 * later fields (`s.t.f`, `c.col.f`) and field selections (`(c).f`, `(c.notes).f`, `(ROW(...)::t).f`),
 * whose argument may be a row or any value: PostgreSQL calls any one-argument function `f` there.
 */
export function attributeCallNames(key: string, node: Node): { row: string[]; any: string[] } {
  const names = (list: Node[]): string[] =>
    list.map((f) => f?.String?.sval).filter((s): s is string => typeof s === 'string');
  if (key === 'ColumnRef')
    return { row: names((node?.fields ?? []).slice(1, 2)), any: names((node?.fields ?? []).slice(2)) };
  if (key === 'A_Indirection') return { row: [], any: names(node?.indirection ?? []) };
  return { row: [], any: [] };
}

/**
 * Built-in functions that take a whole row as their first argument, for the built-in catalog
 * (`agentgate sql explain`; the proxy treats every name as one until a target's catalog loads, see
 * catalog-keeper.ts); a target's catalog lists its own (aggregates too: `c.max` is `max(c)`).
 */
export const BUILTIN_ROW_FUNCTIONS = [
  'row_to_json',
  'to_json',
  'to_jsonb',
  'concat',
  'concat_ws',
  'format',
  'quote_literal',
  'quote_nullable',
  'hstore',
  'json_build_array',
  'json_build_object',
  'jsonb_build_array',
  'jsonb_build_object',
  'num_nulls',
  'num_nonnulls',
  'pg_typeof',
  'pg_column_size',
  'record_out',
  'record_send',
  'hash_record',
  'hash_record_extended',
  'max',
  'min',
  'count',
  'mode',
  'any_value',
  'array_agg',
  'json_agg',
  'jsonb_agg',
  'json_object_agg',
  'jsonb_object_agg',
  'first_value',
  'last_value',
  'nth_value',
  'lag',
  'lead',
  'anytextcat',
];
