/**
 * Issue #14, round 4: a session computed a statement's column-rule mask (derivedMask) at each use — when
 * the statement is sent and again at its RowDescription — on top of the gate's own. The memo computes it
 * once per statement, and answers only for the same classification, masker and catalog snapshot: a
 * catalog reload (DDL), a policy change (a new masker) or another statement computes it afresh.
 */
import { expect } from 'chai';
import { DerivedMaskMemo } from '../../proxy/masking/derived-memo.js';
import { derivedMask } from '../../proxy/masking/lineage-rule.js';
import type { Masker } from '../../proxy/masking/masker.js';
import type { Catalog, CatalogRows } from '../../proxy/sql/catalog.js';
import { CatalogKeeper } from '../../proxy/sql/catalog-keeper.js';
import type { Classification } from '../../proxy/sql/types.js';
import { policyRuntime, sqlOps } from '../support/gate-fixtures.js';

const masker = (columns: string[]): Masker =>
  policyRuntime({
    masking: { defaultStrategy: 'redact', columns: columns.map((name) => ({ name })) },
  }).masker;

/** The keeper's catalog, counting what derivedMask asks of it. */
function counted(catalog: Catalog): { catalog: Catalog; asked: () => number } {
  let n = 0;
  const wrapped = new Proxy(catalog, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver) as unknown;
      if (typeof v !== 'function' || key === 'version') return v;
      return (...args: unknown[]) => (n++, (v as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
  return { catalog: wrapped, asked: () => n };
}

describe('perfcpu: a statement’s column-rule mask computed once per statement', () => {
  it('answers what derivedMask answers, across a catalog reload, a masker change and another statement; computes once for repeated uses', async () => {
    let rows: CatalogRows = {
      functions: [],
      relations: [{ schema: 'public', name: 'orders', oid: 10, attributes: 3 }],
      columns: [],
      searchPath: ['pg_catalog', 'public'],
    };
    const keeper = new CatalogKeeper({ load: async () => rows });
    await keeper.refresh();
    const { catalog, asked } = counted(keeper.catalog);
    const memo = new DerivedMaskMemo();
    const [c] = (await sqlOps('SELECT note, id FROM orders')).map((o) => o.classification) as [Classification];
    const [again] = (await sqlOps('SELECT note, id FROM orders')).map((o) => o.classification) as [Classification];
    const fresh = (cl: Classification, m: Masker) => derivedMask(m, cl.reads, cl.tables, keeper.catalog, cl.functions);

    const m1 = masker(['ssn']);
    expect(memo.of(c, m1, catalog))
      .to.deep.equal(fresh(c, m1))
      .and.to.equal(undefined);
    const first = asked();
    expect(first).to.be.greaterThan(0);
    for (let i = 0; i < 5; i++) expect(memo.of(c, m1, catalog)).to.deep.equal(fresh(c, m1));
    expect(asked()).to.equal(first);

    // DDL: orders now has a ruled column; the reload replaces the snapshot, and the mask follows it.
    rows = { ...rows, columns: [{ relid: 10, attnum: 3, name: 'ssn', relation: 'orders' }] };
    await keeper.refresh();
    const afterDdl = memo.of(c, m1, catalog);
    expect(afterDdl).to.deep.equal(fresh(c, m1)).and.to.include({ touchOnly: true });
    expect(asked()).to.be.greaterThan(first);

    // A policy change: a new masker whose rule names a column the statement reads.
    const m2 = masker(['note']);
    expect(memo.of(c, m2, catalog))
      .to.deep.equal(fresh(c, m2))
      .and.to.include({ label: 'note' });
    // The same text classified again (another statement object): computed afresh, same answer.
    const before = asked();
    expect(memo.of(again, m2, catalog)).to.deep.equal(fresh(again, m2));
    expect(asked()).to.be.greaterThan(before);
  });

  it('a catalog without a version is asked every time', async () => {
    const rows: CatalogRows = {
      functions: [],
      relations: [{ schema: 'public', name: 'orders' }],
      searchPath: ['pg_catalog', 'public'],
    };
    const keeper = new CatalogKeeper({ load: async () => rows });
    await keeper.refresh();
    const { version: _, ...unversioned } = keeper.catalog;
    const { catalog, asked } = counted(unversioned as Catalog);
    const memo = new DerivedMaskMemo();
    const [c] = (await sqlOps('SELECT * FROM orders')).map((o) => o.classification) as [Classification];
    const m = masker(['ssn']);
    memo.of(c, m, catalog);
    const once = asked();
    memo.of(c, m, catalog);
    expect(asked()).to.equal(2 * once);
  });
});
