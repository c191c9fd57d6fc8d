import { expect } from 'chai';
import { derivedMask } from '../../proxy/masking/lineage-rule.js';
import { Masker } from '../../proxy/masking/masker.js';
import {
  buildErrorNotice,
  buildNotification,
  parseErrorNotice,
  parseNotification,
  type Message,
} from '../../proxy/postgres/protocol.js';
import { numericText, ResultMasker } from '../../proxy/postgres/result-masker.js';
import { CatalogSnapshot, builtinCatalog } from '../../proxy/sql/catalog.js';
import { explainSql } from '../../proxy/sql/explain.js';
import type { Classification } from '../../proxy/sql/types.js';

async function one(sql: string): Promise<Classification> {
  const r = await explainSql(sql, builtinCatalog());
  if (!r.ok) throw new Error(r.error);
  return r.statements[0]!;
}

const asMessage = (buf: Buffer): Message => ({ type: buf[0]!, buf, start: 0, end: buf.length });
const masker = new Masker({
  detectors: ['creditCard'],
  columns: [
    { name: 'notes', strategy: 'partial' },
    { name: 'ssn', strategy: 'redact' },
  ],
  defaultStrategy: 'redact',
});
const catalog = new CatalogSnapshot({
  functions: [],
  relations: [{ schema: 'public', name: 'customers', oid: 1, attributes: 8 }],
  columns: [{ relid: 1, attnum: 6, name: 'notes', relation: 'customers' }],
});

describe('masking lineage: what a statement reads, and the mask for its derived outputs', () => {
  it('collects column names everywhere: expressions, subqueries, CTEs, aggregates, ORDER BY, USING', async () => {
    const c = await one(
      `WITH t AS (SELECT upper(n.notes) AS x FROM customers n) SELECT string_agg(x, ',') FROM t JOIN u USING (ssn) ORDER BY (SELECT max(id) FROM orders)`,
    );
    expect(c.reads!.names).to.include.members(['notes', 'ssn', 'x', 'id']);
    expect(c.reads!.wholeRow).to.equal(false);
  });

  it('whole rows: table names and aliases as values, *, column alias lists', async () => {
    for (const sql of [
      'SELECT c FROM customers c',
      'SELECT row_to_json(c) FROM customers c',
      'SELECT customers::text FROM customers',
      'SELECT public.customers FROM public.customers',
      'SELECT ROW(c.*) FROM customers c',
      'SELECT x FROM customers c(a, x)',
      'SELECT (c).name FROM customers c',
      'SELECT * FROM customers UNION SELECT * FROM customers',
    ]) {
      expect((await one(sql)).reads!.wholeRow, sql).to.equal(true);
    }
    for (const sql of ['SELECT name FROM customers c', 'SELECT c.name, count(*) FROM customers c GROUP BY 1']) {
      expect((await one(sql)).reads!.wholeRow, sql).to.equal(false);
    }
  });

  it('COPY (query): per column, the plain table column it reads, or null', async () => {
    expect(
      (await one('COPY (SELECT notes AS x, name, upper(name) FROM customers) TO STDOUT')).copy!.sources,
    ).to.deep.equal(['notes', 'name', null]);
    expect(
      (await one('COPY (SELECT x FROM (SELECT notes AS x FROM customers) s) TO STDOUT')).copy!.sources,
    ).to.deep.equal([null]);
    expect((await one('COPY (SELECT c FROM customers c) TO STDOUT')).copy!.sources).to.deep.equal([null]);
    // A set operation has no column list the proxy can trust: COPY of it is refused (no columns).
    expect(
      (await one('COPY (SELECT notes FROM customers UNION SELECT name FROM customers) TO STDOUT')).copy!.columns,
    ).to.equal(undefined);
  });

  it("writes: what the stored values may read (not UPDATE's WHERE, not RETURNING)", async () => {
    const written = async (sql: string): Promise<unknown> => (await one(sql)).reads!.written;
    expect(await written('INSERT INTO log (v) SELECT upper(notes) FROM customers')).to.deep.equal({
      names: ['notes', 'upper'],
      wholeRow: false,
    });
    expect(await written('UPDATE customers SET name = notes WHERE id = 1')).to.deep.equal({
      names: ['notes'],
      wholeRow: false,
    });
    expect(await written("UPDATE customers SET name = 'x' WHERE notes = 'vip' RETURNING notes")).to.equal(undefined);
    expect(
      await written(
        'WITH a AS (SELECT notes AS x FROM customers), b AS (INSERT INTO log SELECT x FROM a RETURNING 1) SELECT 1',
      ),
    )
      .to.have.property('names')
      .that.includes('notes');
    expect(await written('CREATE TABLE t AS SELECT c FROM customers c')).to.deep.include({ wholeRow: true });
    expect(await written('SELECT notes INTO t FROM customers'))
      .to.have.property('names')
      .that.includes('notes');
    expect(await written('DELETE FROM customers WHERE notes IS NULL')).to.equal(undefined);
  });

  it('FETCH is opaque: its rows come from a cursor declared earlier', async () => {
    expect((await one('FETCH 1 FROM cur')).reads!.opaque).to.equal(true);
    expect((await one('SELECT 1')).reads!.opaque).to.equal(undefined);
  });

  it('the derived mask: always redact (the agent picks the transform), labelled with the ruled columns read', async () => {
    // `notes` is a partial rule: partial of substr(notes, k, 4) would show any four characters.
    expect(derivedMask(masker, (await one('SELECT upper(notes) FROM customers')).reads, [], catalog)).to.deep.equal({
      strategy: 'redact',
      label: 'notes',
    });
    expect(derivedMask(masker, (await one('SELECT notes || ssn FROM customers')).reads, [], catalog)).to.deep.equal({
      strategy: 'redact',
      label: 'notes,ssn',
    });
    const row = await one('SELECT c::text FROM customers c');
    expect(derivedMask(masker, row.reads, row.tables, catalog)).to.deep.equal({ strategy: 'redact', label: 'row' });
    const other = await one('SELECT o::text FROM orders o');
    expect(derivedMask(masker, other.reads, other.tables, catalog)).to.equal(undefined);
    // Columns not loaded: a whole row of any table may hold a ruled column.
    expect(derivedMask(masker, other.reads, other.tables, builtinCatalog())).to.deep.equal({
      strategy: 'redact',
      label: 'row',
    });
    expect(derivedMask(masker, (await one('SELECT upper(name) FROM customers')).reads, [], catalog)).to.equal(
      undefined,
    );
  });

  it('plans: plain origins keep their own rule; no origin or a whole-row origin gets the derived mask', () => {
    const rm = new ResultMasker(masker, () => catalog);
    const derived = { strategy: 'redact' as const, label: 'notes' };
    const plan = rm.plan(
      [
        { name: 'name', tableOid: 1, attnum: 2, typeOid: 25, format: 0 },
        { name: 'upper', tableOid: 0, attnum: 0, typeOid: 25, format: 0 },
        { name: 'c', tableOid: 1, attnum: 0, typeOid: 2249, format: 0 },
        { name: 'x', tableOid: 1, attnum: 6, typeOid: 25, format: 0 },
      ],
      derived,
    );
    expect(plan.map((p) => p.strategy)).to.deep.equal([undefined, 'redact', 'redact', 'partial']);
    expect(rm.plan([{ name: 'upper', tableOid: 0, attnum: 0, typeOid: 25, format: 0 }])[0]!.strategy).to.equal(
      undefined,
    );
  });

  it('error text in a statement that reads a ruled column is withheld; analysis errors are kept', () => {
    const rm = new ResultMasker(masker, () => catalog);
    const derived = { strategy: 'redact' as const, label: 'notes' };
    const runtime = asMessage(
      buildErrorNotice('E'.charCodeAt(0), [
        ['S', 'ERROR'],
        ['C', '22P02'],
        ['M', 'invalid input syntax for type integer: "vip"'],
        ['D', 'vip'],
        ['W', 'vip'],
        ['F', 'numutils.c'],
      ]),
    );
    const out = parseErrorNotice(asMessage(rm.errorNotice(runtime, derived)!.buf));
    expect(out.code).to.equal('22P02');
    expect(JSON.stringify(out.fields)).to.not.contain('vip');
    expect(out.message).to.contain('withheld');
    const analysis = asMessage(
      buildErrorNotice('E'.charCodeAt(0), [
        ['S', 'ERROR'],
        ['C', '42703'],
        ['M', 'column "nosuch" does not exist'],
        ['P', '8'],
      ]),
    );
    expect(rm.errorNotice(analysis, derived)).to.equal(undefined);
    const card = asMessage(
      buildErrorNotice('N'.charCodeAt(0), [
        ['S', 'NOTICE'],
        ['C', '00000'],
        ['M', 'x'],
        ['R', 'f 4111111111111111'],
      ]),
    );
    expect(parseErrorNotice(asMessage(rm.errorNotice(card)!.buf)).fields.find(([k]) => k === 'R')![1]).to.equal(
      'f [redacted:creditCard]',
    );
  });

  it('notifications: channel and payload masked, framing rebuilt exactly', () => {
    const rm = new ResultMasker(masker, () => catalog);
    const out = rm.notification(asMessage(buildNotification(42, 'ch', 'card 4111111111111111')))!;
    expect(out.buf.readInt32BE(1)).to.equal(out.buf.length - 1);
    expect(parseNotification(asMessage(out.buf))).to.deep.equal({
      pid: 42,
      channel: 'ch',
      payload: 'card [redacted:creditCard]',
    });
    expect(rm.notification(asMessage(buildNotification(42, 'ch', 'nothing here')))).to.equal(undefined);
  });

  it('binary numeric decodes to its decimal text (weight, scale, sign, NaN)', () => {
    const num = (digits: number[], weight: number, sign: number, dscale: number): string | undefined => {
      const b = Buffer.alloc(8 + digits.length * 2);
      b.writeInt16BE(digits.length, 0);
      b.writeInt16BE(weight, 2);
      b.writeUInt16BE(sign, 4);
      b.writeInt16BE(dscale, 6);
      digits.forEach((d, i) => b.writeInt16BE(d, 8 + i * 2));
      return numericText(b, 0, b.length);
    };
    expect(num([4111, 1111, 1111, 1111], 3, 0, 0)).to.equal('4111111111111111');
    expect(num([12, 5000], 0, 0x4000, 2)).to.equal('-12.50');
    expect(num([5], -2, 0, 8)).to.equal('0.00000005');
    expect(num([], 0, 0xc000, 0)).to.equal('NaN');
    expect(num([], 0, 0, 0)).to.equal('0');
  });
});
