import { explainSql } from '../../proxy/sql/explain.js';

export async function runSqlExplain(sql: string): Promise<number> {
  const r = await explainSql(sql);
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  return r.ok ? 0 : 1;
}
