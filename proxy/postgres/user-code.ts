/**
 * Code the proxy cannot see — a CALL, a DO block, a function that is not PostgreSQL's own — can close a
 * portal or cursor the proxy follows and open another under the same name (`CLOSE r; OPEN r FOR …` with a
 * name the agent passes). Once such a statement has run, the proxy no longer knows what any name but the
 * running one (PostgreSQL refuses to drop an active portal) stands for, so it forgets them; while one is
 * still running (server-objects.ts view) or earlier in the same Query, a read by name is refused rather
 * than decided as the object the proxy knew.
 */
import { builtinCatalog, type Catalog } from '../sql/catalog.js';
import type { Classification } from '../sql/types.js';
import type { ServerObjects, StateChange } from './server-objects.js';

/** Whether running `c` may run code other than PostgreSQL's own built-in functions. */
export function mayRunUserCode(c: Classification, catalog: Catalog): boolean {
  if (c.kind === 'CallStmt' || c.kind === 'DoStmt') return true;
  return c.functions.some((f) => {
    const dot = f.lastIndexOf('.');
    const schema = dot > 0 ? f.slice(0, dot) : undefined;
    const name = dot > 0 ? f.slice(dot + 1) : f;
    if (schema !== undefined && schema !== 'pg_catalog') return true;
    // An unqualified name may reach a user function of that name through search_path.
    return (
      (schema === undefined && catalog.hasUserFunction(name)) ||
      builtinCatalog().functionVolatility('pg_catalog', name) === undefined
    );
  });
}

/** The names a statement reads while it runs (a FETCH's cursor, an Execute's portal): their objects are active. */
export function runningNames(c: Classification, portal?: string): string[] {
  const names = portal === undefined ? [] : [portal];
  if (c.cursor?.op === 'fetch') names.push(c.cursor.name ?? '');
  return names;
}

/**
 * The changes a statement that may run user code makes to what the proxy knows: every portal and cursor
 * but the running ones is forgotten when it completes (or fails: it may have run before failing).
 */
export function userCodeChanges(
  c: Classification,
  objects: ServerObjects,
  catalog: Catalog,
  running: string[],
): StateChange[] {
  const reads = c.cursor?.op === 'fetch' ? objects.readBy(c.cursor.name ?? '') : [];
  if (!mayRunUserCode(c, catalog) && !reads.some((q) => mayRunUserCode(q, catalog))) return [];
  return [
    { ns: 'portal', byUserCode: true, except: running },
    { ns: 'cursor', byUserCode: true, except: running },
  ];
}
