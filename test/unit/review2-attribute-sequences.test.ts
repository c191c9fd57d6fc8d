/**
 * Review 10b from the classifier's side: attribute notation (`c.f` = `f(c)`) is a call of `f` and a
 * whole-row read once the catalog says an `f` takes a row; sequences named in a string
 * (`nextval('payroll.run_seq')`) are table references; the fail-closed defaults without a catalog.
 */
import { expect } from 'chai';
import { PolicyEngine } from '../../proxy/gate/decide.js';
import type { PolicySpec, TargetSpec } from '../../shared/contract/policy-types.js';
import { limitsGuard as capDecision } from '../../proxy/gate/guards.js';
import { builtinCatalog, type Catalog } from '../../proxy/sql/catalog.js';
import { CatalogKeeper } from '../../proxy/sql/catalog-keeper.js';
import { explainSql } from '../../proxy/sql/explain.js';
import { qualifiedName } from '../../proxy/sql/relation-args.js';
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
const policy = new PolicyEngine({
  mode: 'Enforce',
  identity: { issuers: [], maxTokenLifetimeSeconds: 900 },
  targets: [target],
  defaultAction: 'Allow',
  rules: [
    { name: 'no-payroll', when: { sql: { tables: ['payroll.*'] } }, action: 'Deny' },
    { name: 'no-unknown', when: { sql: { effects: ['unknown'] } }, action: 'Deny' },
  ],
} as PolicySpec);

const catalog = catalogWith({
  relations: [
    { schema: 'public', name: 'customers' },
    { schema: 'public', name: 'orders' },
    { schema: 'payroll', name: 'run_seq' },
  ],
  functions: [
    { schema: 'public', name: 'purge_orders', volatility: 'v' },
    { schema: 'public', name: 'shout', volatility: 'v' },
  ],
  schemas: ['public', 'payroll'],
  rowFunctions: ['purge_orders', 'to_jsonb', 'row_to_json', 'concat', 'max'],
});

async function one(sql: string, c: Catalog = catalog): Promise<Classification> {
  const r = await explainSql(sql, c);
  if (!r.ok) throw new Error(r.error);
  return r.statements[0]!;
}

describe('review10b: attribute notation is a call on the whole row', () => {
  it('c.f, (c).f, (ROW(...)::t).f, s.t.f call f when the catalog has an f taking a row', async () => {
    for (const sql of [
      'SELECT c.purge_orders FROM customers c',
      'SELECT (c).purge_orders FROM customers c',
      "SELECT (ROW(4, 'a')::customers).purge_orders",
      'SELECT id FROM customers c WHERE c.purge_orders = 1',
      'SELECT public.customers.purge_orders FROM public.customers',
    ]) {
      const c = await one(sql);
      expect(c.functions, sql).to.include('purge_orders');
      expect(c.effects, sql).to.include('unknown');
      expect(c.writingFunctions, sql).to.include('purge_orders');
      expect(policy.decide(c, target), sql).to.include({ rule: 'no-unknown', blocked: true });
    }
  });

  it('a whole-row builtin (or aggregate) by attribute notation is a whole-row read', async () => {
    for (const sql of [
      'SELECT c.row_to_json FROM customers c',
      'SELECT customers.to_jsonb FROM customers',
      'SELECT c.concat FROM customers c',
      'SELECT c.max FROM customers c',
    ]) {
      const c = await one(sql);
      expect(c.reads?.wholeRow, sql).to.equal(true);
      expect(c.effects, sql).to.not.include('unknown');
    }
    const w = await one('INSERT INTO orders (note) SELECT c.to_jsonb FROM customers c');
    expect(w.reads?.written?.wholeRow).to.equal(true);
  });

  it('a field selection on any value calls any one-argument function of that name', async () => {
    const c = await one('SELECT (c.name).shout FROM customers c');
    expect(c.functions).to.include('shout');
    expect(c.effects).to.include('unknown');
  });

  it('plain qualified columns stay plain', async () => {
    const c = await one('SELECT c.id, c.name FROM customers c WHERE c.id = 1');
    expect(c.functions).to.deep.equal([]);
    expect(c.reads?.wholeRow).to.equal(false);
    expect(c.effects).to.deep.equal(['read']);
  });

  it('in a DDL body nothing is called (as for function-call syntax)', async () => {
    const c = await one('CREATE VIEW v AS SELECT c.purge_orders FROM customers c');
    expect(c.functions).to.not.include('purge_orders');
  });

  it('until a target catalog loads, the proxy takes every unknown name as a possible row function (fail closed)', async () => {
    const keeper = new CatalogKeeper({ load: () => Promise.reject(new Error('down')) });
    const c = await one('SELECT c.purge_orders FROM customers c', keeper.catalog);
    expect(c.effects).to.include('unknown');
    // the CLI's built-in catalog knows the built-in whole-row functions
    expect((await one('SELECT c.to_json FROM customers c', builtinCatalog())).reads?.wholeRow).to.equal(true);
  });
});

describe('review10b: relations named by a string (sequence functions)', () => {
  it('nextval/setval write, currval reads the relation; tables rules see it', async () => {
    for (const [sql, access] of [
      ["SELECT setval('payroll.run_seq', 999)", 'write'],
      ["SELECT nextval('payroll.run_seq')", 'write'],
      ["SELECT pg_catalog.nextval('payroll.run_seq'::regclass)", 'write'],
      ["SELECT nextval('payroll.run_seq'::text::regclass)", 'write'],
      ['SELECT currval(\' "payroll" . RUN_SEQ \')', 'read'],
      ["SELECT 1 FROM orders WHERE id = nextval('payroll.run_seq')", 'write'],
    ] as const) {
      const c = await one(sql);
      const t = c.tables.find((x) => x.schema === 'payroll' && x.name === 'run_seq');
      expect(t, sql).to.not.equal(undefined);
      expect(t!.access, sql).to.include(access);
      expect(policy.decide(c, target), sql).to.include({ rule: 'no-payroll', blocked: true });
    }
  });

  it('a relation that is not a string literal is unknown (fail closed)', async () => {
    for (const sql of [
      'SELECT nextval(16401)',
      "SELECT setval(s.name, 1) FROM (SELECT 'payroll.run_seq' AS name) s",
      "SELECT nextval('payroll.' || 'run_seq')",
      "SELECT nextval('a.b.c.d')",
    ]) {
      const c = await one(sql);
      expect(c.effects, sql).to.include('unknown');
      expect(c.reasons.join(' '), sql).to.match(/cannot tell which relation/);
    }
  });

  it('maxRowsAffected still lets a SELECT advance a sequence (no table rows change)', async () => {
    expect(capDecision(await one("SELECT nextval('orders_id_seq')"), { maxRowsAffected: 10 })).to.equal(undefined);
  });

  it('reads names as regclass input does', () => {
    expect(qualifiedName('payroll.run_seq')).to.deep.equal(['payroll', 'run_seq']);
    expect(qualifiedName('"Pay.Roll"."Run""Seq"')).to.deep.equal(['Pay.Roll', 'Run"Seq']);
    expect(qualifiedName(' PayRoll . Seq ')).to.deep.equal(['payroll', 'seq']);
    expect(qualifiedName('a..b')).to.equal(undefined);
    expect(qualifiedName('"unterminated')).to.equal(undefined);
    expect(qualifiedName('')).to.equal(undefined);
  });
});
