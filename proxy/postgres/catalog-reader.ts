/**
 * Reads a target's catalog (the rows of catalog.ts's snapshot) over a session the proxy owns, in one
 * REPEATABLE READ transaction, with a digest of it computed by the database (sql/catalog-digest.ts).
 * Given the digest of the snapshot in use, it stops after the digest when that is unchanged: most
 * periodic reloads then move one short row instead of the whole catalog, and the snapshot stands.
 */
import type { Socket } from 'node:net';
import { CATALOG_UNCHANGED, type CatalogLoad } from '../sql/catalog-keeper.js';
import { catalogDigestQuery, orderedRowsQuery } from '../sql/catalog-digest.js';
import {
  CATALOG_FUNCTIONS_SQL,
  CATALOG_RELATIONS_SQL,
  CATALOG_ROW_FUNCTIONS_SQL,
  CATALOG_SCHEMAS_SQL,
  catalogColumnsSql,
  catalogRuledGeneratedSql,
  catalogRuledViewsSql,
  type Volatility,
} from '../sql/catalog.js';
import { CATALOG_HIDDEN_WRITES_SQL, hiddenWritesFromRows } from '../sql/hidden-writes.js';
import { CATALOG_SEARCH_PATH_SQL, effectiveSearchPath } from '../sql/search-path.js';
import { ServerQueryError, simpleQuery } from './simple-query.js';

type Rows = (string | null)[][];

/**
 * Every name in the catalog queries resolves in pg_catalog. On the role's own path an exact-typed
 * operator or function in a schema the agent can write (`public.=(oid, regclass)`) would win over
 * pg_catalog's coercing one and answer for it; pg_temp is searched last for relations and types, and
 * never for functions or operators. For the transaction it is sent in (a Query of several statements is
 * one), so a session the proxy keeps, or a pooler's server connection, goes back to its own path.
 */
export const CATALOG_PATH = 'SET LOCAL search_path = pg_catalog, pg_temp';

const BEGIN = `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; ${CATALOG_PATH}`;

/**
 * The catalog's rows for a policy whose column rules name `ruledNames`, or CATALOG_UNCHANGED when the
 * database's digest of them equals `since`. The session is the caller's to close.
 */
export async function readCatalog(
  socket: Socket,
  o: { ruledNames: string[]; upstreamUser: string; since?: string },
): Promise<CatalogLoad> {
  const queries = {
    functions: CATALOG_FUNCTIONS_SQL,
    schemas: CATALOG_SCHEMAS_SQL,
    relations: CATALOG_RELATIONS_SQL,
    columns: catalogColumnsSql(o.ruledNames),
    searchPath: CATALOG_SEARCH_PATH_SQL,
    hiddenWrites: CATALOG_HIDDEN_WRITES_SQL,
    ruledViews: catalogRuledViewsSql(o.ruledNames),
    rowFunctions: CATALOG_ROW_FUNCTIONS_SQL,
    generatedColumns: catalogRuledGeneratedSql(o.ruledNames),
  };
  // One snapshot for the digest and the rows, so the digest describes exactly the rows read with it.
  await simpleQuery(socket, BEGIN);
  let digest: string | undefined;
  try {
    digest = (await simpleQuery(socket, catalogDigestQuery(Object.values(queries))))[0]?.[0] ?? undefined;
  } catch (e) {
    // Only a server's refusal (sha256() is PostgreSQL 11+, or not granted) is read past: then everything
    // is read, every time. Anything else (a timeout, a closed session) leaves the session out of step.
    if (!(e instanceof ServerQueryError)) throw e;
    await simpleQuery(socket, 'ROLLBACK');
    await simpleQuery(socket, BEGIN);
  }
  if (digest !== undefined && digest === o.since) {
    await simpleQuery(socket, 'COMMIT');
    return CATALOG_UNCHANGED;
  }
  const read = async (sql: string): Promise<Rows> => simpleQuery(socket, orderedRowsQuery(sql));
  const functions = (await read(queries.functions)).map((r) => ({
    schema: r[0]!,
    name: r[1]!,
    volatility: r[2] as Volatility,
    ...(r[3] ? { settings: r[3].split(',') } : {}),
  }));
  const schemas = (await read(queries.schemas)).map((r) => r[0]!);
  const relations = (await read(queries.relations)).map((r) => ({
    schema: r[0]!,
    name: r[1]!,
    oid: Number(r[2]),
    attributes: Number(r[3]),
  }));
  const columns = (await read(queries.columns)).map((r) => ({
    relid: Number(r[0]),
    attnum: Number(r[1]),
    name: r[2]!,
    relation: r[3]!,
  }));
  const [path] = await read(queries.searchPath);
  const searchPath = effectiveSearchPath(path?.[0] ?? '', path?.[1] ?? o.upstreamUser);
  const hiddenWrites = hiddenWritesFromRows(await read(queries.hiddenWrites));
  const ruledViews = (await read(queries.ruledViews)).map((r) => ({ oid: Number(r[0]), name: r[1]! }));
  const rowFunctions = (await read(queries.rowFunctions)).map((r) => r[0]!);
  const generatedColumns = (await read(queries.generatedColumns)).map((r) => ({
    relid: Number(r[0]),
    attnum: Number(r[1]),
    name: r[2]!,
    source: r[3]!,
  }));
  await simpleQuery(socket, 'COMMIT');
  return {
    functions,
    schemas,
    relations,
    columns,
    searchPath,
    hiddenWrites,
    ruledViews,
    rowFunctions,
    generatedColumns,
    ...(digest !== undefined ? { digest } : {}),
  };
}
