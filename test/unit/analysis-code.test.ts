/**
 * Which statements PostgreSQL's parse analysis may run code for (proxy/sql/analysis-code.ts): those with a
 * literal converted through a type's input function (a string, a bit string, NULL), a type modifier, or
 * TABLESAMPLE, wherever it sits. Integer, numeric and boolean constants are typed by the grammar and never
 * run a domain's CHECK at parse.
 * The integration side (code run by a Parse, a Describe, a Bind) is
 * test/integration/review-parse-time-code.test.ts and review-parse-time-code-reach.test.ts.
 */
import { expect } from 'chai';
import { StatementClassifier } from '../../proxy/sql/classifier.js';
import { SqlParser } from '../../proxy/sql/parser.js';

const MAY_RUN_CODE = [
  `SELECT '{1}'::dom[]`,
  `SELECT ''`,
  `SELECT int '5'`,
  `SELECT E'\\x41'`,
  `SELECT $$body$$`,
  `SELECT B'101'`,
  `SELECT X'ff'`,
  `SELECT NULL`,
  `SELECT 1 FROM t WHERE a IN (SELECT b FROM u WHERE c = 'x')`,
  `INSERT INTO t VALUES (1, '{1}')`,
  `UPDATE t SET a = 1 WHERE b = 'x'`,
  `WITH w AS (SELECT 'x' AS v) SELECT 1 FROM w`,
  `DECLARE c CURSOR FOR SELECT '{1}'::dom[]`,
  `EXPLAIN SELECT 'x'`,
  `CALL p('x')`,
  `EXECUTE s('x')`,
  `PREPARE s AS SELECT 'x'`,
  `SET search_path = 'public'`,
  'SELECT x::varchar(5) FROM t',
  'SELECT 1::mytype(1)',
  'SELECT x FROM t, LATERAL (SELECT y::numeric(10, 2)) AS s',
  'SELECT * FROM t TABLESAMPLE bernoulli (10)',
];
const RUNS_NONE = [
  'SELECT 1',
  'SELECT abalance FROM pgbench_accounts WHERE aid = $1',
  'SELECT 0, -1, 1.5, 1e10, true, false',
  'SELECT $1::dom[]',
  'FETCH FORWARD 5 FROM c',
  'MOVE 0 IN c',
  'CLOSE c',
  'BEGIN',
  'COMMIT',
  'SAVEPOINT s',
  'SELECT a FROM t WHERE a IS NULL',
];

describe('analysis-code: statements whose parse analysis may run code', () => {
  const parser = SqlParser.create();
  const classifier = new StatementClassifier(parser);
  before(async () => parser.load());
  after(async () => parser.close());

  const flag = async (sql: string): Promise<boolean | undefined> => {
    const r = await classifier.shapes(sql);
    if (!r.ok) throw new Error(r.error);
    expect(r.shapes).to.have.length(1);
    return r.shapes[0]!.analysisRunsCode;
  };

  for (const sql of MAY_RUN_CODE) it(`may run code: ${sql}`, async () => expect(await flag(sql)).to.equal(true));
  for (const sql of RUNS_NONE) it(`runs none: ${sql}`, async () => expect(await flag(sql)).to.equal(undefined));

  it('the flag is per statement of a multi-statement text', async () => {
    const r = await classifier.shapes(`SELECT 1; SELECT 'x'`);
    expect(r.ok && r.shapes.map((s) => s.analysisRunsCode ?? false)).to.deep.equal([false, true]);
  });

  it('a text answered from its integer template keeps the flag of a fresh parse', async () => {
    // Second sightings make the template; later texts differing in integers are answered from it.
    for (let i = 1; i <= 4; i++) expect(await flag(`SELECT ${i} FROM t WHERE b = 'x'`)).to.equal(true);
    for (let i = 1; i <= 4; i++) expect(await flag(`SELECT ${i} FROM t WHERE b = ${i}`)).to.equal(undefined);
    expect(classifier.templateHits).to.be.greaterThan(0);
  });
});
