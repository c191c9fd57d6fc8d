import { expect } from 'chai';
import { derivedMask, launderingReason } from '../../proxy/masking/lineage-rule.js';
import { maskWithEmbeddedBytea } from '../../proxy/masking/embedded-bytea.js';
import { maskJsonColumns } from '../../proxy/masking/json-columns.js';
import { Masker } from '../../proxy/masking/masker.js';
import { copyFormat, encodeCopyField, splitCopyRow } from '../../proxy/postgres/copy-format.js';
import { copyOptionsRefusal } from '../../proxy/sql/copy-options.js';
import { CatalogSnapshot, builtinCatalog } from '../../proxy/sql/catalog.js';
import { explainSql } from '../../proxy/sql/explain.js';
import type { Classification } from '../../proxy/sql/types.js';

const masker = new Masker({
  detectors: ['creditCard'],
  columns: [{ name: 'notes', strategy: 'redact' }],
  defaultStrategy: 'redact',
});
const catalog = new CatalogSnapshot({
  functions: [
    ...['upper', 'lo_from_bytea', 'pg_advisory_lock', 'hashtext', 'convert_to'].map((name) => ({
      schema: 'pg_catalog',
      name,
      volatility: 'v' as const,
    })),
    { schema: 'public', name: 'get_note', volatility: 's' },
  ],
  relations: [
    { schema: 'public', name: 'customers', oid: 1, attributes: 6 },
    { schema: 'public', name: 'orders', oid: 2, attributes: 3 },
    { schema: 'public', name: 'customer_notes', oid: 3, attributes: 2 },
  ],
  columns: [{ relid: 1, attnum: 6, name: 'notes', relation: 'customers' }],
  ruledViews: [{ oid: 3, name: 'customer_notes' }],
});

async function one(sql: string): Promise<Classification> {
  const r = await explainSql(sql, builtinCatalog());
  if (!r.ok) throw new Error(r.error);
  return r.statements[0]!;
}
const mask = async (sql: string) => {
  const c = await one(sql);
  return derivedMask(masker, c.reads, c.tables, catalog, c.functions);
};

describe('review10 masking: lineage through touches, views and user functions', () => {
  it('touching a table with a ruled column masks error text only; other tables nothing', async () => {
    expect(await mask('UPDATE customers SET name = NULL WHERE id = 2')).to.deep.equal({
      strategy: 'redact',
      label: 'customers',
      errorsOnly: true,
      touchOnly: true,
    });
    expect(await mask('SELECT id FROM orders')).to.equal(undefined);
  });

  it('a view over a ruled column, and a user function, mask derived outputs', async () => {
    expect(await mask('SELECT remark FROM customer_notes')).to.deep.equal({
      strategy: 'redact',
      label: 'customer_notes',
      viaView: true,
    });
    expect(await mask('SELECT get_note(2)')).to.deep.equal({ strategy: 'redact', label: 'get_note()' });
    expect(await mask('SELECT upper(x) FROM orders')).to.equal(undefined);
    expect(await mask(`SELECT query_to_xml('SELECT notes FROM customers', true, false, '')`)).to.deep.equal({
      strategy: 'redact',
      label: 'unknown-lineage',
    });
  });

  it('laundering: planner statistics; any function with an effect; not a touch or a user function alone', async () => {
    const reason = async (sql: string) => {
      const c = await one(sql);
      return launderingReason(c, derivedMask(masker, c.reads, c.tables, catalog, c.functions), masker, catalog);
    };
    expect(await reason('SELECT histogram_bounds FROM pg_stats')).to.contain('planner statistics');
    expect(await reason(`SELECT lo_from_bytea(0, convert_to(notes, 'UTF8')) FROM customers`)).to.contain(
      'lo_from_bytea',
    );
    expect(await reason('SELECT pg_advisory_lock(hashtext(notes)) FROM customers')).to.contain('pg_advisory_lock');
    expect(await reason(`SELECT lo_from_bytea(0, 'x') FROM customers`)).to.equal(undefined);
    expect(await reason('SELECT get_note(2)')).to.equal(undefined);
  });
});

describe('review10 masking: COPY rows as PostgreSQL writes them', () => {
  const text = copyFormat({ direction: 'to', stdio: true, format: 'text', delimiter: ',' });
  const csv = copyFormat({ direction: 'to', stdio: true, format: 'csv', quote: "'", escape: '\\' });

  it('text: an escaped delimiter stays in its field; \\N is NULL; a lone trailing backslash does not parse', () => {
    expect(splitCopyRow('a\\,b,notes,\\N', text)!.map((f) => [f.value, f.isNull])).to.deep.equal([
      ['a,b', false],
      ['notes', false],
      ['', true],
    ]);
    expect(splitCopyRow('a\\', text)).to.equal(undefined);
    expect(encodeCopyField('x,y\\z\n', text)).to.equal('x\\,y\\\\z\\n');
  });

  it('csv: quoted delimiters, the ESCAPE character before a quote, NULL only when unquoted', () => {
    expect(splitCopyRow("'a,\\'b',notes,,''", csv)!.map((f) => [f.value, f.isNull])).to.deep.equal([
      ["a,'b", false],
      ['notes', false],
      ['', true],
      ['', false],
    ]);
    expect(splitCopyRow("'unterminated,x", csv)).to.equal(undefined);
    expect(encodeCopyField("it's", csv)).to.equal("'it\\'s'");
    expect(encodeCopyField('', csv)).to.equal("''");
  });

  it('options the parser does not follow are refused', () => {
    expect(
      copyOptionsRefusal({ direction: 'to', stdio: true, format: 'text', encoding: 'LATIN1', options: ['encoding'] }),
    ).to.contain('ENCODING');
    expect(
      copyOptionsRefusal({ direction: 'to', stdio: true, format: 'text', encoding: 'utf-8', options: ['encoding'] }),
    ).to.equal(undefined);
    expect(copyOptionsRefusal({ direction: 'to', stdio: true, format: 'csv', options: ['force_null'] })).to.contain(
      'force_null',
    );
  });
});

/** cost(8N) / cost(N), CPU time, best of several runs (a ratio, never a time: linear ~8, quadratic ~64). */
function growth(make: (n: number) => string, run: (s: string) => void, n: number): number {
  const cost = (input: string): number => {
    let best = Infinity;
    for (let t = 0; t < 3; t++) {
      const t0 = process.cpuUsage();
      let reps = 0;
      let spent: number;
      do {
        run(input);
        reps++;
        const d = process.cpuUsage(t0);
        spent = (d.user + d.system) / 1000;
      } while (spent < 10);
      best = Math.min(best, spent / reps);
    }
    return best;
  };
  const small = make(n);
  const large = make(8 * n);
  run(small);
  run(large);
  let ratio = Infinity;
  for (let i = 0; i < 3 && ratio >= 24; i++) ratio = Math.min(ratio, cost(large) / cost(small));
  return ratio;
}

describe('review10 masking: hostile rows cost linear time', () => {
  const text = copyFormat({ direction: 'to', stdio: true, format: 'text' });
  const csv = copyFormat({ direction: 'to', stdio: true, format: 'csv' });
  const shapes: [string, (n: number) => string, (s: string) => void][] = [
    ['backslash runs before hex', (n) => `${'\\'.repeat(n)}x41`, (s) => maskWithEmbeddedBytea(masker, s)],
    ['many short hex runs', (n) => '\\x41,'.repeat(n), (s) => maskWithEmbeddedBytea(masker, s)],
    ['text row of escapes', (n) => '\\t'.repeat(n), (s) => splitCopyRow(s, text)],
    ['csv row of doubled quotes', (n) => `"${'""'.repeat(n)}"`, (s) => splitCopyRow(s, csv)],
    ['csv row of empty fields', (n) => ','.repeat(n), (s) => splitCopyRow(s, csv)],
  ];
  for (const [name, make, run] of shapes) {
    it(name, () => {
      expect(growth(make, run, 20_000)).to.be.below(24);
    });
  }
});

describe('review10 masking: bytea hex inside values, JSON notifications', () => {
  it('a card behind bytea hex in an array is masked in place, as hex', () => {
    const hex = Buffer.from('4111 1111 1111 1111').toString('hex');
    const r = maskWithEmbeddedBytea(masker, `{"\\\\x${hex}"}`);
    expect(r.count).to.equal(1);
    expect(r.text).to.not.contain(hex);
    expect(Buffer.from(r.text.slice(5, -2), 'hex').toString()).to.equal('[redacted:creditCard]');
  });

  it('JSON keys naming ruled columns get the rule', () => {
    expect(maskJsonColumns(masker, '{"id":2,"notes":"secret","n":{"notes":1}}').text).to.equal(
      '{"id":2,"notes":"[redacted:notes]","n":{"notes":"[redacted:notes]"}}',
    );
    expect(maskJsonColumns(masker, 'notes: x').count).to.equal(0);
  });
});
