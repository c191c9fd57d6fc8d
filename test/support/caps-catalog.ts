/** A catalog snapshot for classifier tests: PostgreSQL's built-in functions plus the tables a test names. */
import { readFileSync } from 'node:fs';
import { CatalogSnapshot, type CatalogRows, type Volatility } from '../../proxy/sql/catalog.js';

const builtins = JSON.parse(
  readFileSync(new URL('../../proxy/sql/builtin-functions.json', import.meta.url), 'utf8'),
) as { functions: Record<string, Volatility> };

export function catalogWith(rows: Partial<CatalogRows>): CatalogSnapshot {
  return new CatalogSnapshot({
    relations: [],
    ...rows,
    functions: [
      ...Object.entries(builtins.functions).map(([name, volatility]) => ({ schema: 'pg_catalog', name, volatility })),
      ...(rows.functions ?? []),
    ],
  });
}
