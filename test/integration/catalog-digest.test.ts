/**
 * The catalog digest against a real PostgreSQL (proxy/sql/catalog-digest.ts, postgres/catalog-reader.ts):
 * differential. After each change to the database, a load given the previous digest may answer
 * "unchanged" exactly when a full load now reads the same rows as the previous one; every query of the
 * load is changed at least once, and a change undone gives back the earlier digest.
 */
import { expect } from 'chai';
import type pg from 'pg';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { CATALOG_UNCHANGED, type CatalogLoad } from '../../proxy/sql/catalog-keeper.js';
import type { CatalogRows } from '../../proxy/sql/catalog.js';

describe('catalog digest: a reload that finds it unchanged reads what a full load would', function () {
  this.timeout(120_000);
  let s: LocalStack;
  let admin: pg.Client;
  let load: (since?: string) => Promise<CatalogLoad>;
  before(async () => {
    s = await startLocalStack();
    admin = s.postgres.client('billing');
    await admin.connect();
    const proxy = s.proxy as any;
    const t = proxy.targets[0];
    load = (since) => proxy.loadCatalog(t.spec, t.password, since);
  });
  after(async () => {
    await admin?.end();
    await s?.stop();
  });

  const full = async (): Promise<CatalogRows> => {
    const r = await load();
    if (r === CATALOG_UNCHANGED) throw new Error('a load without a digest answered "unchanged"');
    expect(r.digest).to.match(/^[0-9a-f]{64}$/);
    return r;
  };
  const rowsOf = ({ digest: _, ...rows }: CatalogRows): Omit<CatalogRows, 'digest'> => rows;

  // What each step changes: the CatalogRows field it must change, or none.
  const steps: [string, keyof CatalogRows | undefined][] = [
    ['SELECT 1', undefined],
    ['CREATE FUNCTION digest_f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$', 'functions'],
    ['ALTER FUNCTION digest_f() STABLE', 'functions'],
    ['ALTER FUNCTION digest_f() SET work_mem = 1024', 'functions'],
    ['CREATE SCHEMA digest_s', 'schemas'],
    ['CREATE TABLE digest_s.orders (id int)', 'relations'],
    ['ALTER TABLE digest_s.orders ADD COLUMN ssn text', 'columns'],
    ['CREATE VIEW digest_cards AS SELECT ssn FROM customers', 'ruledViews'],
    [
      'CREATE FUNCTION digest_t() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$; ' +
        'CREATE TRIGGER digest_tr BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION digest_t()',
      'hiddenWrites',
    ],
    ['ALTER ROLE agent SET search_path = digest_s, public', 'searchPath'],
    ['CREATE FUNCTION digest_row(customers) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$', 'rowFunctions'],
    ['ALTER TABLE customers ADD COLUMN ssn_tail text GENERATED ALWAYS AS (right(ssn, 4)) STORED', 'generatedColumns'],
    ['DROP FUNCTION digest_f()', 'functions'],
  ];

  it('answers "unchanged" exactly when the rows are the same, for a change to each query', async () => {
    let previous = await full();
    for (const [sql, field] of steps) {
      await admin.query(sql);
      const fresh = await full();
      const answer = await load(previous.digest);
      const same = JSON.stringify(rowsOf(fresh)) === JSON.stringify(rowsOf(previous));
      expect(answer === CATALOG_UNCHANGED, sql).to.equal(same);
      if (answer !== CATALOG_UNCHANGED) expect(answer, sql).to.deep.equal(fresh);
      if (field) expect(fresh[field], sql).to.not.deep.equal(previous[field]);
      else expect(same, sql).to.equal(true);
      previous = fresh;
    }
  });

  it('a change undone gives back the earlier digest, and the rows behind it', async () => {
    const before = await full();
    await admin.query('CREATE FUNCTION digest_again() RETURNS int LANGUAGE sql VOLATILE AS $$ SELECT 1 $$');
    expect(await load(before.digest)).to.not.equal(CATALOG_UNCHANGED);
    await admin.query('DROP FUNCTION digest_again()');
    expect(await load(before.digest)).to.equal(CATALOG_UNCHANGED);
    expect(rowsOf(await full())).to.deep.equal(rowsOf(before));
  });

  it('a server that cannot compute the digest is read in full every time', async () => {
    await admin.query('REVOKE EXECUTE ON FUNCTION pg_catalog.sha256(bytea) FROM PUBLIC');
    try {
      const withDigest = await load();
      expect(withDigest).to.not.equal(CATALOG_UNCHANGED);
      const rows = withDigest as CatalogRows;
      expect(rows.digest).to.equal(undefined);
      expect(rows.functions.length).to.be.greaterThan(1000);
      expect(await load('anything')).to.not.equal(CATALOG_UNCHANGED);
    } finally {
      await admin.query('GRANT EXECUTE ON FUNCTION pg_catalog.sha256(bytea) TO PUBLIC');
    }
  });
});
