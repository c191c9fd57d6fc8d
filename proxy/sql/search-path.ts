/**
 * Where an unqualified relation name can resolve. search_path is pinned (settings.ts: no route may
 * change it), so a session's path is the role's default, read with the catalog. PostgreSQL looks in
 * pg_temp first (the session's own temporary tables: they can only shadow a table with the session's
 * own data), then in pg_catalog unless the path lists it later, then the path's schemas in order,
 * "$user" being the role's name.
 */
import type { Catalog } from './catalog.js';

// The session's default (what RESET restores: the role's and database's settings, the startup packet),
// not a value set for the catalog read itself (catalog-reader.ts pins its own path).
export const CATALOG_SEARCH_PATH_SQL = `SELECT s.reset_val, current_user FROM pg_catalog.pg_settings s WHERE s.name = 'search_path'`;

/** The schemas of a search_path value, in lookup order (pg_catalog included, pg_temp left out). */
export function effectiveSearchPath(value: string, user: string): string[] {
  const schemas = splitPath(value)
    .map((s) => (s === '$user' ? user : s))
    .filter((s) => s !== 'pg_temp' && !s.startsWith('pg_temp_'));
  return [...new Set(schemas.includes('pg_catalog') ? schemas : ['pg_catalog', ...schemas])];
}

/**
 * The schema-qualified names an unqualified relation name can reach: every schema on the path up to
 * pg_catalog when pg_catalog holds it (system catalogs do not come and go), all the others whether or
 * not the snapshot holds the name there (a migration may have created it since), and every schema the
 * snapshot holds it in (in case the path the proxy knows is not the session's).
 */
export function relationCandidates(name: string, catalog: Catalog): string[] {
  const path = catalog.searchPath?.();
  const held = catalog.relationSchemas(name);
  if (!path) return held.map((s) => `${s}.${name}`);
  const onPath: string[] = [];
  for (const schema of path) {
    if (schema === 'pg_catalog') {
      if (catalog.hasRelation('pg_catalog', name)) {
        onPath.push(schema);
        break;
      }
      continue;
    }
    onPath.push(schema);
  }
  return [...new Set([...onPath, ...held])].map((s) => `${s}.${name}`);
}

/** Splits a search_path value as PostgreSQL does: comma-separated, double-quoted identifiers keep case. */
function splitPath(value: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < value.length) {
    while (i < value.length && /[\s,]/.test(value[i]!)) i++;
    if (i >= value.length) break;
    let name = '';
    if (value[i] === '"') {
      i++;
      for (; i < value.length; i++) {
        if (value[i] === '"') {
          if (value[i + 1] === '"') {
            name += '"';
            i++;
            continue;
          }
          i++;
          break;
        }
        name += value[i];
      }
    } else {
      for (; i < value.length && value[i] !== ',' && !/\s/.test(value[i]!); i++) name += value[i]!.toLowerCase();
    }
    while (i < value.length && value[i] !== ',') i++;
    out.push(name);
  }
  return out;
}
