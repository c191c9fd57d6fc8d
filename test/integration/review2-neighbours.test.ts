/**
 * Review 10b neighbours, end to end: the audit record of an attribute-notation call names the function
 * and its effect; an aggregate by attribute notation (`c.max` = `max(c)`) is a whole-row read; a
 * generated column over a ruled column is masked in COPY too; sequences by regclass cast or OID.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type pg from 'pg';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { nextEvent } from '../support/eventually.js';

const run = promisify(execFile);
const NOTES = 'prefers invoices by mail';

describe('review10b neighbours: attribute notation, generated columns, sequences', function () {
  this.timeout(120_000);
  let s: LocalStack;
  let c: pg.Client;
  const psql = async (sql: string): Promise<string> => {
    const env = { ...process.env, PGPASSWORD: await s.token('psql-agent') };
    const conn = `host=${s.host} port=${s.port} user=agent dbname=billing sslmode=disable`;
    const r = await run('psql', [conn, '-X', '-At', '-c', sql], { env }).catch((e) => e);
    return `${r.stdout}${r.stderr}`;
  };

  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => p.spec.masking!.columns!.push({ name: 'notes', strategy: 'redact' }),
    });
    const d = await s.direct();
    await d.query(
      `CREATE FUNCTION purge_orders(customers) RETURNS int VOLATILE LANGUAGE sql AS 'DELETE FROM orders WHERE customer_id = $1.id; SELECT 1'`,
    );
    await d.query('ALTER TABLE customers ADD COLUMN notes_search text GENERATED ALWAYS AS (lower(notes)) STORED');
    await d.query('CREATE VIEW search_view AS SELECT id, notes_search FROM customers');
    await d.query('CREATE SEQUENCE payroll.run_seq');
    await d.query(
      `CREATE FUNCTION announce() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN PERFORM pg_notify('changes', row_to_json(NEW)::text); RETURN NEW; END$$`,
    );
    await d.query(
      'CREATE TRIGGER customers_changed AFTER UPDATE ON customers FOR EACH ROW EXECUTE FUNCTION announce()',
    );
    await d.end();
    c = await s.connect();
    await c.query('SELECT 1 FROM a_relation_nobody_created').catch(() => undefined); // catalog reload
  });
  after(async () => {
    await c?.end();
    await s?.stop();
  });

  it('the audit record of c.purge_orders names the function and an unknown effect', async () => {
    const e = await c.query('SELECT c.purge_orders FROM customers c WHERE id = 5').catch((x) => x);
    expect(e.code).to.equal('42501');
    const lines = readFileSync(s.auditFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const rec = lines.reverse().find((r) => JSON.stringify(r).includes('c.purge_orders'));
    const text = JSON.stringify(rec);
    expect(text).to.contain('purge_orders');
    expect(text).to.contain('unknown');
  });

  it('c.max (an aggregate by attribute notation: max(c)) is masked as a whole-row read', async () => {
    const r = await c.query('SELECT c.max FROM customers c WHERE id = 2').catch((x) => x);
    expect(JSON.stringify(r.rows ?? r.message)).to.not.contain(NOTES);
  });

  it('a generated column over notes is masked in COPY, by query and by column list', async () => {
    expect(await psql('COPY (SELECT id, notes_search FROM customers WHERE id = 2) TO STDOUT')).to.not.contain(NOTES);
    expect(await psql('COPY customers (id, notes_search) TO STDOUT')).to.not.contain(NOTES);
    const plain = await c.query('SELECT upper(notes_search) AS u FROM customers WHERE id = 2').catch((x) => x);
    expect(JSON.stringify(plain.rows ?? plain.message)).to.not.contain(NOTES.toUpperCase());
  });

  it('COPY (SELECT c.to_json ...) is masked as the same SELECT', async () => {
    expect(await psql('COPY (SELECT c.to_json FROM customers c WHERE id = 2) TO STDOUT')).to.not.contain(NOTES);
  });

  it("a change-feed notification masks the generated column's JSON key like the ruled one", async () => {
    const l = await s.connect();
    const got: string[] = [];
    l.on('notification', (n) => got.push(n.payload ?? ''));
    await l.query('LISTEN changes');
    const notified = nextEvent(l, 'notification', 'the change-feed notification');
    await c.query("UPDATE customers SET name = 'Grace B. Hopper' WHERE id = 2");
    await notified;
    await l.end();
    expect(got.join()).to.contain('notes_search');
    expect(got.join()).to.not.contain(NOTES);
  });

  it('a view over a generated column over notes is masked', async () => {
    const r = await c.query('SELECT notes_search FROM search_view WHERE id = 2').catch((x) => x);
    expect(JSON.stringify(r.rows ?? r.message)).to.not.contain(NOTES);
  });

  it('a sequence named by a regclass cast is denied; by OID it is unknown', async () => {
    const cast = await c.query("SELECT nextval('payroll.run_seq'::regclass)").catch((x) => x);
    expect(cast.code).to.equal('42501');
    const d = await s.direct();
    const oid = (await d.query("SELECT 'payroll.run_seq'::regclass::oid AS oid")).rows[0].oid;
    const byOid = await c.query(`SELECT setval(${oid}, 999)`).catch((x) => x);
    const last = (await d.query('SELECT is_called FROM payroll.run_seq')).rows[0];
    await d.end();
    expect(byOid.code).to.equal('42501');
    expect(last.is_called).to.equal(false);
  });
});
