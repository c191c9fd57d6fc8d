/**
 * A digest of a catalog load, computed by the database, so a reload can tell "nothing changed" from one
 * short row.
 *
 * Each of the load's queries is read in one order that depends on its rows alone (sorted by each row's
 * text, byte-wise), and the digest is SHA-256 over every query's rows in that order: each row as
 * PostgreSQL writes a record (fields quoted and escaped where needed, NULL as nothing), each query's rows
 * as a text[] literal (elements quoted and escaped), the queries' literals in a fixed order. Nothing can
 * run into its neighbour, so equal digests mean equal rows in equal order, and a snapshot built from them
 * (a function of its rows alone) would be the same one.
 */

/** The query's rows, sorted by their text as catalogDigestQuery() sorts them. */
export function orderedRowsQuery(sql: string): string {
  return `SELECT * FROM (${sql}) t ORDER BY t::text COLLATE "C"`;
}

/** One row, one column: the hex SHA-256 of the rows of `queries`, as orderedRowsQuery() reads them. */
export function catalogDigestQuery(queries: readonly string[]): string {
  const sets = queries.map(
    (q) => `COALESCE((SELECT pg_catalog.array_agg(t::text ORDER BY t::text COLLATE "C")::text FROM (${q}) t), '{}')`,
  );
  return `SELECT pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.concat_ws('|', ${sets.join(
    ', ',
  )}), 'UTF8')), 'hex')`;
}
