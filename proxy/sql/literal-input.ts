/**
 * Whether PostgreSQL's parse analysis of a statement may run code: it converts a literal of unknown type
 * (`'...'`, and conservatively a bit string or NULL) through the target type's input function, and for an
 * array, a composite or a range of a domain that input runs the domain's CHECK, which may call any
 * function. Parse analysis runs at a Parse, and again at a Describe of the statement or a Bind when the
 * statement's plan was invalidated, so those messages may then replace portals and cursors
 * (name-freshness.ts). Integer, numeric and boolean constants are typed by the grammar and converted by
 * built-in functions only; a domain over them is checked when the statement runs.
 */

// Parse-tree JSON is untyped by nature.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Node = any;

export function convertsLiterals(tree: Node): boolean {
  if (!tree || typeof tree !== 'object') return false;
  if (Array.isArray(tree)) return tree.some(convertsLiterals);
  const c = tree.A_Const;
  if (c && typeof c === 'object' && !('ival' in c || 'fval' in c || 'boolval' in c)) return true;
  for (const k in tree) if (convertsLiterals(tree[k])) return true;
  return false;
}
