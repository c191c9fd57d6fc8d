/**
 * A hostile agent trying to get sensitive values back through channels other than plain text rows:
 * notifications, error and notice fields, binary result formats, and outputs derived from a column a
 * column rule covers (expressions, whole rows, aggregates, COPY, cursors, error text).
 * Real PostgreSQL, node-postgres, psql and the raw wire client.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type pg from 'pg';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { pgError } from '../support/pg-error.js';
import { fe, RawClient, type RawMessage } from '../support/raw-client.js';

const run = promisify(execFile);
const CARD = '4111 1111 1111 1111';
/** Grace Hopper's notes: no detector matches them; only the `notes` column rule protects them. */
const NOTES = 'prefers invoices by mail';

function dataRowValues(m: RawMessage): (Buffer | null)[] {
  const row = m.body;
  const values: (Buffer | null)[] = [];
  let pos = 2;
  for (let i = 0; i < row.readInt16BE(0); i++) {
    const len = row.readInt32BE(pos);
    values.push(len < 0 ? null : row.subarray(pos + 4, pos + 4 + len));
    pos += 4 + Math.max(len, 0);
  }
  return values;
}

describe('attack: masking on every channel and every derived output (real PostgreSQL)', function () {
  let s: LocalStack;
  let c: pg.Client;

  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) =>
        p.spec.masking!.columns!.push({ name: 'notes', strategy: 'redact' }, { name: 'email', strategy: 'partial' }),
    });
    c = await s.connect();
  });
  after(async () => {
    await c?.end().catch(() => undefined);
    await s?.stop();
  });

  let notices: RawMessage[] = [];
  /** Every value of a binary-format single-row result, through Parse/Bind(binary)/Execute. */
  async function binaryRow(sql: string): Promise<(Buffer | null)[]> {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    try {
      raw.send(
        fe.parse({ text: sql }),
        fe.bind({ binary: true }),
        fe.describe({ type: 'P' }),
        fe.execute({}),
        fe.sync(),
      );
      const msgs = await raw.until('Z');
      const err = msgs.find((m) => m.type === 'E');
      if (err) throw new Error(`${err.error?.code}: ${err.error?.message}`);
      notices = msgs.filter((m) => m.type === 'N');
      return dataRowValues(msgs.find((m) => m.type === 'D')!);
    } finally {
      raw.end();
    }
  }

  describe('channels back to the agent', () => {
    it('NotificationResponse payloads are masked (LISTEN + pg_notify), framing intact', async () => {
      const listener = await s.connect();
      try {
        const got = new Promise<pg.Notification>((resolve) => listener.on('notification', resolve));
        await listener.query('LISTEN cards');
        await listener.query(`SELECT pg_notify('cards', 'card ${CARD} here')`);
        const n = await got;
        expect(n.channel).to.equal('cards');
        expect(n.payload).to.equal('card [redacted:creditCard] here');
        expect((await listener.query('SELECT 1 AS one')).rows[0].one).to.equal(1);
      } finally {
        await listener.end();
      }
    });

    it('error fields are masked: message, detail and context', async () => {
      const e1 = await pgError(c.query(`SELECT '${CARD}'::int`));
      expect(e1.message).to.contain('[redacted:creditCard]');
      expect(e1.message).to.not.contain('4111');
      const e2 = await pgError(c.query(`SELECT '"${CARD}'::json`));
      expect(JSON.stringify(e2)).to.not.contain('4111');
    });

    it('binary results of types the proxy cannot inspect are never passed through (arrays, records)', async () => {
      const [arr, rec, ints] = await binaryRow(
        `SELECT ARRAY['4111111111111111'] AS a, ROW('4111111111111111') AS r, ARRAY[1, 2] AS i`,
      );
      expect(arr).to.equal(null);
      expect(rec).to.equal(null);
      expect(ints).to.equal(null);
      // The agent is told why, once per result, and what to do instead.
      expect(notices).to.have.length(1);
      expect(notices[0]!.error?.message).to.contain('"a", "r", "i"').and.to.contain('returned as NULL');
    });

    it('binary bytea, json, jsonb, numeric and float8 values are decoded and masked', async () => {
      const [bytea, json, jsonb, numeric, frac, float, plain] = await binaryRow(
        `SELECT '4111111111111111'::bytea, '"4111111111111111"'::json, '{"c": "4111111111111111"}'::jsonb, 4111111111111111::numeric, 4111111111111111.00::numeric, 4111111111111111::float8, 12.5::numeric`,
      );
      expect(bytea!.toString('latin1')).to.equal('[redacted:creditCard]');
      expect(json!.toString()).to.not.contain('4111');
      expect(jsonb!.toString()).to.not.contain('4111');
      expect(numeric).to.equal(null);
      expect(frac).to.equal(null);
      expect(float).to.equal(null);
      expect(plain).to.not.equal(null); // a numeric with nothing sensitive passes unchanged
    });

    it('node-postgres binary mode gets masked values too', async () => {
      const r = await c.query({
        text: `SELECT '${CARD}'::text AS t, ARRAY['${CARD}'] AS a, $1::int AS k`,
        values: [7],
        binary: true,
      } as pg.QueryConfig);
      expect(r.rows[0].t).to.equal('[redacted:creditCard]');
      expect(r.rows[0].a).to.equal(null);
      expect(r.rows[0].k).to.equal(7);
    });

    it('COPY TO STDOUT rows: bytea hex and escaped fields are looked at as the values they stand for (psql)', async () => {
      const env = { ...process.env, PGPASSWORD: await s.token('psql-agent') };
      const conn = `host=${s.host} port=${s.port} user=agent dbname=billing sslmode=disable`;
      const { stdout } = await run(
        'psql',
        [conn, '-At', '-c', `COPY (SELECT '${CARD}'::bytea AS b, E'a\\\\b\\t${CARD}' AS t) TO STDOUT`],
        { env },
      );
      const [b, t] = stdout.trim().split('\t');
      expect(Buffer.from(b!.replace(/^\\\\x/, ''), 'hex').toString('latin1')).to.equal('[redacted:creditCard]');
      expect(t).to.equal('a\\\\b\\t[redacted:creditCard]');
    });

    it('text-format bytea is looked at as the bytes it stands for', async () => {
      const r = await c.query(`SELECT '${CARD}'::bytea AS b`);
      expect(r.rows[0].b.toString('latin1')).to.equal('[redacted:creditCard]');
    });
  });

  describe('column rules follow the data', () => {
    const grace = async (expr: string): Promise<unknown> =>
      (await c.query(`SELECT ${expr} AS x FROM customers c WHERE id = 2`)).rows[0].x;

    it('expressions, casts and functions over a ruled column are masked', async () => {
      expect(await grace(`notes || ''`)).to.equal('[redacted:notes]');
      expect(await grace('upper(notes)')).to.equal('[redacted:notes]');
      expect(await grace('c.notes::varchar')).to.equal('[redacted:notes]');
      // Functional notation `notes(c)` (= c.notes) is an unknown function to the classifier: refused.
      expect((await pgError(grace('notes(c)'))).code).to.equal('42501');
      expect(await grace(`coalesce(notes, '') || name`)).to.equal('[redacted:notes]');
    });

    it('derived outputs are redacted even under a partial rule (the agent picks the transform)', async () => {
      expect(await grace('email')).to.equal('*****@******e.org');
      expect(await grace('substr(email, 1, 4)')).to.equal('[redacted:email]');
      expect(await grace('reverse(email)')).to.equal('[redacted:email]');
    });

    it('whole-row references to a table with a ruled column are masked', async () => {
      expect(await grace('c')).to.equal('[redacted:row]');
      expect(await grace('row_to_json(c)')).to.equal('[redacted:row]');
      expect(await grace('c::text')).to.equal('[redacted:row]');
      expect(await grace('(c.*)::text')).to.equal('[redacted:row]');
      expect(await grace("to_jsonb(c) - 'ssn'")).to.equal('[redacted:row]');
      const renamed = (await c.query('SELECT upper(x) AS x FROM customers c(i, n, e, cn, s, x) WHERE i = 2')).rows[0].x;
      expect(renamed).to.equal('[redacted:row]');
    });

    it('aggregates, set operations and subqueries over a ruled column are masked', async () => {
      const agg = (await c.query(`SELECT string_agg(notes, ',') AS a, max(notes) AS m FROM customers`)).rows[0];
      expect(agg).to.deep.equal({ a: '[redacted:notes]', m: '[redacted:notes]' });
      const union = (await c.query(`SELECT notes FROM customers WHERE id = 2 UNION ALL SELECT 'x'`)).rows;
      expect(JSON.stringify(union)).to.not.contain(NOTES);
      const stars = (await c.query(`SELECT * FROM customers WHERE id = 2 UNION SELECT * FROM customers WHERE id = 2`))
        .rows;
      expect(JSON.stringify(stars)).to.not.contain(NOTES);
      const direct = (await c.query(`SELECT * FROM customers WHERE id = 2`)).rows[0];
      expect(direct).to.deep.include({ name: 'Grace Hopper', notes: '[redacted:notes]' });
      const sub = (await c.query(`SELECT x FROM (SELECT notes AS x FROM customers WHERE id = 2) s`)).rows[0].x;
      expect(sub).to.equal('[redacted:notes]');
      const cte = (await c.query(`WITH t AS (SELECT lower(notes) AS x FROM customers) SELECT x FROM t LIMIT 1`)).rows[0]
        .x;
      expect(cte).to.equal('[redacted:notes]');
    });

    it('plain columns next to them and statements that read no ruled column stay readable', async () => {
      const r = (await c.query(`SELECT name, upper(notes) AS u FROM customers WHERE id = 2`)).rows[0];
      expect(r).to.deep.equal({ name: 'Grace Hopper', u: '[redacted:notes]' });
      expect((await c.query(`SELECT upper(status) AS s FROM orders WHERE id = 3`)).rows[0].s).to.equal('PAID');
      expect((await c.query(`SELECT o::text AS o FROM orders o WHERE id = 3`)).rows[0].o).to.contain('paid');
      const plan = (await c.query(`EXPLAIN SELECT upper(notes) FROM customers WHERE id = 2`)).rows
        .map((r) => r['QUERY PLAN'])
        .join('\n');
      expect(plan).to.contain('Scan');
    });

    it('the extended protocol, SQL PREPARE/EXECUTE and cursors get the same masks', async () => {
      const ext = await c.query({ text: 'SELECT upper(notes) AS u FROM customers WHERE id = $1', values: [2] });
      expect(ext.rows[0].u).to.equal('[redacted:notes]');
      await c.query('PREPARE derived_notes AS SELECT upper(notes) AS u FROM customers WHERE id = 2');
      expect((await c.query('EXECUTE derived_notes')).rows[0].u).to.equal('[redacted:notes]');
      await c.query('BEGIN');
      try {
        await c.query('DECLARE cur CURSOR FOR SELECT upper(notes) AS u FROM customers WHERE id = 2');
        expect((await c.query('FETCH 1 FROM cur')).rows[0].u).to.equal('[redacted:unknown-lineage]');
      } finally {
        await c.query('ROLLBACK');
      }
    });

    it('COPY (query) TO STDOUT is masked exactly as the same SELECT (psql)', async () => {
      const env = { ...process.env, PGPASSWORD: await s.token('psql-agent') };
      const conn = `host=${s.host} port=${s.port} user=agent dbname=billing sslmode=disable`;
      const { stdout } = await run(
        'psql',
        [
          conn,
          '-At',
          '-c',
          'COPY (SELECT notes AS x FROM customers WHERE id = 2) TO STDOUT',
          '-c',
          'COPY (SELECT name, upper(notes) AS u FROM customers WHERE id = 2) TO STDOUT (FORMAT csv)',
          '-c',
          'COPY (SELECT x FROM (SELECT notes AS x FROM customers WHERE id = 2) s) TO STDOUT',
          '-c',
          'COPY (SELECT c FROM customers c WHERE id = 2) TO STDOUT',
        ],
        { env },
      );
      expect(stdout).to.not.contain(NOTES);
      expect(stdout.trim().split('\n')).to.deep.equal([
        '[redacted:notes]',
        'Grace Hopper,[redacted:notes]',
        '[redacted:notes]',
        '[redacted:row]',
      ]);
    });

    it("the database's error text about a ruled column's value is withheld, keeping the SQLSTATE", async () => {
      const e = await pgError(c.query('SELECT notes::int FROM customers WHERE id = 2'));
      expect(e.code).to.equal('22P02');
      expect(JSON.stringify(e)).to.not.contain('invoices');
      expect(e.message).to.contain('withheld').and.to.contain('notes');
      const analyze = await pgError(c.query('EXPLAIN ANALYZE SELECT notes::int FROM customers WHERE id = 2'));
      expect(JSON.stringify(analyze)).to.not.contain('invoices');
      const regclass = await pgError(c.query('SELECT notes::regclass FROM customers WHERE id = 2'));
      expect(JSON.stringify(regclass)).to.not.contain('invoices');
      // Parse-analysis errors only quote the statement itself: kept, so the agent can fix its query.
      const analysis = await pgError(c.query('SELECT nosuchcol, notes FROM customers'));
      expect(analysis.message).to.contain('column "nosuchcol" does not exist');
      const audit = s.proxy.audit;
      audit.flush();
    });

    it('side channels out of a statement that reads a ruled column are refused (pg_notify, set_config)', async () => {
      const n = await pgError(c.query(`SELECT pg_notify('x', notes) FROM customers`));
      expect(n.message).to.contain('masking-lineage');
      const explained = await pgError(c.query(`EXPLAIN ANALYZE SELECT pg_notify('x', upper(notes)) FROM customers`));
      expect(explained.message).to.contain('masking-lineage');
      const sc = await pgError(c.query(`SELECT set_config('application_name', notes, false) FROM customers`));
      expect(sc.message).to.contain('masking-lineage');
      expect((await c.query('SELECT 1 AS one')).rows[0].one).to.equal(1);
    });

    it("writes that would store a ruled column's values elsewhere are refused; filters and RETURNING are not", async () => {
      const copied = await pgError(
        c.query(
          `INSERT INTO orders (customer_id, amount_cents, status) SELECT id, 1, notes FROM customers WHERE id = 2`,
        ),
      );
      expect(copied.message).to.contain('masking-lineage');
      const moved = await pgError(c.query(`UPDATE customers SET name = upper(notes) WHERE id = 4`));
      expect(moved.message).to.contain('masking-lineage');
      const viaCte = await pgError(
        c.query(
          `WITH a AS (SELECT notes AS x FROM customers WHERE id = 2), b AS (INSERT INTO orders (customer_id, amount_cents, status) SELECT 2, 1, x FROM a RETURNING 1) SELECT 1`,
        ),
      );
      expect(viaCte.message).to.contain('masking-lineage');
      expect((await c.query(`SELECT count(*) AS n FROM orders WHERE status = '${NOTES}'`)).rows[0].n).to.equal('0');
      const r = await c.query(
        `UPDATE customers SET name = name WHERE id = 4 AND notes IS NOT NULL RETURNING name, upper(notes) AS u`,
      );
      expect(r.rows[0]).to.deep.equal({ name: 'Katherine Johnson', u: '[redacted:notes]' });
    });

    it('binary results of derived outputs follow the column rule', async () => {
      const [u, name] = await binaryRow('SELECT upper(notes), name FROM customers WHERE id = 2');
      expect(u!.toString()).to.equal('[redacted:notes]');
      expect(name!.toString()).to.equal('Grace Hopper');
    });
  });
});
