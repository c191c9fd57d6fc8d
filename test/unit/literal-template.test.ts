/**
 * Issue #14: texts that differ only in integer literals (bigint ids included) share one cached classification (their
 * template, proxy/sql/literal-template.ts). Differential: every answer of a shared, warmed cache equals
 * a fresh parse of the same text, over families whose literals do decide the shape (tautologies,
 * boolean options, negation, type modifiers the grammar consumes, FETCH counts) and families whose
 * literals do not (which must then be answered from the template, or the cache does nothing).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { StatementClassifier } from '../../proxy/sql/classifier.js';
import { constantsAt, literalTemplate } from '../../proxy/sql/literal-template.js';
import { SqlParser } from '../../proxy/sql/parser.js';

/** `#` stands for an integer literal; each family is sent with many values through one cache. */
const DECIDED_BY_LITERALS = [
  'DELETE FROM payroll WHERE # = #',
  'DELETE FROM payroll WHERE id = # OR # = #',
  'DELETE FROM payroll WHERE id = # AND # >= #',
  'UPDATE payroll SET salary = # WHERE # <> #',
  'UPDATE payroll SET salary = # WHERE # = #::int',
  'EXPLAIN (ANALYZE #) DELETE FROM payroll',
  'EXPLAIN (ANALYZE #, COSTS #) UPDATE payroll SET salary = #',
  'SELECT float(#)',
  'SELECT #::float(#)',
  'FETCH # FROM c',
  'MOVE FORWARD # IN c',
  'SELECT -#',
  'SELECT abalance FROM pgbench_accounts WHERE aid = -#',
  'DELETE FROM payroll WHERE -# = -#',
  'ALTER ROLE agent CONNECTION LIMIT #',
  'CREATE SEQUENCE s START # INCREMENT #',
  'SELECT #; SELECT #',
  'SELECT abalance FROM pgbench_accounts WHERE aid = #; DELETE FROM payroll WHERE # = #',
  'CREATE TABLE t (a int[#])',
  "DELETE FROM payroll WHERE ctid = '(0,#)' OR # = #",
];

const LITERAL_FREE_SHAPES = [
  'SELECT abalance FROM pgbench_accounts WHERE aid = #;',
  'SELECT abalance FROM pgbench_accounts WHERE aid = #',
  '  SELECT abalance FROM pgbench_accounts WHERE aid = # ; ',
  '/* agent */ SELECT * FROM orders WHERE id = # AND total > # ORDER BY # LIMIT # OFFSET #',
  'UPDATE pgbench_accounts SET abalance = abalance + # WHERE aid = #;',
  'DELETE FROM payroll WHERE id = #',
  'DELETE FROM payroll WHERE id IN (#, #, #)',
  'INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (#, #, #, #, CURRENT_TIMESTAMP);',
  "SELECT #::varchar(#), #::numeric(#, #), interval(#) '1 s', #::regclass",
  "SELECT lo_get(#), pg_sleep(#), nextval('s') + #",
  'SELECT * FROM t TABLESAMPLE SYSTEM (#) REPEATABLE (#)',
  'SELECT (ARRAY[#, #])[#], +#, # - #',
  'SET statement_timeout = #',
  // Any value of these settings may lift read-only: the shape says so by the setting's name alone.
  'SET transaction_read_only = #',
  'SET default_transaction_read_only TO #',
  'SET LOCAL transaction_read_only = #',
  'DECLARE c CURSOR FOR SELECT * FROM payroll WHERE id = #',
  'COPY (SELECT * FROM payroll LIMIT #) TO STDOUT',
  'SELECT * FROM payroll p JOIN orders o ON o.id = p.id + # WHERE p.id = # -- comment 5\n',
  'SELECT \'5\', $$5$$, "c5", c5, #',
  "SELECT set_config('application_name', #::text, false)",
  'SELECT # FROM payroll WHERE salary BETWEEN # AND #',
  'SELECT x[#:#] FROM t',
];

const NOT_TEMPLATED = [
  'SELECT 1.5',
  'SELECT 1e5',
  'SELECT 0x10',
  'SELECT 1_000',
  'SELECT 01234567890',
  'SELECT 0000000000',
  `SELECT ${'9'.repeat(65)}`,
  'SELECT $1',
  'SELECT c1 FROM t1',
  "SELECT 'é', 5",
  'SELECT 12abc',
  "SELECT '5'",
];

/**
 * Values for the `#`s: small integers, literals past 32 bits (bigint ids: PostgreSQL's scanner makes them
 * numeric constants instead, and each kind has its own templates), or both, around the boundary.
 */
type Pool = 'small' | 'big' | 'mixed';
function values(seed: number, pool: Pool): (number | string)[] {
  let s = seed;
  const rnd = (n: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
    return s % n;
  };
  const small = (): number => (rnd(10) < 3 ? rnd(3) : rnd(10 ** (1 + rnd(9))));
  const big = (): string => `${1 + rnd(9)}${String(rnd(1e9)).padStart(9, '0')}${'7'.repeat(rnd(12))}`;
  const out: (number | string)[] =
    pool === 'small'
      ? [0, 1, 5, 7, 10, 99, 999_999_999, 1]
      : pool === 'big'
        ? ['2147483648', '9223372036854775808', '2147483648']
        : [0, 1, 2147483647, 2147483648, '9223372036854775808', 7];
  for (let i = 0; i < 12; i++) out.push(pool === 'small' ? small() : pool === 'big' ? big() : rnd(2) ? small() : big());
  return out;
}

/** The family with each `#` replaced, with leading zeros at times (`007` is 7 to the server, too). */
function instances(family: string, seed: number, pool: Pool = 'mixed'): string[] {
  const vs = values(seed, pool);
  return vs.map((v, i) => {
    let k = i;
    return family.replace(/#/g, () => {
      const n = vs[(k++ * 7 + i) % vs.length]!;
      const text = String(n);
      return (i + k) % 5 === 0 && text.length < 8 ? `0${text}` : text;
    });
  });
}

describe('statement cache: texts that differ only in integer literals share a template', () => {
  let parser: SqlParser;
  before(async () => {
    parser = SqlParser.create();
    await parser.load();
  });
  after(() => parser.close());

  const fresh = async (sql: string): Promise<unknown> => new StatementClassifier(parser, 1).shapes(sql);

  async function sameAsFresh(cache: StatementClassifier, texts: string[]): Promise<void> {
    for (const sql of texts) {
      const expected = await fresh(sql);
      expect(await cache.shapes(sql), sql).to.deep.equal(expected);
      expect(await cache.shapes(sql), `${sql} (again)`).to.deep.equal(expected);
    }
  }

  it('literals that decide the shape: every answer is the fresh one, and no such family is served from a template', async () => {
    const cache = new StatementClassifier(parser);
    for (const [i, family] of DECIDED_BY_LITERALS.entries()) {
      const before = cache.templateHits;
      await sameAsFresh(cache, instances(family, i + 1));
      expect(cache.templateHits - before, family).to.equal(0);
    }
  });

  it('literals that do not: every answer is the fresh one (length and fingerprint included), served from the template', async () => {
    const cache = new StatementClassifier(parser);
    for (const [i, family] of LITERAL_FREE_SHAPES.entries()) {
      for (const pool of ['small', 'big'] as const) {
        const texts = instances(family, 100 + i, pool);
        const before = cache.templateHits;
        await sameAsFresh(cache, texts);
        // Where the grammar takes only a small integer (`interval(#)`), a bigint is a syntax error: not cached.
        const parses = ((await fresh(texts[0]!)) as { ok: boolean }).ok;
        if (parses) expect(cache.templateHits - before, `${family} (${pool})`).to.be.greaterThan(10);
        else expect(pool, family).to.equal('big');
      }
      await sameAsFresh(cache, instances(family, 200 + i));
    }
  });

  it('families interleaved in one cache, in a shuffled order', async () => {
    const cache = new StatementClassifier(parser);
    const all = [...DECIDED_BY_LITERALS, ...LITERAL_FREE_SHAPES].flatMap((f, i) => instances(f, 1000 + i));
    for (let i = all.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [all[i], all[j]] = [all[j]!, all[i]!];
    }
    await sameAsFresh(cache, all);
    expect(cache.templateHits).to.be.greaterThan(all.length / 3);
  });

  it('what is not a template literal: decimals, exponents, hex, underscores, long literals with a leading zero or past 64 digits, parameters, identifiers, strings, non-ASCII', () => {
    for (const sql of NOT_TEMPLATED) expect(literalTemplate(sql, 4096), sql).to.equal(undefined);
    expect(literalTemplate('SELECT 5 FROM t', 4096)).to.deep.equal({
      key: 'SELECT \u0000 FROM t',
      offsets: [7],
      values: [5],
    });
    expect(literalTemplate('SELECT 5', 4)).to.equal(undefined);
    // Past 32 bits, a numeric constant: its own kind in the key, its text as the value.
    expect(literalTemplate('SELECT 2147483647, 2147483648, 90071992547409931 FROM t', 4096)).to.deep.equal({
      key: 'SELECT \u0000, \u0000\u0000, \u0000\u0000 FROM t',
      offsets: [7, 19, 31],
      values: [2147483647, '2147483648', '90071992547409931'],
    });
  });

  it('a template is kept only where the grammar stored each literal as that constant at that offset', () => {
    const tree = (sql: string): unknown => {
      const r = parser.parse(sql);
      if (r instanceof Promise || !r.ok) throw new Error(sql);
      return r.tree;
    };
    const kept = (sql: string): boolean => constantsAt(tree(sql), literalTemplate(sql, 4096)!);
    expect(kept('SELECT a FROM t WHERE id = 0')).to.equal(true);
    expect(kept('SELECT a FROM t WHERE id = 007')).to.equal(true);
    expect(kept('SELECT a FROM t WHERE id = 90071992547409931')).to.equal(true);
    expect(kept('SELECT -90071992547409931')).to.equal(false);
    expect(kept("SELECT 5::varchar(3), interval(2) '1 s'")).to.equal(true);
    expect(kept('SELECT -5')).to.equal(false);
    expect(kept('SELECT 1::float(30)')).to.equal(false);
    expect(kept('FETCH 5 FROM c')).to.equal(false);
    expect(kept('CREATE TABLE t (a int[3])')).to.equal(false);
  });

  it('the shape reads a numeric constant only through its counted readers', () => {
    // Modules the shape is made by (shape.ts and what it imports, followed to the end, so a new import is
    // checked too): a value read any other way would let a template answer for a literal that decides the shape.
    const source = (m: string): string => readFileSync(new URL(`../../proxy/sql/${m}.ts`, import.meta.url), 'utf8');
    const modules = new Set(['shape']);
    for (const m of modules)
      for (const [, dep] of source(m).matchAll(/^import (?!type )[^;]*from '\.\/([a-z-]+)\.js'/gm)) modules.add(dep!);
    expect([...modules]).to.include.members(['shape', 'settings', 'lineage', 'relation-args']);
    for (const m of modules) {
      const text = source(m);
      // A generic walk over a node's values would read a constant's value without naming it.
      if (m !== 'shape')
        expect(/Object\.(values|entries)\(/.test(text), `${m}.ts walks a node's values`).to.equal(false);
      text.split('\n').forEach((line, i) => {
        const code = line.replace(/\/\/.*$/, '').replace(/^\s*\*.*$/, '');
        if (/\bival\b|\bInteger\b|\bfval\b|\bFloat\b/.test(code))
          expect(
            /integerValue\(|numericValue\(|return v\.ival \?\? 0;|return v\.fval \?\? '';|function (integer|numeric)Value/.test(
              code,
            ),
            `${m}.ts:${i + 1}: ${line.trim()}`,
          ).to.equal(true);
        if (/JSON\.stringify|location|stmt_len/.test(code))
          expect(
            /JSON\.stringify\(stripLoc\(e\.lexpr\)\) === JSON\.stringify\(stripLoc\(e\.rexpr\)\)|raw\.stmt_location|raw\.stmt_len|build\(location|^\s*location,$|k !== 'location'|b\.build\(location/.test(
              code,
            ),
            `${m}.ts:${i + 1}: ${line.trim()}`,
          ).to.equal(true);
      });
    }
  });
});
