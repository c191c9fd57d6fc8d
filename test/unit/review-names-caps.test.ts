/**
 * Review 10, classes 3 and 7 from the classifier's side: unqualified names match every schema of the
 * pinned search_path (known to the catalog snapshot or not), search_path changes are refused by every
 * route whatever the rules allow, and maxRowsAffected reads nested writes from the parse tree and
 * refuses writes the tag does not count (write functions, cascades, triggers, rules).
 */
import { expect } from 'chai';
import { PolicyEngine } from '../../proxy/gate/decide.js';
import type { PolicySpec, TargetSpec } from '../../shared/contract/policy-types.js';
import { limitsGuard as capDecision } from '../../proxy/gate/guards.js';
import type { Catalog } from '../../proxy/sql/catalog.js';
import { explainSql } from '../../proxy/sql/explain.js';
import { effectiveSearchPath, relationCandidates } from '../../proxy/sql/search-path.js';
import type { Classification } from '../../proxy/sql/types.js';
import { catalogWith } from '../support/caps-catalog.js';

const target: TargetSpec = {
  name: 'db',
  protocol: 'postgres',
  listen: '127.0.0.1:1',
  access: 'ReadWrite',
  upstream: { host: 'h', port: 1, database: 'd', user: 'agent', sslMode: 'disable' },
  credentials: { passwordEnv: 'P' },
};
const spec = (rules: PolicySpec['rules']): PolicySpec =>
  ({
    mode: 'Enforce',
    identity: { issuers: [], maxTokenLifetimeSeconds: 900 },
    targets: [target],
    rules,
    defaultAction: 'Allow',
  }) as PolicySpec;

const catalog = catalogWith({
  relations: [
    { schema: 'public', name: 'orders' },
    { schema: 'public', name: 'customers' },
    { schema: 'payroll', name: 'salaries' },
    { schema: 'pg_catalog', name: 'pg_class' },
  ],
  functions: [
    { schema: 'public', name: 'archive', volatility: 'v' },
    { schema: 'public', name: 'pathy', volatility: 's', settings: ['search_path'] },
  ],
  schemas: ['public', 'payroll'],
  searchPath: effectiveSearchPath('"$user", public', 'agent'),
  hiddenWrites: [{ relation: 'public.customers', why: ['on delete cascade foreign key'] }],
});

async function one(sql: string, c: Catalog = catalog): Promise<Classification> {
  const r = await explainSql(sql, c);
  if (!r.ok) throw new Error(r.error);
  return r.statements[0]!;
}

describe('review10: names through the pinned search_path', () => {
  it('reads a search_path value as PostgreSQL does', () => {
    expect(effectiveSearchPath('"$user", public', 'Agent')).to.deep.equal(['pg_catalog', 'Agent', 'public']);
    expect(effectiveSearchPath('pg_temp, "My Schema", PUBLIC', 'a')).to.deep.equal([
      'pg_catalog',
      'My Schema',
      'public',
    ]);
    expect(effectiveSearchPath('public, pg_catalog', 'a')).to.deep.equal(['public', 'pg_catalog']);
    expect(effectiveSearchPath('', 'a')).to.deep.equal(['pg_catalog']);
    expect(effectiveSearchPath('"a""b",x', 'a')).to.deep.equal(['pg_catalog', 'a"b', 'x']);
  });

  it('an unqualified name matches every schema of the path, whether or not the snapshot holds it there', () => {
    // "$user" (agent) has no orders table in the snapshot: a migration may have created it since.
    expect(relationCandidates('orders', catalog)).to.deep.equal(['agent.orders', 'public.orders']);
    // A name only outside the path keeps the schemas the snapshot holds it in (fail closed for Deny rules).
    expect(relationCandidates('salaries', catalog)).to.deep.equal([
      'agent.salaries',
      'public.salaries',
      'payroll.salaries',
    ]);
    // pg_catalog comes first and its relations do not come and go.
    expect(relationCandidates('pg_class', catalog)).to.deep.equal(['pg_catalog.pg_class']);
    const late = catalogWith({
      relations: [{ schema: 'pg_catalog', name: 'pg_class' }],
      searchPath: effectiveSearchPath('public, pg_catalog', 'a'),
    });
    expect(relationCandidates('pg_class', late)).to.deep.equal(['public.pg_class', 'pg_catalog.pg_class']);
  });

  it('a Deny rule on the "$user" schema holds for a table created there after the snapshot', async () => {
    const e = new PolicyEngine(
      spec([{ name: 'agent-schema', when: { sql: { tables: ['agent.*'] } }, action: 'Deny' }]),
    );
    expect(e.decide(await one('DELETE FROM orders WHERE id = 1'), target)).to.include({
      rule: 'agent-schema',
      blocked: true,
    });
    expect(e.decide(await one('DELETE FROM public.orders WHERE id = 1'), target).blocked).to.equal(false);
  });

  it('search_path cannot change by any route, even where the rules allow admin statements', async () => {
    const e = new PolicyEngine(
      spec([
        { name: 'allow-admin', when: { sql: { effects: ['admin', 'ddl', 'privilege', 'session'] } }, action: 'Allow' },
      ]),
    );
    for (const sql of [
      'SET search_path = payroll, public',
      'SET LOCAL search_path TO payroll',
      "SET SCHEMA 'payroll'",
      'SET SESSION "search_path" = payroll',
      'RESET search_path',
      "SELECT set_config('search_path', 'payroll', false)",
      "SELECT pg_catalog.set_config('SEARCH_PATH', 'payroll', true)",
      "SELECT set_config(lower('SEARCH_PATH'), 'payroll', false)",
      'CREATE FUNCTION f() RETURNS int LANGUAGE sql SET search_path = payroll AS $$SELECT 1$$',
      'ALTER FUNCTION f() SET search_path = payroll',
      'ALTER ROLE agent SET search_path = payroll',
      'ALTER DATABASE d SET search_path = payroll',
      'ALTER ROLE agent IN DATABASE d RESET search_path',
      'ALTER SYSTEM SET search_path = payroll',
      "UPDATE pg_settings SET setting = 'payroll' WHERE name = 'search_path'",
      'SELECT pathy()',
    ]) {
      expect(e.decide(await one(sql), target), sql).to.include({
        rule: 'pinned-search-path',
        action: 'Deny',
        blocked: true,
      });
    }
    expect(e.decide(await one("SET work_mem = '8MB'"), target).blocked).to.equal(false);
  });
});

describe('review10: maxRowsAffected counts what the tag counts, from the parse tree', () => {
  const limits = { maxRowsAffected: 2 };
  const refused = { action: 'Deny', rule: 'limits-max-rows-affected', blocked: true };

  it('a data-modifying statement below the top level is refused, whatever comments surround it', async () => {
    for (const sql of [
      'WITH d AS (-- do\nDELETE FROM orders WHERE id > 0 RETURNING 1) -- do\nDELETE FROM orders WHERE id = -1',
      'WITH d AS (/* then */ DELETE FROM orders WHERE id > 0 RETURNING 1) /* do */ DELETE FROM orders WHERE id = -1',
      'WITH d AS (UPDATE orders SET status = 1 WHERE id > 0 RETURNING id) DELETE FROM orders WHERE id = 1',
      'INSERT INTO orders (customer_id) WITH d AS (DELETE FROM orders WHERE id > 0 RETURNING customer_id) SELECT customer_id FROM d',
      'WITH a AS (WITH b AS (DELETE FROM orders WHERE id > 0 RETURNING id) SELECT id FROM b) DELETE FROM orders WHERE id IN (SELECT id FROM a)',
      'EXPLAIN (ANALYZE) WITH d AS (DELETE FROM orders WHERE id > 0 RETURNING id) SELECT * FROM d',
      'UPDATE orders SET status = 1 WHERE id IN (WITH d AS (DELETE FROM orders WHERE id > 0 RETURNING id) SELECT id FROM d)',
    ]) {
      const c = await one(sql);
      expect(c.nestedWrites, sql).to.equal(true);
      expect(capDecision(c, limits), sql).to.deep.include(refused);
    }
  });

  it("ON CONFLICT DO UPDATE and MERGE actions are the statement's own (no nested write), also next to comments that look like writes", async () => {
    for (const sql of [
      "INSERT INTO orders (id, customer_id) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET status = 'y' -- ( delete",
      "MERGE INTO orders o USING (SELECT 1 AS id) s ON o.id = s.id WHEN MATCHED AND o.status = 'x' THEN DELETE WHEN MATCHED THEN UPDATE SET status = 'm'",
      "UPDATE orders SET status = '( delete from orders )' WHERE id = 1",
    ]) {
      const c = await one(sql);
      expect(c.nestedWrites, sql).to.equal(undefined);
      expect(capDecision(c, limits), sql).to.equal(undefined);
    }
  });

  it('a SELECT may write only sequences under the cap', async () => {
    for (const sql of [
      "SELECT nextval('orders_id_seq')",
      "SELECT setval('orders_id_seq', 10)",
      "SELECT pg_catalog.nextval('orders_id_seq')",
    ]) {
      expect(capDecision(await one(sql), limits), sql).to.equal(undefined);
    }
    for (const sql of [
      'SELECT lo_unlink(oid) FROM pg_largeobject_metadata',
      'SELECT pg_catalog.lo_unlink(16401)',
      "SELECT lo_from_bytea(0, '\\x00')",
      'SELECT archive()',
      "SELECT nextval('s'), lo_unlink(1)",
      'SELECT 1 FROM orders WHERE archive() IS NULL',
    ]) {
      expect(capDecision(await one(sql), limits), sql).to.deep.include(refused);
    }
    expect(capDecision(await one('DELETE FROM orders WHERE id = archive()'), limits)).to.deep.include(refused);
  });

  it('a write to a table with cascading foreign keys, triggers or rules is refused; so is one the catalog cannot speak for', async () => {
    const d = capDecision(await one('DELETE FROM customers WHERE id = 4'), limits);
    expect(d).to.deep.include(refused);
    expect(d!.message).to.contain('public.customers: on delete cascade foreign key');
    expect(capDecision(await one('DELETE FROM orders WHERE id = 4'), limits)).to.equal(undefined);
    expect(capDecision(await one('DELETE FROM public.orders WHERE id = 4'), limits)).to.equal(undefined);
    expect(capDecision(await one('DELETE FROM invoices WHERE id = 4'), limits)!.message).to.contain(
      'not in the catalog',
    );
    const unread = catalogWith({
      relations: [{ schema: 'public', name: 'orders' }],
      searchPath: ['pg_catalog', 'public'],
    });
    expect(capDecision(await one('DELETE FROM orders WHERE id = 4', unread), limits)!.message).to.contain(
      'could not be read',
    );
    // A temporary table with a trigger (some session's) can shadow the unqualified name: refused; qualified, not.
    const temp = catalogWith({
      relations: [{ schema: 'public', name: 'orders' }],
      searchPath: ['pg_catalog', 'public'],
      hiddenWrites: [{ relation: 'pg_temp.orders', why: ['trigger t'] }],
    });
    expect(capDecision(await one('DELETE FROM orders WHERE id = 4', temp), limits)!.message).to.contain(
      'pg_temp.orders: trigger t',
    );
    expect(capDecision(await one('DELETE FROM public.orders WHERE id = 4', temp), limits)).to.equal(undefined);
    // Without the cap nothing changes.
    expect(capDecision(await one('DELETE FROM customers WHERE id = 4'), {})).to.equal(undefined);
  });
});
