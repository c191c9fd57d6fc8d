/**
 * Neighbours of review10 findings 4, 5 and 10: column-rule values (`notes`, rule: redact) reached the
 * agent through error text of statements that never named the column, COPY rows the proxy split
 * differently from PostgreSQL, planner statistics, side-effect functions, views and user functions, a
 * change-feed notification, and bytea hex inside other values. Real PostgreSQL, node-postgres and psql.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type pg from 'pg';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { pgError } from '../support/pg-error.js';

const run = promisify(execFile);
const NOTES = 'prefers invoices by mail';
const CARD = '4111 1111 1111 1111';
const CARD_HEX = Buffer.from(CARD).toString('hex');

describe('attack (review10 neighbours): column-rule values through errors, COPY, statistics, side effects, views, functions', function () {
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
    const d = await s.direct();
    await d.query('ALTER TABLE customers ADD CONSTRAINT name_short CHECK (length(name) < 40)');
    await d.query('CREATE VIEW customer_notes AS SELECT id, notes AS remark FROM customers');
    await d.query('CREATE VIEW note_digest AS SELECT remark AS r FROM customer_notes');
    await d.query('CREATE VIEW whole_customers AS SELECT c AS w FROM customers c');
    await d.query('CREATE MATERIALIZED VIEW notes_mv AS SELECT id, notes AS m FROM customers');
    await d.query('CREATE VIEW customer_names AS SELECT id, name FROM customers');
    await d.query(
      `CREATE FUNCTION note_of(int) RETURNS text STABLE LANGUAGE plpgsql AS $$BEGIN RETURN (SELECT notes FROM customers WHERE id = $1); END$$`,
    );
    await d.query(
      `CREATE FUNCTION note_number(int) RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT notes::int FROM customers WHERE id = $1'`,
    );
    await d.query(
      `CREATE FUNCTION all_notes() RETURNS TABLE (n text) STABLE LANGUAGE sql AS 'SELECT notes FROM customers'`,
    );
    await d.query(
      `CREATE FUNCTION announce() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN PERFORM pg_notify('changes', row_to_json(NEW)::text); RETURN NEW; END$$`,
    );
    await d.query(
      'CREATE TRIGGER customers_changed AFTER UPDATE ON customers FOR EACH ROW EXECUTE FUNCTION announce()',
    );
    await d.query(
      `CREATE FUNCTION rename_customer() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN UPDATE customers SET name = repeat('x', 50) WHERE id = NEW.customer_id; RETURN NEW; END$$`,
    );
    await d.query(
      `CREATE TRIGGER orders_touch_customer AFTER UPDATE OF status ON orders FOR EACH ROW WHEN (NEW.status = 'touch') EXECUTE FUNCTION rename_customer()`,
    );
    await d.end();
    c = await s.connect();
    // Unknown relation: the proxy reloads its catalog (views and functions created out of band).
    await c.query('SELECT 1 FROM not_there_yet').catch(() => undefined);
  });
  after(async () => {
    await c?.end();
    await s?.stop();
  });

  describe('4a: error text of statements touching a table with a ruled column', () => {
    it('a check violation ("Failing row contains") is withheld, SQLSTATE kept', async () => {
      const e = await pgError(c.query(`UPDATE customers SET name = repeat('x', 50) WHERE id = 2`));
      expect(e.code).to.equal('23514');
      expect(`${e.message} ${e.detail}`).to.not.contain(NOTES);
      expect(e.message).to.contain('withheld');
    });

    it('a data exception in a read of another column of that table is withheld too', async () => {
      const e = await pgError(c.query('SELECT name::int FROM customers WHERE id = 2'));
      expect(e.code).to.equal('22P02');
      expect(e.message).to.contain('withheld').and.not.contain('Grace');
    });

    it('a constraint violation raised by a trigger on another table has its detail withheld', async () => {
      const e = await pgError(c.query(`UPDATE orders SET status = 'touch' WHERE customer_id = 2`));
      expect(e.code).to.equal('23514');
      expect(`${e.message} ${e.detail}`).to.not.contain(NOTES);
    });

    it("statements on tables without ruled columns keep the database's error text", async () => {
      const e = await pgError(c.query(`SELECT 'abc'::int FROM orders LIMIT 1`));
      expect(e.message).to.contain('invalid input syntax for type integer');
    });
  });

  describe('4b: COPY rows split as PostgreSQL writes them', () => {
    it('text format: tabs, backslashes and the delimiter inside data never shift the notes field', async () => {
      for (const opts of ['', `(DELIMITER '|')`, `(DELIMITER ';')`, `WITH DELIMITER ';' NULL AS 'x'`]) {
        const out = await psql(
          `COPY (SELECT E'a\\tb\\\\c|d;e' AS x, notes, name FROM customers WHERE id = 2) TO STDOUT ${opts}`,
        );
        expect(out, opts).to.not.contain(NOTES);
        expect(out, opts).to.contain('[redacted:notes]').and.to.contain('Grace Hopper');
      }
    });

    it('csv with QUOTE and ESCAPE options: quoted delimiters and escaped quotes never shift it', async () => {
      const opts = [
        `(FORMAT csv)`,
        `(FORMAT csv, QUOTE '''', ESCAPE '\\')`,
        `(FORMAT csv, DELIMITER ';', QUOTE '|', ESCAPE '!')`,
        `(FORMAT csv, FORCE_QUOTE *)`,
        `WITH CSV DELIMITER ';' QUOTE '|' ESCAPE '!'`,
      ];
      for (const o of opts) {
        const out = await psql(
          `COPY (SELECT E'q\\'"|!\\\\,;x' AS x, notes, name FROM customers WHERE id = 2) TO STDOUT ${o}`,
        );
        expect(out, o).to.not.contain(NOTES);
        expect(out, o).to.contain('[redacted:notes]').and.to.contain('Grace Hopper');
      }
    });

    it('a NULL string equal to the value is no oracle: the ruled field is masked all the same', async () => {
      const out = await psql(`COPY (SELECT notes FROM customers WHERE id = 2) TO STDOUT (NULL '${NOTES}')`);
      expect(out).to.not.contain(NOTES);
    });

    it('ENCODING other than UTF8, and options the proxy does not parse, are refused while masking is on', async () => {
      const out = await psql(`COPY (SELECT name, notes FROM customers) TO STDOUT (ENCODING 'SJIS')`);
      expect(out).to.contain('masking-copy-options').and.not.contain(NOTES);
      expect(await psql(`COPY (SELECT name FROM customers) TO STDOUT (FORMAT csv, FORCE_NOT_NULL (name))`)).to.contain(
        'masking-copy-options',
      );
      expect(await psql(`COPY (SELECT name FROM customers WHERE id = 2) TO STDOUT (ENCODING 'UTF8')`)).to.contain(
        'Grace Hopper',
      );
    });
  });

  describe('4c: planner statistics', () => {
    it('pg_statistic, pg_stats_ext and pg_catalog.pg_stats are refused under column rules', async () => {
      for (const sql of [
        'SELECT stavalues1 FROM pg_statistic',
        'SELECT most_common_vals FROM pg_stats_ext',
        'SELECT histogram_bounds FROM pg_catalog.pg_stats',
        'SELECT 1 FROM pg_stats_ext_exprs',
      ]) {
        const e = await pgError(c.query(sql));
        expect(e.message, sql).to.contain('masking-lineage').and.contain('planner statistics');
      }
    });
  });

  describe('4d: a statement that reads a ruled column has no effect beyond reading', () => {
    it('large-object writes, advisory locks keyed by the value and volatile functions are refused', async () => {
      for (const sql of [
        `SELECT lo_put(lo_create(0), 0, convert_to(notes, 'UTF8')) FROM customers WHERE id = 2`,
        `SELECT pg_advisory_lock(hashtext(notes)) FROM customers WHERE id = 2`,
        `SELECT lo_from_bytea(0, (SELECT convert_to(notes, 'UTF8') FROM customers WHERE id = 2))`,
      ]) {
        const e = await pgError(c.query(sql));
        expect(e.message, sql).to.contain('masking-lineage');
      }
    });

    it('an UPDATE filtering on a ruled column and returning it is still allowed (nothing stored)', async () => {
      const r = await c.query(`UPDATE customers SET name = name WHERE notes LIKE 'prefers%' RETURNING notes`);
      expect(r.rows[0].notes).to.equal('[redacted:notes]');
    });
  });

  describe('5: views and user functions over a ruled column', () => {
    it('view columns (nested, whole-row, materialized) are masked; computed outputs and error text too', async () => {
      expect((await c.query('SELECT r FROM note_digest')).rows.map((x) => x.r)).to.not.include(NOTES);
      expect(JSON.stringify((await c.query('SELECT w FROM whole_customers')).rows)).to.not.contain(NOTES);
      expect((await c.query('SELECT m FROM notes_mv WHERE id = 2')).rows[0].m).to.match(/^\[redacted:/);
      expect((await c.query('SELECT upper(remark) AS u FROM customer_notes WHERE id = 2')).rows[0].u).to.not.contain(
        'PREFERS',
      );
      const e = await pgError(c.query('SELECT r::int FROM note_digest'));
      expect(e.message).to.not.contain(NOTES);
    });

    it('COPY (query) over such a view masks its plain columns too', async () => {
      const out = await psql('COPY (SELECT remark FROM customer_notes WHERE id = 2) TO STDOUT');
      expect(out).to.not.contain(NOTES);
      expect(out).to.contain('[redacted:');
    });

    it('SQL run from a string (query_to_xml) is of unknown lineage: masked', async () => {
      const r = await c
        .query(`SELECT query_to_xml('SELECT notes FROM customers WHERE id = 2', true, false, '') AS x`)
        .catch((e: Error) => ({ rows: [{ x: e.message }] }));
      expect(String(r.rows[0].x)).to.not.contain(NOTES);
    });

    it('an error raised while planning at Bind (an immutable function folded) is withheld too', async () => {
      const e = await pgError(c.query({ text: 'SELECT note_number(2) + $1::int AS n', values: [1] }));
      expect(e.code).to.equal('22P02');
      expect(e.message).to.not.contain(NOTES);
    });

    it('a view over unruled columns stays readable', async () => {
      expect((await c.query('SELECT name FROM customer_names WHERE id = 2')).rows[0].name).to.equal('Grace Hopper');
    });

    it('user functions (plpgsql, set-returning) have their outputs masked', async () => {
      expect((await c.query('SELECT note_of(2) AS n')).rows[0].n).to.not.equal(NOTES);
      expect((await c.query('SELECT n FROM all_notes() n')).rows.map((x) => x.n)).to.not.include(NOTES);
      expect((await c.query(`SELECT length(note_of(2)) AS l`)).rows[0].l).to.not.equal(NOTES.length);
    });

    it('a change-feed notification carrying the row as JSON has the ruled key masked', async () => {
      const l = await s.connect();
      const got = new Promise<pg.Notification>((resolve) => l.on('notification', resolve));
      await l.query('LISTEN changes');
      await c.query(`UPDATE customers SET name = 'Grace B. Hopper' WHERE id = 2`);
      const n = await got;
      await l.end();
      expect(n.payload).to.not.contain(NOTES);
      expect(JSON.parse(n.payload!).notes).to.equal('[redacted:notes]');
    });
  });

  describe('10: bytea inside arrays, records and text', () => {
    it('detectors see the bytes behind bytea hex in arrays, records and bytea::text (text format, as psql gets them)', async () => {
      for (const sql of [
        `SELECT ARRAY[convert_to('${CARD}', 'UTF8')] AS v`,
        `SELECT ROW(1, convert_to('${CARD}', 'UTF8')) AS v`,
        `SELECT convert_to('${CARD}', 'UTF8')::text AS v`,
      ]) {
        const v = await psql(sql);
        expect(v, sql).to.not.contain(CARD_HEX);
        expect(Buffer.from(v.replace(/^[^]*?x([0-9a-f]+)[^]*$/, '$1'), 'hex').toString(), sql).to.contain(
          '[redacted:creditCard]',
        );
      }
    });

    it('and in error text and notification payloads', async () => {
      const e = await pgError(c.query(`SELECT convert_to('${CARD}', 'UTF8')::text::int`));
      expect(e.message).to.not.contain(CARD_HEX);
      const l = await s.connect();
      const got = new Promise<pg.Notification>((resolve) => l.on('notification', resolve));
      await l.query('LISTEN hexed');
      await l.query(`SELECT pg_notify('hexed', convert_to('${CARD}', 'UTF8')::text)`);
      const n = await got;
      await l.end();
      expect(n.payload).to.not.contain(CARD_HEX);
    });

    it('and in COPY rows', async () => {
      const out = await psql(`COPY (SELECT ARRAY[convert_to('${CARD}', 'UTF8')] AS v) TO STDOUT`);
      expect(out).to.not.contain(CARD_HEX);
    });
  });
});
