/** Relation names resolve as PostgreSQL resolves them: WITH scoping, DML targets, schema qualification. */
import { expect } from 'chai';
import { explainSql } from '../../proxy/sql/explain.js';
import type { Classification } from '../../proxy/sql/types.js';

async function one(sql: string): Promise<Classification> {
  const r = await explainSql(sql);
  if (!r.ok) throw new Error(r.error);
  expect(r.statements, sql).to.have.length(1);
  return r.statements[0]!;
}

const access = async (sql: string): Promise<Record<string, string[]>> =>
  Object.fromEntries((await one(sql)).tables.map((t) => [t.schema ? `${t.schema}.${t.name}` : t.name, t.access]));

describe('relation names resolve as PostgreSQL resolves them', () => {
  const cases: [string, Record<string, string[]>][] = [
    // A non-recursive CTE's body does not see itself: it reads the real table.
    ['WITH payroll AS (SELECT * FROM payroll) SELECT * FROM payroll', { payroll: ['read'] }],
    [
      'WITH a AS (SELECT * FROM payroll), payroll AS (SELECT * FROM payroll) SELECT * FROM a, payroll',
      { payroll: ['read'] },
    ],
    // A later sibling is not visible to an earlier one; an earlier one is visible to a later one.
    ['WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a', { b: ['read'] }],
    ['WITH b AS (SELECT 1), a AS (SELECT * FROM b) SELECT * FROM a', {}],
    // RECURSIVE: the CTE sees itself.
    [
      'WITH RECURSIVE payroll(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM payroll WHERE n < 3) SELECT * FROM payroll',
      {},
    ],
    // DML targets always name real relations.
    ['WITH payroll AS (SELECT 1) UPDATE payroll SET salary = 0', { payroll: ['write'] }],
    ['WITH payroll AS (SELECT 1) DELETE FROM payroll', { payroll: ['write'] }],
    ['WITH payroll AS (SELECT 1 AS id) INSERT INTO payroll SELECT * FROM payroll', { payroll: ['write'] }],
    [
      'WITH payroll AS (SELECT 1 AS id) MERGE INTO payroll p USING payroll s ON p.id = s.id WHEN MATCHED THEN DELETE',
      { payroll: ['write'] },
    ],
    ['WITH payroll AS (SELECT 1), x AS (DELETE FROM payroll RETURNING *) SELECT * FROM x', { payroll: ['write'] }],
    ['WITH payroll AS (SELECT 1) SELECT * INTO payroll FROM payroll', { payroll: ['write'] }],
    ['EXPLAIN ANALYZE WITH payroll AS (SELECT 1) UPDATE payroll SET salary = 0', { payroll: ['write'] }],
    ['PREPARE p AS WITH payroll AS (SELECT 1) DELETE FROM payroll', { payroll: ['write'] }],
    ['COPY (WITH payroll AS (SELECT * FROM payroll) SELECT * FROM payroll) TO STDOUT', { payroll: ['read'] }],
    [
      'CREATE VIEW v AS WITH payroll AS (SELECT * FROM payroll) SELECT * FROM payroll',
      { payroll: ['write'], v: ['write'] },
    ],
    // Schema-qualified names are never CTEs.
    ['WITH payroll AS (SELECT 1) SELECT * FROM payroll, hr.payroll', { 'hr.payroll': ['read'] }],
    // A CTE in a subquery is scoped to it.
    ['SELECT * FROM (WITH payroll AS (SELECT 1) SELECT * FROM payroll) s, payroll', { payroll: ['read'] }],
    [
      'SELECT (WITH payroll AS (SELECT 1) SELECT count(*) FROM payroll), (SELECT count(*) FROM payroll)',
      { payroll: ['read'] },
    ],
    // An inner CTE's body sees the outer CTE of the same name.
    ['WITH payroll AS (SELECT 1) SELECT * FROM (WITH payroll AS (SELECT * FROM payroll) SELECT * FROM payroll) s', {}],
    // A CTE of the same name does hide the table where PostgreSQL reads the CTE.
    ['WITH payroll AS (SELECT 1) SELECT * FROM payroll', {}],
    ['WITH payroll AS (SELECT 1) SELECT * FROM payroll FOR UPDATE', {}],
    // Statements that name relations by name lists, not RangeVars.
    ['DROP TABLE payroll, hr.staff', { payroll: ['write'], 'hr.staff': ['write'] }],
    ['DROP VIEW IF EXISTS payroll_view', { payroll_view: ['write'] }],
    ['DROP MATERIALIZED VIEW hr.mv', { 'hr.mv': ['write'] }],
    ["COMMENT ON TABLE payroll IS 'x'", { payroll: ['write'] }],
    ["COMMENT ON COLUMN hr.payroll.salary IS 'x'", { 'hr.payroll': ['write'] }],
    ["SECURITY LABEL ON TABLE payroll IS 'x'", { payroll: ['write'] }],
  ];
  for (const [sql, expected] of cases) {
    it(sql, async () => {
      expect(await access(sql)).to.deep.equal(expected);
    });
  }
});
