/** `agentgate sql explain`: classify a query text offline, with PostgreSQL's built-in catalog. */
import { builtinCatalog, type Catalog } from './catalog.js';
import { StatementClassifier } from './classifier.js';
import { SqlParser } from './parser.js';
import { resolveShape } from './resolve.js';
import type { Classification } from './types.js';

export type Explained = { ok: true; statements: Classification[] } | { ok: false; error: string };

export async function explainSql(sql: string, catalog: Catalog = builtinCatalog()): Promise<Explained> {
  const parser = SqlParser.create();
  try {
    const result = await new StatementClassifier(parser).shapes(sql);
    if (!result.ok) return result;
    return {
      ok: true,
      statements: result.shapes.map((s) => resolveShape(s, sql, catalog)),
    };
  } finally {
    await parser.close();
  }
}
