import { expect } from 'chai';
import { plannerStatisticsRefusal } from '../../proxy/gate/guards.js';
import { builtinCatalog } from '../../proxy/sql/catalog.js';
import { explainSql } from '../../proxy/sql/explain.js';

async function refusal(sql: string, audit = false) {
  const r = await explainSql(sql, builtinCatalog());
  if (!r.ok) throw new Error(r.error);
  return plannerStatisticsRefusal(r.statements[0]!, audit);
}

describe('planner statistics are refused whatever the policy', () => {
  it('every statistics relation, qualified or not, in subqueries too; blocked only in mode Enforce', async () => {
    for (const sql of [
      'SELECT most_common_vals FROM pg_stats',
      'SELECT * FROM pg_catalog.pg_statistic',
      'SELECT 1 FROM pg_stats_ext',
      'SELECT 1 FROM pg_stats_ext_exprs',
      'SELECT 1 FROM pg_statistic_ext_data',
      'SELECT (SELECT histogram_bounds::text FROM pg_stats LIMIT 1)',
    ]) {
      const d = await refusal(sql);
      expect(d, sql).to.include({ action: 'Deny', rule: 'planner-statistics', blocked: true });
    }
    expect(await refusal('SELECT 1 FROM pg_stats', true)).to.include({ rule: 'planner-statistics', blocked: false });
    expect(await refusal('SELECT 1 FROM pg_class')).to.equal(undefined);
  });
});
