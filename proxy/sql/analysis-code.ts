/**
 * Whether PostgreSQL's parse analysis of a statement may run code, from its parse tree. Parse analysis
 * runs at a Parse, and again at a Describe or a Bind when the statement's plan was invalidated, so those
 * messages may then replace portals and cursors (name-freshness.ts). It calls functions a database may
 * define in three places:
 * - a literal of unknown type (`'...'`, and conservatively a bit string or NULL) is converted by the
 *   target type's input function; for an array, a composite or a range of a domain that input runs the
 *   domain's CHECK, which may call any function;
 * - a type modifier (`x::t(1)`) is converted by the type's `typmod_in` function;
 * - `TABLESAMPLE` calls its method's handler.
 * Integer, numeric and boolean constants are typed by the grammar and converted by built-in functions
 * only; a domain over them is checked when the statement runs.
 */

// Parse-tree JSON is untyped by nature.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Node = any;

export function analysisMayRunCode(tree: Node): boolean {
  if (!tree || typeof tree !== 'object') return false;
  if (Array.isArray(tree)) return tree.some(analysisMayRunCode);
  const c = tree.A_Const;
  if (c && typeof c === 'object' && !('ival' in c || 'fval' in c || 'boolval' in c)) return true;
  if (Array.isArray(tree.typmods) && tree.typmods.length > 0) return true;
  if (tree.RangeTableSample) return true;
  for (const k in tree) if (analysisMayRunCode(tree[k])) return true;
  return false;
}
