import { expect } from 'chai';
import { builtinCatalog } from '../../proxy/sql/catalog.js';
import { explainSql } from '../../proxy/sql/explain.js';

async function wholeRow(sql: string): Promise<boolean> {
  const r = await explainSql(sql, builtinCatalog());
  if (!r.ok) throw new Error(r.error);
  return r.statements[0]!.reads!.wholeRow;
}

describe('lineage: PostgreSQL 18 RETURNING old/new are whole rows of the target', () => {
  it('old, new and their WITH (OLD AS o, NEW AS n) aliases, in UPDATE, DELETE, MERGE, upsert and CTEs', async () => {
    for (const sql of [
      'UPDATE customers SET name = name RETURNING old',
      'UPDATE customers SET name = name RETURNING to_json(new)',
      'UPDATE customers SET name = name RETURNING new::text',
      'UPDATE customers SET name = name RETURNING WITH (OLD AS o, NEW AS n) n',
      'DELETE FROM customers RETURNING WITH (OLD AS gone) row_to_json(gone)',
      'MERGE INTO customers c USING (SELECT 2 AS id) v ON c.id = v.id WHEN MATCHED THEN UPDATE SET name = c.name RETURNING old',
      'INSERT INTO customers (id) VALUES (2) ON CONFLICT (id) DO UPDATE SET name = customers.name RETURNING old',
      'WITH u AS (UPDATE customers SET name = name RETURNING new AS r) SELECT r FROM u',
    ])
      expect(await wholeRow(sql), sql).to.equal(true);
    expect(await wholeRow('UPDATE customers SET name = name RETURNING new.name, old.id')).to.equal(false);
  });
});
