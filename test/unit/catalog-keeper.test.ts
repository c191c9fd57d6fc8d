/** The catalog keeper: loads before a statement naming an unknown relation, rate-limited, failing closed. */
import { expect } from 'chai';
import { CATALOG_UNCHANGED, CatalogKeeper, type CatalogLoad } from '../../proxy/sql/catalog-keeper.js';
import type { CatalogRows } from '../../proxy/sql/catalog.js';
import { resolveShape } from '../../proxy/sql/resolve.js';
import type { StatementShape } from '../../proxy/sql/types.js';

const shape = (...names: string[]): StatementShape[] => [
  {
    kind: 'SelectStmt',
    effects: ['read'],
    functions: [],
    unboundedWrite: false,
    liftsReadOnly: false,
    reasons: [],
    location: 0,
    length: 1,
    tables: names.map((n) =>
      n.includes('.')
        ? { schema: n.split('.')[0]!, name: n.split('.')[1]!, access: ['read'] }
        : { name: n, access: ['read'] },
    ),
  },
];

const rows = (relations: string[]): CatalogRows => ({
  functions: [],
  schemas: ['public', 'hr', 'sales'],
  relations: relations.map((r) => ({ schema: r.split('.')[0]!, name: r.split('.')[1]! })),
});

describe('catalog keeper', () => {
  it('a statement naming only known relations does not wait or load', async () => {
    const k = new CatalogKeeper({ load: async () => rows(['public.orders']) });
    await k.refresh();
    expect(k.ensure(shape('orders', 'public.orders'))).to.equal(undefined);
    expect(k.loads).to.equal(1);
  });

  it('a relation created after the last load is loaded before the statement is classified', async () => {
    let db = ['public.orders'];
    const k = new CatalogKeeper({ load: async () => rows(db), minIntervalMs: 10 });
    await k.refresh();
    db = ['public.orders', 'hr.staff'];
    await k.ensure(shape('staff'));
    expect(k.catalog.relationSchemas('staff')).to.deep.equal(['hr']);
    await k.ensure(shape('sales.quota'));
    expect(k.loads).to.equal(3);
  });

  it('a name still unknown after a fresh load is absent (no schema guessing), and costs one load', async () => {
    const k = new CatalogKeeper({ load: async () => rows(['public.orders']), minIntervalMs: 10 });
    await k.refresh();
    await k.ensure(shape('nothing_here'));
    expect(k.catalog.relationSchemas('nothing_here')).to.deep.equal([]);
    expect(k.loads).to.equal(2);
  });

  it('statements naming made-up relations cause at most one load per interval', async () => {
    const k = new CatalogKeeper({ load: async () => rows(['public.orders']), minIntervalMs: 100 });
    await k.refresh();
    const started = Date.now();
    await Promise.all(Array.from({ length: 200 }, (_, i) => k.ensure(shape(`made_up_${i}`))));
    for (let i = 0; i < 5; i++) await k.ensure(shape(`again_${i}`));
    const intervals = Math.ceil((Date.now() - started) / 100);
    expect(k.loads).to.be.at.most(intervals + 2);
    expect(k.loads).to.be.at.least(3);
  });

  it('when the load fails, an unknown unqualified name is in every schema until a load succeeds', async () => {
    let fail = false;
    const k = new CatalogKeeper({
      load: async () => {
        if (fail) throw new Error('down');
        return rows(['public.orders']);
      },
      minIntervalMs: 10,
    });
    await k.refresh();
    fail = true;
    await k.ensure(shape('staff'));
    expect(k.catalog.relationSchemas('staff')).to.have.members(['public', 'hr', 'sales']);
    expect(k.catalog.relationSchemas('orders')).to.deep.equal(['public']);
    const c = resolveShape(shape('staff')[0]!, 'SELECT * FROM staff', k.catalog);
    expect(c.tables[0]!.candidates).to.have.members(['public.staff', 'hr.staff', 'sales.staff']);
    expect(c.reasons.join()).to.contain('could not be checked');
    fail = false;
    await new Promise((r) => setTimeout(r, 20));
    await k.refresh();
    expect(k.catalog.relationSchemas('staff')).to.deep.equal([]);
  });

  it('a load that hangs is waited for at most waitMs, then the name is unverified', async () => {
    let hang = false;
    const k = new CatalogKeeper({
      load: () => (hang ? new Promise<CatalogRows>(() => undefined) : Promise.resolve(rows([]))),
      minIntervalMs: 10,
      waitMs: 150,
      // The load's own timeout far away: the statement can only have been let go by waitMs, whatever the load.
      loadTimeoutMs: 600_000,
    });
    await k.refresh();
    hang = true;
    const t0 = Date.now();
    await k.ensure(shape('staff'));
    expect(Date.now() - t0).to.be.within(100, 30_000);
    expect(k.catalog.relationSchemas('staff')).to.have.members(['public', 'hr', 'sales']);
  });

  it('a hung load times out, so later loads are not stuck behind it', async () => {
    let hang = true;
    const k = new CatalogKeeper({
      load: () => (hang ? new Promise<CatalogRows>(() => undefined) : Promise.resolve(rows(['hr.staff']))),
      loadTimeoutMs: 50,
    });
    await k.refresh();
    expect(k.loaded).to.equal(false);
    hang = false;
    await k.refresh();
    expect(k.catalog.relationSchemas('staff')).to.deep.equal(['hr']);
  });

  it('a load that finds the digest unchanged keeps the snapshot and counts as a fresh load', async () => {
    const given: (string | undefined)[] = [];
    let db = { digest: 'a', relations: ['public.orders'] };
    const k = new CatalogKeeper({
      load: async (since): Promise<CatalogLoad> => {
        given.push(since);
        return since === db.digest ? CATALOG_UNCHANGED : { ...rows(db.relations), digest: db.digest };
      },
      minIntervalMs: 10,
    });
    await k.refresh();
    const first = k.catalog.version!();
    await k.refresh();
    expect(k.catalog.version!()).to.equal(first);
    // A name unknown to the kept snapshot waits for a load that started after it, and is then absent (not unverified).
    await k.ensure(shape('nothing_here'));
    expect(k.catalog.relationSchemas('nothing_here')).to.deep.equal([]);
    expect(k.unchangedLoads).to.equal(2);
    db = { digest: 'b', relations: ['public.orders', 'hr.staff'] };
    await k.ensure(shape('staff'));
    expect(k.catalog.relationSchemas('staff')).to.deep.equal(['hr']);
    expect(k.catalog.version!()).to.not.equal(first);
    expect(given).to.deep.equal([undefined, 'a', 'a', 'a']);
  });

  it('a load without a digest is always read in full; "unchanged" without one is a failed load', async () => {
    const given: (string | undefined)[] = [];
    let answer: CatalogLoad = rows(['public.orders']);
    const errors: string[] = [];
    const k = new CatalogKeeper({
      load: async (since) => (given.push(since), answer),
      onError: (e) => errors.push(e.message),
    });
    await k.refresh();
    answer = CATALOG_UNCHANGED;
    await k.refresh();
    expect(given).to.deep.equal([undefined, undefined]);
    expect(errors).to.have.length(1);
    expect(k.unchangedLoads).to.equal(0);
  });
});
