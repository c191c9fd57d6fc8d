/**
 * Differential test of the statement-shape cache: for the unit corpus (every SQL string in
 * classify.test.ts) and generated variants of it (literal values, identifier case and quoting, UESCAPE,
 * non-ASCII identifiers, option literals), a shared, warmed cache answers exactly what a fresh parse
 * answers. Variants of one statement are sent through the same cache one after another, so a key that
 * conflates two of them serves the first one's shape for the second.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { StatementClassifier } from '../../proxy/sql/classifier.js';
import { SqlParser } from '../../proxy/sql/parser.js';

const CORPUS_FILE = new URL('./classify.test.ts', import.meta.url);

/** Every string literal in the unit corpus that PostgreSQL parses as at least one statement. */
function corpus(parser: SqlParser): string[] {
  const file = ts.createSourceFile('classify.test.ts', readFileSync(CORPUS_FILE, 'utf8'), ts.ScriptTarget.Latest);
  const out = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) {
      const r = parser.parse(n.text);
      if (!(r instanceof Promise) && r.ok && (r.tree.stmts?.length ?? 0) > 0) out.add(n.text);
    }
    n.forEachChild(visit);
  };
  visit(file);
  return [...out];
}

/** The statements the review used to get a wrong answer out of the cache, each after its decoy. */
const ATTACKS: string[][] = [
  ["EXPLAIN (ANALYZE 'false') UPDATE payroll SET salary = 0", "EXPLAIN (ANALYZE 'true') UPDATE payroll SET salary = 0"],
  [
    "EXPLAIN (ANALYZE 'off') DELETE FROM payroll",
    "EXPLAIN (ANALYZE 'on') DELETE FROM payroll",
    "EXPLAIN (ANALYZE '1') DELETE FROM payroll",
  ],
  ['EXPLAIN (ANALYZE 0) DELETE FROM payroll', 'EXPLAIN (ANALYZE 1) DELETE FROM payroll'],
  [`SELECT * FROM U&"!0070ayroll" UESCAPE '\\'`, `SELECT * FROM U&"!0070ayroll" UESCAPE '!'`],
  [`SELECT * FROM U&"#0070ayroll" UESCAPE '!'`, `SELECT * FROM U&"#0070ayroll" UESCAPE '#'`],
  ['SELECT * FROM \u212Aeys', 'SELECT * FROM keys', 'SELECT * FROM KEYS', 'SELECT * FROM "Keys"'],
  ['SELECT * FROM payroll\u0131', 'SELECT * FROM payrolli', 'SELECT * FROM PAYROLLI', 'SELECT * FROM payroll\u0130'],
  [
    "COPY payroll TO STDOUT (FORMAT 'text')",
    "COPY payroll TO STDOUT (FORMAT 'binary')",
    "COPY payroll TO STDOUT (FORMAT 'csv')",
  ],
  [
    "COPY payroll TO STDOUT (FORMAT csv, DELIMITER ',')",
    "COPY payroll TO STDOUT (FORMAT csv, DELIMITER '|')",
    "COPY payroll TO STDOUT (FORMAT csv, QUOTE '''')",
  ],
  ["COPY payroll TO STDOUT (FORMAT text, DELIMITER E'\\t')", "COPY payroll TO STDOUT (FORMAT text, DELIMITER ';')"],
  [
    "SELECT set_config('application_name', 'x', false)",
    "SELECT set_config('role', 'x', false)",
    "SELECT set_config('transaction_read_only', 'off', false)",
  ],
  ["SET agentgate.reason = 'ticket 1'", "SET agentgate.reason = 'ticket 2'"],
  ["SET statement_timeout = '1s'", "SET transaction_read_only = 'off'", "SET transaction_read_only = 'on'"],
  ['BEGIN TRANSACTION READ ONLY', 'BEGIN TRANSACTION READ WRITE', 'SET TRANSACTION READ WRITE'],
  [
    'DELETE FROM payroll WHERE 1 = 0',
    'DELETE FROM payroll WHERE 1 = 1',
    "DELETE FROM payroll WHERE 'a' = 'a'",
    'DELETE FROM payroll WHERE true AND 2 > 1',
  ],
  [
    'UPDATE payroll SET salary = 0 WHERE false',
    'UPDATE payroll SET salary = 0 WHERE true',
    "UPDATE payroll SET salary = 0 WHERE 't'::bool",
  ],
];

/** Variants of one statement that a literal-normalizing or case-folding key would conflate. */
function variants(sql: string): string[] {
  const out = new Set<string>([sql]);
  out.add(sql.replace(/\b\d+\b/g, (d) => String(Number(d) + 1)));
  out.add(sql.replace(/\b\d+\b/g, '0'));
  for (const v of ['true', 'false', 'off', 'on', 'binary', 'csv', 'role', 'transaction_read_only', '!', "x''y"]) {
    out.add(sql.replace(/'(?:[^']|'')*'/g, `'${v}'`));
  }
  out.add(sql.toUpperCase());
  out.add(sql.replace(/\b(payroll|orders|t|users|accounts)\b/gi, (w) => `"${w}"`));
  out.add(sql.replace(/\b(payroll|orders|t|users|accounts)\b/gi, (w) => `"${w.toUpperCase()}"`));
  out.add(sql.replace(/k/g, '\u212A').replace(/K/g, '\u212A'));
  out.add(sql.replace(/i/g, '\u0131').replace(/I/g, '\u0130'));
  out.add(
    sql.replace(
      /\b(payroll|orders|users)\b/gi,
      (w) => `U&"!${w.charCodeAt(0).toString(16).padStart(4, '0')}${w.slice(1)}" UESCAPE '!'`,
    ),
  );
  out.add(
    sql.replace(
      /\b(payroll|orders|users)\b/gi,
      (w) => `U&"!${w.charCodeAt(0).toString(16).padStart(4, '0')}${w.slice(1)}" UESCAPE '\\'`,
    ),
  );
  out.add(sql.replace(/\bEXPLAIN ANALYZE\b/g, "EXPLAIN (ANALYZE 'off')"));
  return [...out];
}

describe('statement cache: a cached answer equals a fresh parse', () => {
  let parser: SqlParser;
  before(async () => {
    parser = SqlParser.create();
    await parser.load();
  });
  after(() => parser.close());

  const fresh = async (sql: string): Promise<unknown> => new StatementClassifier(parser, 1).shapes(sql);

  async function check(cache: StatementClassifier, family: string[]): Promise<number> {
    let compared = 0;
    for (const sql of family) {
      const expected = await fresh(sql);
      const first = await cache.shapes(sql);
      const second = await cache.shapes(sql);
      const third = await cache.shapes(sql);
      expect(first, sql).to.deep.equal(expected);
      expect(second, sql).to.deep.equal(expected);
      expect(third, sql).to.deep.equal(expected);
      compared++;
    }
    return compared;
  }

  it('the review attacks: option literals, UESCAPE, Kelvin sign, dotless i, COPY options, settings', async () => {
    const cache = new StatementClassifier(parser);
    for (const family of ATTACKS) await check(cache, family);
  });

  it('the unit corpus and its generated variants', async () => {
    const cache = new StatementClassifier(parser);
    const sqls = corpus(parser);
    expect(sqls.length).to.be.greaterThan(50);
    let compared = 0;
    for (const sql of sqls) compared += await check(cache, variants(sql));
    expect(compared).to.be.greaterThan(sqls.length * 5);
  });

  it('cached shapes are frozen, so one session cannot change what another one is told', async () => {
    const cache = new StatementClassifier(parser);
    const sql = 'COPY payroll TO STDOUT (FORMAT csv); DELETE FROM payroll WHERE id = 1';
    const a = await cache.shapes(sql);
    if (!a.ok) throw new Error(a.error);
    const s = a.shapes[1]!;
    expect(() => (s.effects as string[]).push('read')).to.throw(TypeError);
    expect(() => ((s as { unboundedWrite: boolean }).unboundedWrite = true)).to.throw(TypeError);
    expect(() => ((s.tables[0]!.access as string[]).length = 0)).to.throw(TypeError);
    expect(() => ((a.shapes[0]!.copy as { format: string }).format = 'text')).to.throw(TypeError);
    expect(await cache.shapes(sql)).to.deep.equal(await fresh(sql));
  });

  it('the cache is bounded: long texts are parsed every time; a text is stored when seen a second time', async () => {
    const cache = new StatementClassifier(parser, { entries: 10, maxTextLength: 100 });
    const long = `SELECT 1 ${' '.repeat(200)}`;
    await cache.shapes(long);
    await cache.shapes(long);
    expect(cache.hits).to.equal(0);
    // String literals: texts that differ in an integer literal share a template (literal-template.test.ts).
    for (let i = 0; i < 50; i++) await cache.shapes(`SELECT '${i}'`);
    expect(cache.hits).to.equal(0);
    for (let i = 0; i < 50; i++) await cache.shapes(`SELECT '${i}'`);
    await cache.shapes("SELECT '49'");
    expect(cache.hits).to.equal(1);
    await cache.shapes("SELECT '0'");
    expect(cache.hits).to.equal(1);
  });
});
