/**
 * Red-team reproductions (review10): values protected only by a column rule (`notes` -> redact) reach
 * the agent in clear. Each `it` asserts the secure behaviour, each failed on the reviewed code.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type pg from 'pg';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { nextEvent } from '../support/eventually.js';

const run = promisify(execFile);
/** Grace Hopper's notes: no detector matches them; only the `notes` column rule protects them. */
const NOTES = 'prefers invoices by mail';

describe('review10: column-rule values in clear', function () {
  let s: LocalStack;
  let c: pg.Client;
  const psql = async (...sql: string[]): Promise<string> => {
    const env = { ...process.env, PGPASSWORD: await s.token('psql-agent') };
    const conn = `host=${s.host} port=${s.port} user=agent dbname=billing sslmode=disable`;
    const r = await run('psql', [conn, '-X', '-At', ...sql.flatMap((q) => ['-c', q])], { env }).catch((e) => e);
    return `${r.stdout}${r.stderr}`;
  };

  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => p.spec.masking!.columns!.push({ name: 'notes', strategy: 'redact' }),
    });
    // What a DBA / migration typically has: a view and a SQL helper over the ruled column (created out of band).
    const d = await s.direct();
    await d.query('CREATE VIEW customer_notes AS SELECT id, notes AS remark FROM customers');
    await d.query(
      `CREATE FUNCTION get_note(int) RETURNS text STABLE LANGUAGE sql AS 'SELECT notes FROM customers WHERE id = $1'`,
    );
    // A change feed, as LISTEN/NOTIFY applications have: every updated row is announced as JSON.
    await d.query(
      `CREATE FUNCTION announce() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN PERFORM pg_notify('changes', row_to_json(NEW)::text); RETURN NEW; END$$`,
    );
    await d.query(
      'CREATE TRIGGER customers_changed AFTER UPDATE ON customers FOR EACH ROW EXECUTE FUNCTION announce()',
    );
    await d.end();
    c = await s.connect();
  });
  after(async () => {
    await c?.end();
    await s?.stop();
  });

  it('sanity: the column rule masks a plain read', async () => {
    const r = await c.query('SELECT notes FROM customers WHERE id = 2');
    expect(r.rows[0].notes).to.equal('[redacted:notes]');
  });

  it('error DETAIL "Failing row contains (...)" of a statement that never names notes', async () => {
    const e = await c.query('UPDATE customers SET name = NULL WHERE id = 2').catch((x) => x);
    expect(`${e.message} ${e.detail}`).to.not.contain(NOTES); // leaked on the reviewed code: detail carries the whole row, notes in clear
    const e2 = await c
      .query("INSERT INTO customers (id, name, email) VALUES (2, 'x', 'y') ON CONFLICT (id) DO UPDATE SET name = NULL")
      .catch((x) => x);
    expect(`${e2.detail}`).to.not.contain(NOTES);
  });

  it('COPY TO with DELIMITER: an escaped delimiter in an earlier field shifts the column plan', async () => {
    const out = await psql(`COPY (SELECT 'a,b' AS x, notes FROM customers WHERE id = 2) TO STDOUT (DELIMITER ',')`);
    expect(out).to.not.contain(NOTES); // leaked on the reviewed code: "[redacted:notes],[redacted:notes],prefers invoices by mail"
  });

  it('a view column over notes (lineage through views)', async () => {
    const r = await c.query('SELECT remark FROM customer_notes WHERE id = 2');
    expect(r.rows[0].remark).to.not.equal(NOTES); // leaked on the reviewed code
    const e = await c.query('SELECT remark::int FROM customer_notes WHERE id = 2').catch((x) => x);
    expect(e.message).to.not.contain(NOTES); // leaked on the reviewed code: invalid input syntax for type integer: "prefers invoices by mail"
  });

  it('a stable SQL function over notes (lineage through functions), once the catalog has refreshed', async () => {
    await c.query('SELECT 1 FROM some_table_nobody_created').catch(() => undefined); // unknown relation: the proxy refreshes its catalog
    const r = await c.query('SELECT get_note(2) AS n').catch((x) => x);
    expect(r.rows?.[0]?.n).to.not.equal(NOTES); // leaked on the reviewed code
  });

  it('a NOTIFY carrying the row (change-feed trigger) after an UPDATE that names no ruled column', async () => {
    const l = await s.connect();
    const got: string[] = [];
    l.on('notification', (n) => got.push(n.payload ?? ''));
    await l.query('LISTEN changes');
    const notified = nextEvent(l, 'notification', 'the change-feed notification');
    await c.query("UPDATE customers SET name = 'Grace B. Hopper' WHERE id = 2");
    await notified;
    await l.end();
    console.log('      notification:', got.join(' | '));
    expect(got.join()).to.not.contain(NOTES); // leaked on the reviewed code: {"id":2,...,"notes":"prefers invoices by mail"}
  });
});
