import { expect } from 'chai';
import { builtinCatalog, CatalogSnapshot } from '../../proxy/sql/catalog.js';
import { explainSql } from '../../proxy/sql/explain.js';
import type { Classification } from '../../proxy/sql/types.js';
import { catalogWith } from '../support/caps-catalog.js';

async function one(sql: string, catalog = builtinCatalog()): Promise<Classification> {
  const r = await explainSql(sql, catalog);
  if (!r.ok) throw new Error(r.error);
  expect(r.statements, sql).to.have.length(1);
  return r.statements[0]!;
}

const tableNames = (c: Classification): string[] =>
  c.tables.map((t) => (t.schema ? `${t.schema}.${t.name}` : t.name)).sort();

describe('statement classification (libpg_query parse tree)', () => {
  describe('literals, comments, dollar quotes and quoted identifiers never fool it', () => {
    for (const sql of [
      "SELECT 'DROP TABLE x'",
      'SELECT 1 -- ; DROP TABLE x',
      'SELECT 1 /* ; DELETE FROM t */',
      'SELECT $$; DROP TABLE x; $$',
      'SELECT $tag$ DELETE FROM t $tag$',
      'SELECT "DROP TABLE x" FROM t',
      "SELECT E'\\'; DROP TABLE x; --'",
    ]) {
      it(sql, async () => {
        const c = await one(sql);
        expect(c.effects).to.deep.equal(['read']);
      });
    }
  });

  describe('hidden writes are writes', () => {
    const cases: [string, string[]][] = [
      ['WITH d AS (DELETE FROM orders RETURNING *) SELECT * FROM d', ['orders']],
      ['EXPLAIN ANALYZE DELETE FROM orders WHERE id = 1', ['orders']],
      ['EXPLAIN (ANALYZE, BUFFERS) UPDATE orders SET status = $1 WHERE id = 2', ['orders']],
      ['SELECT * FROM orders FOR UPDATE', ['orders']],
      ['SELECT * INTO orders_copy FROM orders', ['orders', 'orders_copy']],
      ["SELECT nextval('orders_id_seq')", []],
      ["SELECT setval('orders_id_seq', 1)", []],
      ['PREPARE p AS DELETE FROM orders WHERE id = $1', ['orders']],
      ['COPY orders FROM STDIN', ['orders']],
    ];
    for (const [sql, tables] of cases) {
      it(sql, async () => {
        const c = await one(sql);
        expect(c.effects).to.include('write');
        expect(tableNames(c)).to.include.members(tables);
      });
    }
    it('plain EXPLAIN only reads', async () => {
      expect((await one('EXPLAIN DELETE FROM orders')).effects).to.deep.equal(['read']);
    });
  });

  describe('admin', () => {
    for (const sql of [
      'ALTER SYSTEM SET work_mem = 1',
      "COPY orders TO PROGRAM 'cat > /tmp/x'",
      "COPY orders FROM PROGRAM 'id'",
      "COPY orders TO '/tmp/orders.csv'",
      "COPY orders FROM '/etc/passwd'",
      'SELECT pg_terminate_backend(1)',
      "SELECT pg_read_file('/etc/passwd')",
      "SELECT lo_import('/etc/passwd')",
      "SELECT lo_export(1, '/tmp/x')",
      'SELECT pg_reload_conf()',
      "SELECT set_config('default_transaction_read_only', 'off', false)",
      "SELECT set_config('session_replication_role', 'replica', false)",
      'SET default_transaction_read_only = off',
      'SET session_replication_role = replica',
      'SET standard_conforming_strings = off',
      'VACUUM orders',
      'VACUUM',
      "LOAD 'auto_explain'",
      'CHECKPOINT',
    ]) {
      it(sql, async () => expect((await one(sql)).effects).to.include('admin'));
    }
    it('set_config of an ordinary setting is a session effect', async () => {
      expect((await one("SELECT set_config('application_name', 'x', false)")).effects).to.not.include('admin');
    });
    it('set_config with a computed setting name is admin (cannot tell)', async () => {
      expect((await one("SELECT set_config(lower('DEFAULT_TRANSACTION_READ_ONLY'), 'off', false)")).effects).to.include(
        'admin',
      );
    });
  });

  describe('privilege', () => {
    for (const sql of [
      'GRANT SELECT ON orders TO public',
      'REVOKE ALL ON orders FROM agent',
      'CREATE ROLE intruder LOGIN SUPERUSER',
      'ALTER ROLE agent SUPERUSER',
      'DROP ROLE intruder',
      'SET ROLE postgres',
      'SET SESSION AUTHORIZATION postgres',
      "SELECT set_config('role', 'postgres', false)",
      'ALTER TABLE orders OWNER TO intruder',
      'GRANT postgres TO agent',
    ]) {
      it(sql, async () => expect((await one(sql)).effects).to.include('privilege'));
    }
  });

  describe('unknown (fail closed)', () => {
    for (const sql of [
      'DO $$ BEGIN DELETE FROM orders; END $$',
      'CALL do_things()',
      'SELECT my_volatile_fn()',
      "SELECT query_to_xml('select * from payroll.salaries', true, true, '')",
      "SELECT dblink_exec('dbname=x', 'DROP TABLE y')",
    ]) {
      it(sql, async () => expect((await one(sql)).effects).to.include('unknown'));
    }
    it('a user-defined volatile function is unknown, an immutable one is not (catalog decides)', async () => {
      const catalog = new CatalogSnapshot({
        functions: [
          { schema: 'public', name: 'touch_things', volatility: 'v' },
          { schema: 'public', name: 'pure_math', volatility: 'i' },
          { schema: 'pg_catalog', name: 'lower', volatility: 'i' },
        ],
        relations: [],
      });
      expect((await one('SELECT touch_things()', catalog)).effects).to.include('unknown');
      expect((await one('SELECT pure_math(), lower(name) FROM t', catalog)).effects).to.deep.equal(['read']);
    });
    it('a user function shadowing a harmless builtin by name is unknown', async () => {
      const catalog = new CatalogSnapshot({
        functions: [
          { schema: 'pg_catalog', name: 'random', volatility: 'v' },
          { schema: 'public', name: 'random', volatility: 'v' },
        ],
        relations: [],
      });
      expect((await one('SELECT random()', catalog)).effects).to.include('unknown');
      expect((await one('SELECT random()')).effects).to.deep.equal(['read']);
    });
  });

  describe('unbounded writes', () => {
    const unbounded = [
      'DELETE FROM orders',
      'UPDATE orders SET status = 1',
      'DELETE FROM orders WHERE 1=1',
      'DELETE FROM orders WHERE true',
      "UPDATE orders SET a = 1 WHERE 'a' = 'a'",
      'DELETE FROM orders WHERE id = id',
      'DELETE FROM orders WHERE id = 5 OR true',
      'DELETE FROM orders WHERE $1',
      'TRUNCATE orders',
      'DELETE FROM orders WHERE EXISTS (SELECT 1)',
      "DELETE FROM orders WHERE 't'::boolean",
      // A disjunct that reads no column tells no rows apart: if it is true, every row is.
      'DELETE FROM orders WHERE id = 1 OR 1::boolean',
      'DELETE FROM orders WHERE id = 1 OR 1 IS NOT NULL',
      'DELETE FROM orders WHERE id = 1 OR 1 IN (1)',
      'DELETE FROM orders WHERE id = 1 OR now() IS NOT NULL',
      'UPDATE orders SET a = 1 WHERE id = 1 OR $1',
      'DELETE FROM orders WHERE 1 IS NOT NULL AND id = id',
      // Columns of other tables tell no row of the written one apart (a hostile review's cases).
      'DELETE FROM orders WHERE EXISTS (SELECT FROM customers c WHERE c.id = 1)',
      'DELETE FROM orders WHERE 1 IN (SELECT id FROM customers)',
      'DELETE FROM orders USING customers c WHERE c.id = 1',
      'DELETE FROM orders o USING customers c WHERE c.id = 1 OR o.id = o.id',
      'UPDATE orders SET a = 1 FROM customers c WHERE c.id = 1',
      // An unqualified column may be the other table's.
      'DELETE FROM orders USING customers WHERE name = 1',
      // A subquery that names something like the target: `orders.id` there is its own.
      'DELETE FROM orders WHERE EXISTS (SELECT FROM customers orders WHERE orders.id = 1)',
      'DELETE FROM orders WHERE EXISTS (WITH orders AS (SELECT 1 AS id) SELECT FROM orders WHERE orders.id = 1)',
      // A join's USING (...) AS name, a function in FROM named after itself (third hostile review).
      'DELETE FROM orders WHERE EXISTS (SELECT FROM customers a JOIN customers b USING (id) AS orders WHERE orders.id = 1)',
      'DELETE FROM orders o WHERE EXISTS (SELECT FROM customers a JOIN customers b USING (id) AS o WHERE o.id IS NOT NULL)',
      'DELETE FROM orders WHERE EXISTS (SELECT FROM orders() WHERE orders.id = 1)',
      'DELETE FROM orders WHERE EXISTS (SELECT FROM ROWS FROM (orders()) WHERE orders.id = 1)',
      // An alias hides the table's name.
      'DELETE FROM orders o WHERE EXISTS (SELECT FROM customers c WHERE c.id = orders.id)',
      'MERGE INTO orders o USING customers s ON s.id = 1 WHEN MATCHED THEN DELETE',
      // A same-named table of another schema, which PostgreSQL allows beside the target (fourth review).
      'DELETE FROM orders USING other.orders WHERE other.orders.id = 1',
      'DELETE FROM public.orders USING other.orders WHERE other.orders.id = 1',
      'DELETE FROM orders USING other.orders WHERE billing.other.orders.id = 1',
      "UPDATE orders SET status = 'void' FROM other.orders WHERE other.orders.id = 1",
      'DELETE FROM orders USING other.orders WHERE EXISTS (SELECT 1 WHERE other.orders.id = 1)',
      'DELETE FROM public.orders USING pg_temp.orders WHERE pg_temp.orders.id = 1',
    ];
    const bounded = [
      'DELETE FROM orders WHERE id = 5',
      'UPDATE orders SET a = 1 WHERE id = $1',
      'DELETE FROM orders WHERE 1 = 0',
      'DELETE FROM orders WHERE CURRENT OF c',
      'DELETE FROM orders WHERE id IN (SELECT id FROM x WHERE x.a = 1)',
      'DELETE FROM orders WHERE id = 1 OR id = 2',
      'DELETE FROM orders WHERE id = 1 AND now() IS NOT NULL',
      'DELETE FROM orders WHERE id = 1 OR 1 = 0',
      'DELETE FROM orders o USING customers c WHERE o.customer_id = c.id AND c.name = 1',
      'DELETE FROM orders WHERE EXISTS (SELECT FROM customers c WHERE c.id = orders.customer_id)',
      'DELETE FROM orders o WHERE EXISTS (SELECT FROM customers c WHERE c.id = o.customer_id)',
      'DELETE FROM public.orders WHERE orders.id = 5',
      'DELETE FROM public.orders WHERE public.orders.id = 5',
      'DELETE FROM public.orders USING other.orders WHERE public.orders.id = other.orders.id AND other.orders.id = 1',
      'UPDATE orders SET a = 1 FROM customers c WHERE orders.customer_id = c.id',
      'MERGE INTO orders o USING customers s ON o.id = s.id WHEN MATCHED THEN DELETE',
    ];
    for (const sql of unbounded)
      it(`unbounded: ${sql}`, async () => expect((await one(sql)).unboundedWrite).to.equal(true));
    for (const sql of bounded)
      it(`bounded: ${sql}`, async () => expect((await one(sql)).unboundedWrite).to.equal(false));
    it('a constant decided by an unqualified operator bounds a write only while pg_catalog comes first in the path', async () => {
      const path = (searchPath: string[]) =>
        catalogWith({ relations: [{ schema: 'public', name: 'orders' }], searchPath });
      for (const sql of ['DELETE FROM orders WHERE 1 = 0', 'DELETE FROM orders WHERE id = 1 OR 2 < 1']) {
        expect((await one(sql, path(['pg_catalog', 'public']))).unboundedWrite, sql).to.equal(false);
        // A user's public.= (int, int) would be found before pg_catalog's.
        expect((await one(sql, path(['public', 'pg_catalog']))).unboundedWrite, sql).to.equal(true);
      }
      const qualified = 'DELETE FROM orders WHERE 1 OPERATOR(pg_catalog.=) 0';
      expect((await one(qualified, path(['public', 'pg_catalog']))).unboundedWrite, qualified).to.equal(false);
    });
  });

  describe('read-only backstop lifters', () => {
    for (const sql of [
      'BEGIN READ WRITE',
      'START TRANSACTION READ WRITE',
      'SET TRANSACTION READ WRITE',
      'SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE',
      'SET default_transaction_read_only = off',
      'SET transaction_read_only = off',
      'RESET ALL',
      "SELECT set_config('transaction_read_only', 'off', true)",
      'ALTER SYSTEM SET default_transaction_read_only = off',
    ]) {
      it(sql, async () => expect((await one(sql)).liftsReadOnly).to.equal(true));
    }
    for (const sql of [
      'BEGIN',
      'BEGIN READ ONLY',
      'START TRANSACTION ISOLATION LEVEL SERIALIZABLE',
      'SET work_mem = 1',
      'SELECT 1',
    ]) {
      it(`does not lift: ${sql}`, async () => expect((await one(sql)).liftsReadOnly).to.equal(false));
    }
  });

  describe('tables and CTE scoping', () => {
    it('CTE names are not tables', async () => {
      expect(tableNames(await one('WITH x AS (SELECT * FROM orders) SELECT * FROM x'))).to.deep.equal(['orders']);
    });
    it('a CTE in an inner scope does not hide an outer table of the same name', async () => {
      expect(
        tableNames(await one('SELECT * FROM salaries, LATERAL (WITH salaries AS (SELECT 1) SELECT * FROM salaries) s')),
      ).to.deep.equal(['salaries']);
    });
    it('schema-qualified names keep their schema', async () => {
      expect(tableNames(await one('SELECT * FROM payroll.salaries JOIN customers USING (id)'))).to.deep.equal([
        'customers',
        'payroll.salaries',
      ]);
    });
    it('unqualified names carry every schema the catalog holds them in', async () => {
      const catalog = new CatalogSnapshot({
        functions: [],
        relations: [
          { schema: 'payroll', name: 'salaries' },
          { schema: 'public', name: 'salaries' },
        ],
      });
      const c = await one('SELECT * FROM salaries', catalog);
      expect(c.tables[0]!.candidates).to.deep.equal(['payroll.salaries', 'public.salaries']);
    });
  });

  it('multi-statement text gives one classification per statement, with its own text', async () => {
    const r = await explainSql("SELECT 1; DELETE FROM orders WHERE id = 1; SELECT 'a;b'");
    if (!r.ok) throw new Error(r.error);
    expect(r.statements.map((s) => s.text)).to.deep.equal([
      'SELECT 1',
      'DELETE FROM orders WHERE id = 1',
      "SELECT 'a;b'",
    ]);
    expect(r.statements.map((s) => s.effects[0])).to.deep.equal(['read', 'write', 'read']);
  });

  it('session and transaction effects', async () => {
    expect((await one('SET work_mem = 1')).effects).to.deep.equal(['session']);
    expect((await one('SHOW work_mem')).effects).to.deep.equal(['session']);
    expect((await one('BEGIN')).effects).to.deep.equal(['transaction']);
    expect((await one('COMMIT')).effects).to.deep.equal(['transaction']);
    expect((await one('DISCARD ALL')).effects).to.deep.equal(['session']);
  });

  it('DDL', async () => {
    for (const sql of [
      'CREATE TABLE x (a int)',
      'DROP TABLE orders',
      'ALTER TABLE orders ADD COLUMN x int',
      'CREATE INDEX ON orders (id)',
      'CREATE VIEW v AS SELECT 1',
      'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$',
      'COMMENT ON TABLE orders IS $$x$$',
    ]) {
      expect((await one(sql)).effects, sql).to.include('ddl');
    }
  });

  it('what the parser rejects is an error (the proxy denies it)', async () => {
    const r = await explainSql('SELEC * FROM orders');
    expect(r.ok).to.equal(false);
  });
});
