/**
 * A write's WHERE that reads no column is bounded only when the classifier knows it is false
 * (proxy/sql/shape.ts `constValue`): a wrong "false" would let `DELETE ... WHERE <always true>` pass a
 * rule against unbounded writes. Differential against the real server: for every constant condition
 * below that the classifier calls bounded, PostgreSQL must not find it true — in a session where a user
 * made the objects a hostile review used (an operator in another schema, one that shadows pg_catalog's
 * through the search path for a pair of types pg_catalog has no exact operator for, a `bool` type in
 * pg_temp with an implicit cast that returns true). The cases the first evaluator got wrong (casts that
 * change values, numerics JavaScript rounds, collation-dependent string comparisons) are among them, and
 * must now be unbounded. And a MERGE that deletes or updates rows no source row matches is unbounded
 * whatever its ON says.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { explainSql } from '../../proxy/sql/explain.js';

/** Whether the classifier calls `DELETE FROM orders WHERE <cond>` an unbounded write. */
async function unbounded(cond: string): Promise<boolean> {
  const r = await explainSql(`DELETE FROM orders WHERE ${cond}`);
  if (!r.ok || r.statements.length !== 1) throw new Error(`${cond}: ${JSON.stringify(r)}`);
  return r.statements[0]!.unboundedWrite;
}

const WRONGLY_FALSE_BEFORE = [
  '9007199254740993 <> 9007199254740992',
  'NOT (9007199254740993 = 9007199254740992)',
  '1 < 1.00000000000000001',
  '1::boolean = 2::boolean',
  '1.4::int = 1',
  "'a'::bpchar = 'a '",
  "'1'::int = '01'",
  "'a' < 'B' OR 'B' < 'a'",
  "'0'::int::boolean IS NOT TRUE",
  "NOT 'nonsense'::char(1)::boolean",
];

/** What a user without special rights can create (run in the checking session). */
const HOSTILE_OBJECTS = [
  'CREATE SCHEMA IF NOT EXISTS evil',
  "CREATE OR REPLACE FUNCTION evil.yes(int, int) RETURNS boolean LANGUAGE sql AS 'SELECT true'",
  "CREATE OR REPLACE FUNCTION evil.yes_num(int, numeric) RETURNS boolean LANGUAGE sql AS 'SELECT true'",
  'DROP OPERATOR IF EXISTS evil.= (int, int)',
  'DROP OPERATOR IF EXISTS evil.<> (int, int)',
  'DROP OPERATOR IF EXISTS public.= (int, numeric)',
  'CREATE OPERATOR evil.= (leftarg = int, rightarg = int, function = evil.yes)',
  'CREATE OPERATOR evil.<> (leftarg = int, rightarg = int, function = evil.yes)',
  'CREATE OPERATOR public.= (leftarg = int, rightarg = numeric, function = evil.yes_num)',
  "CREATE TYPE pg_temp.bool AS ENUM ('f', 'off')",
  "CREATE FUNCTION pg_temp.yes(pg_temp.bool) RETURNS boolean LANGUAGE sql AS 'SELECT true'",
  'CREATE CAST (pg_temp.bool AS boolean) WITH FUNCTION pg_temp.yes(pg_temp.bool) AS IMPLICIT',
];

const AFTER_REVIEW = [
  '1 OPERATOR(evil.=) 0',
  '1 OPERATOR(evil.<>) 1',
  'NOT (1 OPERATOR(evil.<>) 1)',
  '5 = 30000000000000000000',
  '1 = 99999999999999999999',
  "'f'::bool",
  "'off'::bool AND true",
  '1 OPERATOR(pg_catalog.=) 0',
];

const CONDITIONS = [
  ...WRONGLY_FALSE_BEFORE,
  ...AFTER_REVIEW,
  '1 = 0',
  '1 = 1',
  '1 <> 1',
  '2 < 1',
  '2147483647 < 2147483648',
  '2147483648 = 2147483648',
  '2147483648 <> 2147483648',
  '3000000001 = 3000000002',
  '5 = 3000000000',
  '3000000000 > 5',
  '00003000000000 = 3000000000',
  '1.5 = 1.5',
  '1.0 = 1.00',
  '1.0 <> 1.00',
  "'a' = 'a'",
  "'a' <> 'a'",
  "'a' = 'A'",
  "'a' <> 'b'",
  "'a ' = 'a'",
  'true = false',
  'true <> false',
  'false < true',
  "'f'",
  "'off'::boolean",
  "'no'::pg_catalog.bool",
  "'fa'",
  "'f'::boolean::text::boolean",
  'NOT true',
  'NOT (1 = 1)',
  '1 = 0 OR 2 = 2',
  '1 = 0 AND 2 = 2',
  'NOT (1 = 0 OR 1 = 0)',
  "'1' = 1",
  "1 = '01'",
  '0 = -0',
  '-1 < 0',
  'NULL = NULL',
  'NOT (NULL = NULL) IS NULL',
];

describe('constant conditions: bounded only when PostgreSQL agrees they are false (real PostgreSQL)', function () {
  this.timeout(60_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack();
  });
  after(async () => s?.stop());

  /** Sent by an agent through the proxy with the example policy: refused as unbounded, and no row touched. */
  async function refusedThroughProxy(sql: string): Promise<void> {
    const d = await s.direct();
    const count = async (): Promise<number> => (await d.query('SELECT count(*)::int AS n FROM orders')).rows[0].n;
    const before = await count();
    const a = await s.connect('agent-unbounded');
    const e = await a.query(sql).then(
      () => undefined,
      (x: Error) => x,
    );
    await a.end();
    expect(e?.message, sql).to.contain('no-unbounded-writes');
    expect(await count(), sql).to.equal(before);
    await d.end();
  }

  it('every constant condition the classifier calls bounded is not true on the server, with hostile objects made', async () => {
    const d = await s.direct();
    try {
      for (const ddl of HOSTILE_OBJECTS) await d.query(ddl);
      for (const cond of CONDITIONS) {
        if (await unbounded(cond)) continue;
        const r = await d.query(`SELECT (${cond}) IS TRUE AS t`);
        expect(r.rows[0].t, `${cond}: called bounded, but the server finds it true`).to.equal(false);
      }
    } finally {
      await d.end();
    }
  });

  it('the conditions the first evaluator called false, true on the server, are unbounded', async () => {
    const d = await s.direct();
    try {
      for (const cond of WRONGLY_FALSE_BEFORE) {
        const r = await d.query(`SELECT (${cond}) IS TRUE AS t`);
        expect(r.rows[0].t, `${cond} is true on the server`).to.equal(true);
        expect(await unbounded(cond), cond).to.equal(true);
      }
    } finally {
      await d.end();
    }
  });

  it('what stays known: whole numbers of types pg_catalog compares exactly, boolean literals', async () => {
    for (const [cond, expected] of [
      ['1 = 0', false],
      ['1 = 1', true],
      ['2147483648 <> 2147483648', false],
      ['3000000001 = 3000000002', false],
      ['9007199254740993 = 9007199254740993', true],
      // Strings are the collation's, even equal ones: unknown, so unbounded.
      ["'a' <> 'a'", true],
      ['true = false', false],
      ["'off'::boolean", false],
      ['NOT (1 = 1)', false],
      ['1 OPERATOR(pg_catalog.=) 0', false],
      ['5 = 3000000000', false],
      ['30000000000000000000 = 30000000000000000001', false],
    ] as const)
      expect(await unbounded(cond), cond).to.equal(expected);
  });

  it('a MERGE that deletes or updates target rows no source row matches is unbounded, whatever its ON', async () => {
    const merge = (on: string, action: string): string =>
      `MERGE INTO orders o USING (SELECT 1 AS k) s ON ${on} WHEN NOT MATCHED BY SOURCE THEN ${action}`;
    for (const sql of [
      merge('1 = 0', 'DELETE'),
      merge('false', "UPDATE SET status = 'x'"),
      merge('o.id = 0', 'DELETE'),
      'MERGE INTO orders o USING orders s ON o.id = s.id AND 1 = 0 WHEN NOT MATCHED BY SOURCE THEN DELETE',
    ]) {
      const r = await explainSql(sql);
      if (!r.ok) throw new Error(`${sql}: ${r.error}`);
      expect(r.statements[0]!.unboundedWrite, sql).to.equal(true);
    }
    const r = await explainSql(merge('o.id = s.k', 'DO NOTHING WHEN MATCHED THEN DELETE'));
    if (!r.ok) throw new Error(r.error);
    expect(r.statements[0]!.unboundedWrite, 'BY SOURCE DO NOTHING, matched rows by a column: bounded').to.equal(false);
    await refusedThroughProxy(merge('1 = 0', 'DELETE'));
  });

  it('a subquery that names something like the target (a join USING alias) is refused through the proxy, no row touched', async () => {
    const sql =
      'DELETE FROM orders WHERE EXISTS (SELECT FROM customers a JOIN customers b USING (id) AS orders WHERE orders.id = 1)';
    await refusedThroughProxy(sql);
  });

  it('a subquery FROM item PostgreSQL names itself (no alias) may shadow the target, and a query in JSON_ARRAY is a subquery: unbounded, refused through the proxy (fifth and sixth hostile reviews)', async () => {
    const d = await s.direct();
    try {
      for (const sql of [...IMPLICITLY_NAMED, ...QUERY_IN_JSON_ARRAY]) {
        await d.query('BEGIN');
        const total = (await d.query('SELECT count(*)::int AS n FROM orders')).rows[0].n;
        const result = await d.query(sql);
        // The writable CTE's statement returns the count of the rows it deleted.
        const affected = sql.startsWith('WITH') ? Number(result.rows[0].count) : result.rowCount;
        await d.query('ROLLBACK');
        expect(affected, `${sql}: the server writes every row`).to.equal(total);
        const r = await explainSql(sql);
        if (!r.ok) throw new Error(`${sql}: ${r.error}`);
        expect(r.statements[0]!.unboundedWrite, sql).to.equal(true);
      }
    } finally {
      await d.end();
    }
    await refusedThroughProxy(IMPLICITLY_NAMED[0]!);
    await refusedThroughProxy(IMPLICITLY_NAMED[IMPLICITLY_NAMED.length - 1]!);
    await refusedThroughProxy(QUERY_IN_JSON_ARRAY[0]!);
    for (const [sql, expected] of [
      ['DELETE FROM orders o WHERE EXISTS (SELECT FROM generate_series(1, 2) g WHERE g = o.id)', false],
      [
        "DELETE FROM orders o WHERE EXISTS (SELECT FROM xmltable('/a' PASSING xml '<a/>' COLUMNS v int) x WHERE o.id = 1)",
        false,
      ],
      ['DELETE FROM orders o WHERE EXISTS (SELECT FROM (SELECT 1) s WHERE o.id = 1)', false],
      ['DELETE FROM orders o WHERE EXISTS (SELECT FROM (SELECT 1) WHERE o.id = 1)', true],
      [
        "DELETE FROM orders o WHERE EXISTS (SELECT FROM json_table('[1]', '$[*]' COLUMNS (v int PATH '$')) WHERE o.id = 1)",
        true,
      ],
    ] as const) {
      const r = await explainSql(sql);
      if (!r.ok) throw new Error(`${sql}: ${r.error}`);
      expect(r.statements[0]!.unboundedWrite, `${sql}: with an alias the FROM item names only that`).to.equal(expected);
    }
  });
});

/** Found by the sixth review: `JSON_ARRAY(<query>)` is a subquery to PostgreSQL, though no SubLink holds it. */
const QUERY_IN_JSON_ARRAY = [
  'DELETE FROM orders WHERE JSON_ARRAY(SELECT id FROM customers) IS NOT NULL',
  'DELETE FROM orders WHERE JSON_ARRAY(SELECT orders.id FROM customers AS orders) IS NOT NULL',
  "UPDATE orders SET status = 'x' FROM customers c WHERE c.id = 1 AND JSON_ARRAY(SELECT orders.id FROM customers orders) IS NOT NULL",
  'MERGE INTO orders USING (SELECT 1 AS one) s ON JSON_ARRAY(SELECT orders.id FROM customers orders) IS NOT NULL WHEN MATCHED THEN DELETE',
  'DELETE FROM orders WHERE JSON_ARRAY(SELECT 1 FROM customers AS orders WHERE EXISTS (SELECT WHERE orders.id > 0)) IS NOT NULL',
];

/** Found by the fifth review: the unaliased FROM item's name ("current_date", "coalesce", ...) is in no string of the tree. */
const IMPLICITLY_NAMED = [
  `DELETE FROM orders AS "current_date" WHERE EXISTS (SELECT FROM current_date WHERE "current_date"."current_date" IS NOT NULL)`,
  `DELETE FROM orders AS "coalesce" WHERE EXISTS (SELECT FROM coalesce(1) WHERE "coalesce"."coalesce" = 1)`,
  `DELETE FROM orders AS "greatest" WHERE 1 IN (SELECT "greatest"."greatest" FROM greatest(1, 0))`,
  `DELETE FROM orders AS "nullif" WHERE EXISTS (SELECT FROM nullif(1, 2) WHERE "nullif"."nullif" = 1)`,
  `DELETE FROM orders AS "xmltable" WHERE EXISTS (SELECT FROM xmltable('/a' PASSING xml '<a>1</a>' COLUMNS v int PATH '.') WHERE "xmltable".v = 1)`,
  `DELETE FROM orders AS "current_user" WHERE EXISTS (SELECT "current_user"."current_user" FROM current_user)`,
  `DELETE FROM orders AS "current_date" WHERE "current_date".id = 1 OR EXISTS (SELECT FROM current_date WHERE "current_date"."current_date" IS NOT NULL)`,
  `WITH d AS (DELETE FROM orders AS "current_date" WHERE EXISTS (SELECT FROM current_date WHERE "current_date"."current_date" IS NOT NULL) RETURNING 1) SELECT count(*) FROM d`,
  `MERGE INTO orders AS "session_user" USING customers c ON c.id = 1 AND EXISTS (SELECT FROM session_user WHERE "session_user"."session_user" IS NOT NULL) WHEN MATCHED THEN DELETE`,
  `UPDATE orders AS "localtimestamp" SET status = 'x' WHERE EXISTS (SELECT FROM localtimestamp WHERE "localtimestamp"."localtimestamp" IS NOT NULL)`,
];
