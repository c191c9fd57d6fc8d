/**
 * Regenerates proxy/sql/builtin-functions.json: every pg_catalog function and its worst volatility over
 * overloads, read from a real PostgreSQL server. Run with `npm run gen:builtins`.
 */
import { writeFileSync } from 'node:fs';
import { startPostgres } from '../proxy/local/embedded-postgres.js';

const pg = await startPostgres();
const client = pg.client();
await client.connect();
const { rows } = await client.query<{ name: string; v: string }>(
  `SELECT p.proname AS name, max(CASE p.provolatile WHEN 'v' THEN 2 WHEN 's' THEN 1 ELSE 0 END)::text AS v
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'pg_catalog'
     GROUP BY p.proname ORDER BY p.proname`,
);
const version = (await client.query('SHOW server_version')).rows[0].server_version as string;
await client.end();
await pg.stop();
const functions = Object.fromEntries(rows.map((r) => [r.name, ['i', 's', 'v'][Number(r.v)]]));
const file = new URL('../proxy/sql/builtin-functions.json', import.meta.url);
writeFileSync(file, JSON.stringify({ generatedFrom: `PostgreSQL ${version}`, functions }, null, 0) + '\n');
console.log(`wrote ${rows.length} functions from PostgreSQL ${version}`);
