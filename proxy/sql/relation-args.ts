/**
 * Built-in functions that name a relation in their argument (a `regclass` given as text, `'payroll.run_seq'`)
 * and touch its data: `tables` rules must see that relation as the statement's own. Functions that only
 * read metadata or sizes (`pg_relation_size`, `has_table_privilege`, `pg_get_serial_sequence`) are not here.
 */
import type { TableAccess } from './types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Node = any;

const RELATION_ARG_FUNCTIONS: Record<string, TableAccess> = {
  nextval: 'write',
  setval: 'write',
  currval: 'read',
  pg_sequence_last_value: 'read',
};

export type RelationArgument =
  { relation: { schemaname?: string; relname: string }; access: TableAccess } | { unknown: string };

/** The relation a call of nextval/setval/currval/... names, or why it cannot be told (fail closed); undefined for other functions. */
export function relationArgument(fc: Node): RelationArgument | undefined {
  const parts: string[] = (fc?.funcname ?? []).map((p: Node) => p?.String?.sval ?? '');
  const name = parts[parts.length - 1] ?? '';
  if (parts.length > 2 || (parts.length === 2 && parts[0] !== 'pg_catalog')) return undefined;
  const access = Object.hasOwn(RELATION_ARG_FUNCTIONS, name) ? RELATION_ARG_FUNCTIONS[name] : undefined;
  if (!access) return undefined;
  const text = literalText(fc.args?.[0]);
  const names = text === undefined ? undefined : qualifiedName(text);
  if (!names || names.length === 0 || names.length > 3) {
    return {
      unknown: `${name}() names its relation by an expression that is not a string literal (or not a valid name): the proxy cannot tell which relation it touches`,
    };
  }
  const relname = names[names.length - 1]!;
  const schemaname = names.length > 1 ? names[names.length - 2] : undefined;
  return { relation: { relname, ...(schemaname ? { schemaname } : {}) }, access };
}

/** A string literal, possibly cast (`'s.q'::regclass`, `'s.q'::text::regclass`). */
function literalText(n: Node): string | undefined {
  if (!n) return undefined;
  if (n.TypeCast) return literalText(n.TypeCast.arg);
  const s = n.A_Const?.sval;
  return s ? (s.sval ?? '') : undefined;
}

/**
 * The identifiers of a name as regclass input reads them: dot-separated, double quotes keep case and
 * dots (`""` is a quote), unquoted parts are lower-cased; surrounding spaces are ignored. Undefined when malformed.
 */
export function qualifiedName(text: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  const space = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  for (;;) {
    space();
    let part = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) return undefined;
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            part += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        part += text[i++];
      }
      if (part === '') return undefined;
    } else {
      const start = i;
      while (i < text.length && text[i] !== '.' && text[i] !== '"' && !/\s/.test(text[i]!)) i++;
      part = text.slice(start, i).toLowerCase();
      if (part === '') return undefined;
    }
    out.push(part);
    space();
    if (i >= text.length) return out;
    if (text[i] !== '.') return undefined;
    i++;
  }
}
