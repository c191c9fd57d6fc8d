/**
 * Planner statistics (pg_stats and the catalogs behind it) quote sample values of every analyzed column:
 * most common values, histogram bounds. They would show the contents of a table a rule denies, or a
 * column a rule masks, without naming either. No agent needs them: they are refused in mode Enforce
 * whatever the policy says (in mode Audit, recorded as a would-be denial).
 */
import { STATISTICS_RELATIONS } from '../masking/lineage-rule.js';
import type { Classification } from '../sql/types.js';
import type { Decision } from './decide.js';

export function plannerStatisticsRefusal(c: Classification, audit: boolean): Decision | undefined {
  const t = c.tables.find((x) => STATISTICS_RELATIONS.has(x.name));
  if (!t) return undefined;
  return {
    action: 'Deny', rule: 'planner-statistics', blocked: !audit,
    message: `${t.schema ? `${t.schema}.` : ''}${t.name} holds sample values of table columns (planner statistics), including tables and columns the policy protects; it cannot be read through agentgate`,
  };
}
