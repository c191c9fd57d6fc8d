/**
 * Writes a statement's command tag does not count: rows another table loses or gains through an ON
 * DELETE/UPDATE CASCADE, SET NULL or SET DEFAULT foreign key that references the written table, and
 * whatever a (non-internal) trigger or a rule on it does — or on a partition or child table a write to
 * it reaches. Views and foreign tables count as such too (what is under them is not checked). Temporary
 * tables are listed under `pg_temp` (whichever session's), since one can shadow an unqualified name. maxRowsAffected counts the tag, so a write to
 * such a table is refused while the cap is set (runtime-caps.ts). One catalog query, loaded with the
 * rest of the snapshot.
 */
import type { Catalog } from './catalog.js';
import type { TableRef } from './types.js';

export const CATALOG_HIDDEN_WRITES_SQL = `WITH RECURSIVE direct(rel, why) AS (
    SELECT confrelid, 'on delete ' || CASE confdeltype WHEN 'c' THEN 'cascade' WHEN 'n' THEN 'set null' ELSE 'set default' END || ' foreign key'
      FROM pg_catalog.pg_constraint WHERE contype = 'f' AND confdeltype IN ('c', 'n', 'd')
    UNION ALL
    SELECT confrelid, 'on update ' || CASE confupdtype WHEN 'c' THEN 'cascade' WHEN 'n' THEN 'set null' ELSE 'set default' END || ' foreign key'
      FROM pg_catalog.pg_constraint WHERE contype = 'f' AND confupdtype IN ('c', 'n', 'd')
    UNION ALL
    SELECT tgrelid, 'trigger ' || tgname FROM pg_catalog.pg_trigger WHERE NOT tgisinternal
    UNION ALL
    SELECT ev_class, 'rule ' || rulename FROM pg_catalog.pg_rewrite WHERE rulename <> '_RETURN'
    UNION ALL
    SELECT oid, CASE relkind WHEN 'v' THEN 'a view (the tables under it are not checked)' ELSE 'a foreign table' END
      FROM pg_catalog.pg_class WHERE relkind IN ('v', 'f')
  ), up(rel, why) AS (
    SELECT rel, why FROM direct
    UNION
    SELECT i.inhparent, u.why || ' on ' || pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(cc.relname)
      FROM up u JOIN pg_catalog.pg_inherits i ON i.inhrelid = u.rel
      JOIN pg_catalog.pg_class cc ON cc.oid = i.inhrelid JOIN pg_catalog.pg_namespace cn ON cn.oid = cc.relnamespace
  )
  SELECT s.nspname, c.relname, string_agg(DISTINCT up.why, E'\\n') FROM up
  JOIN pg_catalog.pg_class c ON c.oid = up.rel JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  CROSS JOIN LATERAL (SELECT CASE WHEN n.nspname LIKE 'pg\\_temp\\_%' THEN 'pg_temp' ELSE n.nspname END AS nspname) s
  GROUP BY s.nspname, c.relname`;

export function hiddenWritesFromRows(
  rows: readonly (readonly (string | null)[])[],
): { relation: string; why: string[] }[] {
  return rows.map((r) => ({ relation: `${r[0]}.${r[1]}`, why: (r[2] ?? '').split('\n').filter(Boolean) }));
}

/**
 * For each written table, why its writes change rows the tag does not count. A table the catalog cannot
 * speak for (not loaded, or none of the names it can resolve to is known) counts as such a table.
 */
export function hiddenWritesOf(tables: readonly TableRef[], catalog: Catalog): string[] {
  const out: string[] = [];
  for (const t of tables) {
    if (!t.access.includes('write')) continue;
    const names = t.schema ? [`${t.schema}.${t.name}`] : (t.candidates ?? [`public.${t.name}`]);
    const known = names.filter((n) => catalog.hasRelation(n.slice(0, n.length - t.name.length - 1), t.name));
    if (known.length === 0) {
      out.push(`${names.join(' or ')}: not in the catalog, so what a write to it sets off is unknown`);
      continue;
    }
    // A temporary table (any session's: which is this one's is not known) is searched first and can shadow the name.
    if (!t.schema) known.push(`pg_temp.${t.name}`);
    for (const n of known) {
      const why = catalog.hiddenWrites?.(n);
      if (why === undefined)
        out.push(`${n}: the catalog of triggers, rules and cascading foreign keys could not be read`);
      else if (why.length) out.push(`${n}: ${why.join(', ')}`);
    }
  }
  return out;
}
