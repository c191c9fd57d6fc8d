/**
 * The guard proxy against a real PostgreSQL server, through real clients: node-postgres (simple and
 * extended protocol), psql, and a raw wire-protocol client for pipelining and malformed input.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { promisify } from 'node:util';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import pg from 'pg';
import { verifyAuditFile } from '../../proxy/audit/verify.js';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { nextEvent } from '../support/eventually.js';
import { pgError } from '../support/pg-error.js';
import { fe, RawClient, rawMessage } from '../support/raw-client.js';
import { auditRecords } from '../support/audit-records.js';

const run = promisify(execFile);

describe('Postgres guard proxy (real PostgreSQL)', function () {
  let s: LocalStack;
  let c: pg.Client;

  before(async () => {
    s = await startLocalStack();
    c = await s.connect();
  });
  after(async () => {
    await c?.end().catch(() => undefined);
    await s?.stop();
  });

  describe('simple protocol', () => {
    it('allows reads and masks cards, emails, SSN column, secrets and employee ids', async () => {
      const r = await c.query('SELECT id, name, email, card_number, ssn, notes FROM customers ORDER BY id');
      expect(r.rows).to.have.length(4);
      expect(r.rows[0]).to.deep.include({
        name: 'Ada Lovelace',
        email: '[redacted:email]',
        card_number: '[redacted:creditCard]',
        ssn: '[redacted:ssn]',
      });
      expect(r.rows[0].notes).to.equal('VIP; account manager ***-**4211');
      expect(r.rows[2].notes).to.equal('API key on file: [redacted:secret]');
      expect(r.rows[3].notes).to.equal('IBAN [redacted:iban]');
    });

    it('masks a column rule through an alias (underlying table column from the catalog)', async () => {
      const r = await c.query('SELECT ssn AS x FROM customers WHERE id = 2');
      expect(r.rows[0].x).to.equal('[redacted:ssn]');
    });

    it('masks a card number stored in a bigint column', async () => {
      const r = await c.query('SELECT 4111111111111111::bigint AS n, 42::bigint AS small');
      expect(r.rows[0]).to.deep.equal({ n: '[redacted:creditCard]', small: '42' });
    });

    it('denies DDL, unbounded writes and payroll reads with 42501 naming the rule; the session stays usable', async () => {
      const ddl = await pgError(c.query('DROP TABLE orders'));
      expect(ddl.code).to.equal('42501');
      expect(ddl.message).to.contain('"no-ddl"').and.contain('DDL is not allowed for agents');
      expect((await pgError(c.query('DELETE FROM orders WHERE 1=1'))).message).to.contain('no-unbounded-writes');
      expect((await pgError(c.query('SELECT * FROM payroll.salaries'))).message).to.contain('"payroll"');
      expect((await pgError(c.query('SET search_path = payroll; SELECT * FROM salaries'))).message).to.contain(
        '"pinned-search-path"',
      );
      expect((await pgError(c.query('SELECT * FROM salaries'))).message).to.contain('"payroll"');
      expect((await c.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).to.equal(4);
    });

    it('masks sensitive values in error messages from the database', async () => {
      const e = await pgError(c.query("SELECT 'ada@example.com'::int"));
      expect(e.code).to.equal('22P02');
      expect(e.message).to.contain('[redacted:email]').and.not.contain('ada@example.com');
    });

    it('literals never fool it', async () => {
      expect((await c.query("SELECT 'DROP TABLE orders' AS s")).rows[0].s).to.equal('DROP TABLE orders');
    });

    it('a multi-statement query with one denied statement runs none of them', async () => {
      const e = await pgError(
        c.query('INSERT INTO orders (customer_id, amount_cents) VALUES (1, 1); DROP TABLE customers'),
      );
      expect(e.message).to.contain('no-ddl');
      const d = await s.direct();
      expect((await d.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).to.equal(4);
      await d.end();
    });

    it('hidden writes are classified as writes (writable CTE, SELECT INTO, EXPLAIN ANALYZE)', async () => {
      expect((await pgError(c.query('WITH d AS (DELETE FROM orders RETURNING *) SELECT * FROM d'))).message).to.contain(
        'no-unbounded-writes',
      );
      expect((await pgError(c.query('SELECT * INTO stolen FROM customers'))).message).to.contain('no-ddl');
      expect((await pgError(c.query('EXPLAIN ANALYZE DELETE FROM orders'))).message).to.contain('no-unbounded-writes');
      const ok = await c.query("UPDATE orders SET status = 'shipped' WHERE id = 1");
      expect(ok.rowCount).to.equal(1);
    });

    it('admin functions, DO blocks and volatile user functions are refused', async () => {
      expect((await pgError(c.query("SELECT pg_read_file('/etc/passwd')"))).message).to.contain('no-ddl');
      expect((await pgError(c.query('DO $$ BEGIN DELETE FROM orders; END $$'))).message).to.contain('no-ddl');
      expect(
        (await pgError(c.query("SELECT set_config('default_transaction_read_only', 'off', false)"))).message,
      ).to.contain('no-ddl');
      const d = await s.direct();
      await d.query('CREATE FUNCTION wipe() RETURNS int LANGUAGE sql AS $$ DELETE FROM orders RETURNING 1 $$');
      await d.end();
      await s.proxy.refreshCatalog((s.proxy as any).targets[0]);
      const e = await pgError(c.query('SELECT wipe()'));
      expect(e.message).to.contain('no-ddl');
      expect(e.detail).to.contain('volatile');
    });

    it("SQL-level PREPARE/EXECUTE carry the prepared statement's effects", async () => {
      await c.query("PREPARE ship(int) AS UPDATE orders SET status = 'shipped' WHERE id = $1");
      expect((await c.query('EXECUTE ship(2)')).rowCount).to.equal(1);
      expect((await pgError(c.query('PREPARE wipe_all AS DELETE FROM orders'))).message).to.contain(
        'no-unbounded-writes',
      );
      expect((await pgError(c.query('EXECUTE never_prepared'))).message).to.contain('no-ddl');
    });

    it('COPY: FROM STDIN of an allowed statement works; TO STDOUT is masked or refused without column names', async () => {
      const e = await pgError(c.query('COPY customers TO STDOUT'));
      expect(e.message).to.contain('masking-copy-columns');
      expect((await pgError(c.query("COPY orders FROM '/etc/passwd'"))).message).to.contain('no-ddl');
    });
  });

  describe('extended protocol', () => {
    it('parameterized and named prepared statements are enforced and masked', async () => {
      const q = { name: 'card_by_id', text: 'SELECT name, card_number, ssn FROM customers WHERE id = $1', values: [1] };
      const r1 = await c.query(q);
      const r2 = await c.query({ ...q, values: [2] });
      expect(r1.rows[0]).to.deep.equal({
        name: 'Ada Lovelace',
        card_number: '[redacted:creditCard]',
        ssn: '[redacted:ssn]',
      });
      expect(r2.rows[0].name).to.equal('Grace Hopper');
      const e = await pgError(c.query({ text: 'DELETE FROM orders WHERE $1', values: [true] }));
      expect(e.code).to.equal('42501');
      expect((await c.query({ text: 'SELECT $1::int AS v', values: [7] })).rows[0].v).to.equal(7);
    });

    it('binary result formats are masked too (text-like values rewritten, others nulled)', async () => {
      const raw = await RawClient.connect(s.host, s.port, await s.token());
      raw.send(
        fe.parse({ text: "SELECT 'mail ada@example.com'::text AS t, 4111111111111111::int8 AS n, 7::int8 AS k" }),
        fe.bind({ binary: true }),
        fe.describe({ type: 'P' }),
        fe.execute({}),
        fe.sync(),
      );
      const row = (await raw.until('Z')).find((m) => m.type === 'D')!.body;
      let pos = 2;
      const values: (Buffer | null)[] = [];
      for (let i = 0; i < row.readInt16BE(0); i++) {
        const len = row.readInt32BE(pos);
        values.push(len < 0 ? null : row.subarray(pos + 4, pos + 4 + len));
        pos += 4 + Math.max(len, 0);
      }
      expect(values[0]!.toString()).to.equal('mail [redacted:email]');
      expect(values[1]).to.equal(null);
      expect(values[2]!.readBigInt64BE(0)).to.equal(7n);
      raw.end();
    });

    it('pipelined Parse/Bind/Execute: a denied statement errors in order, the rest until Sync is skipped', async () => {
      const raw = await RawClient.connect(s.host, s.port, await s.token());
      raw.send(
        fe.parse({ text: 'SELECT 1 AS one' }),
        fe.bind({}),
        fe.describe({ type: 'P' }),
        fe.execute({}),
        fe.parse({ text: 'DROP TABLE orders' }),
        fe.bind({}),
        fe.execute({}),
        fe.sync(),
      );
      const msgs = await raw.until('Z');
      expect(msgs.map((m) => m.type).join('')).to.equal('12TDCEZ');
      expect(msgs[5]!.error!.message).to.contain('no-ddl');
      raw.send(fe.parse({ text: 'SELECT 2' }), fe.bind({}), fe.execute({}), fe.sync());
      expect((await raw.until('Z')).map((m) => m.type).join('')).to.equal('12DCZ');
      raw.end();
    });

    it('Bind to an unknown or refused statement name fails closed', async () => {
      const raw = await RawClient.connect(s.host, s.port, await s.token());
      raw.send(fe.parse({ name: 'bad', text: 'TRUNCATE orders' }), fe.sync());
      expect((await raw.until('Z')).map((m) => m.type).join('')).to.equal('EZ');
      raw.send(fe.bind({ statement: 'bad' }), fe.execute({}), fe.sync());
      const msgs = await raw.until('Z');
      expect(msgs[0]!.error!.code).to.equal('26000');
      raw.end();
    });

    it('the fast-path FunctionCall message is refused', async () => {
      const raw = await RawClient.connect(s.host, s.port, await s.token());
      const body = Buffer.alloc(12);
      body.writeInt32BE(2, 0); // function oid
      raw.send(rawMessage('F', body));
      const msgs = await raw.until('Z');
      expect(msgs[0]!.error!.message).to.contain('function-call-protocol');
      raw.end();
    });

    it('stray COPY data outside COPY FROM STDIN never reaches the database', async () => {
      const raw = await RawClient.connect(s.host, s.port, await s.token());
      raw.send(fe.copyData(Buffer.from('1\t1\t1\tnew\n')), fe.copyDone(), fe.query('SELECT 1'));
      const msgs = await raw.until('Z');
      expect(msgs.map((m) => m.type).join('')).to.equal('TDCZ');
      raw.end();
    });
  });

  describe('startup and identity', () => {
    it('refuses bad tokens with 28P01 and a clear reason, and audits it', async () => {
      const bad = new pg.Client({
        host: s.host,
        port: s.port,
        user: 'agent',
        database: 'billing',
        password: 'not-a-token',
      });
      const e = await pgError(bad.connect());
      expect(e.code).to.equal('28P01');
      expect(e.message).to.contain('not a well-formed JWT');
      const expired = new pg.Client({
        host: s.host,
        port: s.port,
        user: 'agent',
        database: 'billing',
        password: await s.token('agent-1', { ttlSeconds: -100 }),
      });
      expect((await pgError(expired.connect())).message).to.contain('expired');
      const wrongAud = new pg.Client({
        host: s.host,
        port: s.port,
        user: 'agent',
        database: 'billing',
        password: await s.token('agent-1', { audience: 'someone-else' }),
      });
      expect((await pgError(wrongAud.connect())).message).to.contain('audience');
      expect(auditRecords(s).filter((r) => r.event.action === 'identity.rejected').length).to.be.greaterThanOrEqual(3);
    });

    it('refuses startup options and replication connections', async () => {
      for (const params of [
        { options: '-c default_transaction_read_only=off' },
        { replication: 'database' },
        { session_replication_role: 'replica' },
      ] as Record<string, string>[]) {
        const raw = await RawClient.connect(s.host, s.port, undefined, params);
        const msgs = await raw.drain(3000);
        expect(msgs[0]!.error!.code, JSON.stringify(params)).to.equal('42501');
      }
    });

    it('closes a session when its token expires, without waiting for its next statement', async () => {
      const short = new pg.Client({
        host: s.host,
        port: s.port,
        user: 'agent',
        database: 'billing',
        password: await s.token('agent-short', { ttlSeconds: 2 }),
      });
      const closed: { code?: string; message: string }[] = [];
      short.on('error', (e) => closed.push(e as { code?: string; message: string }));
      const ended = nextEvent(short, 'error', 'the session closed at its token expiry');
      await short.connect();
      await short.query('SELECT 1');
      await ended;
      expect(closed[0]?.code).to.equal('28000');
      expect(closed[0]?.message).to.contain('token has expired');
      await pgError(short.query('SELECT 1'));
    });
  });

  describe('robustness', () => {
    it('a malformed message gets a FATAL 08P01 and closes only that session', async () => {
      const raw = await RawClient.connect(s.host, s.port, await s.token());
      raw.send(rawMessage('Q', Buffer.from('SELECT 1'), 2));
      const msgs = await raw.drain(3000);
      expect(msgs[0]!.error!.code).to.equal('08P01');
      expect(msgs[0]!.error!.message).to.contain('invalid message length');
      const raw2 = await RawClient.connect(s.host, s.port, await s.token());
      raw2.send(rawMessage('Z', Buffer.from('I')));
      expect((await raw2.drain(3000))[0]!.error!.message).to.contain('unexpected message type');
      const raw3 = await RawClient.connect(s.host, s.port, await s.token());
      raw3.send(rawMessage('Q', Buffer.from('SELECT 1\0trailing\0')));
      expect((await raw3.drain(3000))[0]!.error!.message).to.contain('bytes after the query string');
      expect((await c.query('SELECT 1 AS ok')).rows[0].ok).to.equal(1);
      expect(
        auditRecords(s).some((r) => r.event.action === 'protocol.error' && /invalid message length/.test(r.message)),
      ).to.equal(true);
    });

    it('statements that overflow the parser are refused and the proxy keeps parsing', async () => {
      const deep = `SELECT ${'('.repeat(12000)}1${')'.repeat(12000)}`;
      for (let i = 0; i < 5; i++) {
        const e = await pgError(c.query(deep));
        expect(e.code).to.be.oneOf(['42601', '42501']);
      }
      const wide = `SELECT count(*) FROM orders WHERE id IN (${Array.from({ length: 8000 }, (_, i) => i).join(',')})`;
      expect((await c.query(wide)).rows[0].count).to.equal('4');
      expect((await c.query('SELECT 2 AS two')).rows[0].two).to.equal(2);
    });

    it('a dropped upstream gives the agent a clear error; new sessions still work', async () => {
      const victim = await s.connect('victim');
      const asyncErrors: string[] = [];
      victim.on('error', (err) => asyncErrors.push(err.message));
      const d = await s.direct();
      await d.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'agentgate:victim%'",
      );
      await d.end();
      // The FATAL reaches the client either idle (an 'error' event) or as the next query's error.
      for (let i = 0; i < 40 && asyncErrors.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      const queryError = await pgError(victim.query('SELECT 1'));
      expect([queryError.message, ...asyncErrors].join('\n')).to.match(
        /terminating connection|connection to the database was lost/,
      );
      const fresh = await s.connect();
      expect((await fresh.query('SELECT 3 AS x')).rows[0].x).to.equal(3);
      await fresh.end();
    });

    it('cancel requests reach the upstream backend', async () => {
      const victim = await s.connect();
      const sleeping = victim.query('SELECT pg_sleep(30)');
      const d = await s.direct();
      for (let i = 0; i < 100; i++) {
        const active = await d.query(
          "SELECT 1 FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'",
        );
        if (active.rowCount) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await d.end();
      await new Promise<void>((resolve) => {
        const sock = net.connect({ host: s.host, port: s.port }, () =>
          sock.end(fe.cancel((victim as any).processID, (victim as any).secretKey)),
        );
        sock.on('close', () => resolve());
      });
      const e = await pgError(sleeping);
      expect(e.code).to.equal('57014');
      await victim.end();
    });
  });

  describe('psql', () => {
    it('works through the proxy with masking and denials', async () => {
      const env = { ...process.env, PGPASSWORD: await s.token('psql-agent') };
      const conn = `host=${s.host} port=${s.port} user=agent dbname=billing sslmode=disable`;
      const { stdout } = await run(
        'psql',
        [
          conn,
          '-At',
          '-c',
          'SELECT email, card_number FROM customers WHERE id = 1',
          '-c',
          'COPY (SELECT name, email FROM customers WHERE id = 2) TO STDOUT',
        ],
        { env },
      );
      expect(stdout).to.contain('[redacted:email]|[redacted:creditCard]');
      expect(stdout).to.contain('Grace Hopper\t[redacted:email]');
      const copied = await run(
        'bash',
        ['-c', `printf '1\t777\n2\t778\n' | psql "${conn}" -c "COPY orders (customer_id, amount_cents) FROM STDIN"`],
        { env },
      );
      expect(copied.stdout).to.contain('COPY 2');
      const denied = await run('psql', [conn, '-c', 'DROP TABLE orders'], { env }).catch((e: { stderr: string }) => e);
      expect((denied as { stderr: string }).stderr).to.contain('denied by rule "no-ddl"');
    });
  });

  describe('audit trail', () => {
    it('records a decision before each completion, masks statement text, and verifies', async () => {
      await c.query("SELECT 'card 4111 1111 1111 1111' AS leak");
      const recs = auditRecords(s);
      const decision = recs.findLast(
        (r) => r.event.action === 'statement.decision' && r.db?.query?.text.includes('AS leak'),
      )!;
      expect(decision.db.query.text).to.contain('[redacted:creditCard]');
      const completion = recs.find((r) => r.event.action === 'statement.completion' && r.decisionSeq === decision.seq)!;
      expect(completion.seq).to.be.greaterThan(decision.seq);
      expect(completion.db.response.returned_rows).to.equal(1);
      expect(completion.maskedValues).to.equal(1);
      expect(completion.event).to.include({ action: 'statement.completion', outcome: 'success' });
      expect(Number.isSafeInteger(completion.event.duration)).to.equal(true); // nanoseconds (ECS)
      expect(decision).to.deep.include({ decision: 'Allow', rule: { name: 'defaultAction' }, target: 'billing-db' });
      expect(decision['@timestamp']).to.match(/^\d{4}-\d\d-\d\dT/);
      expect(decision.principal.sub).to.equal('agent-1');
      const denial = recs.find((r) => r.event.action === 'statement.decision' && r.rule.name === 'no-ddl')!;
      expect(denial).to.include({ decision: 'Deny', enforced: true });
      expect(denial.event.outcome).to.equal('failure');
      expect(verifyAuditFile(s.auditFile).ok).to.equal(true);
      // Every record of this whole run matches the published, versioned schema.
      const ajv = new Ajv2020({ allErrors: true, strict: false });
      addFormats.default(ajv); // date-time etc. are checked, not ignored
      const validate = ajv.compile(
        JSON.parse(readFileSync(new URL('../../docs/audit-schema.json', import.meta.url), 'utf8')),
      );
      for (const r of recs) expect(validate(r), `seq ${r.seq}: ${JSON.stringify(validate.errors)}`).to.equal(true);
      const text = readFileSync(s.auditFile, 'utf8');
      for (const secret of [
        '4111 1111 1111 1111',
        'ada@example.com',
        '123-45-6789',
        'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
        'EMP-004211',
      ]) {
        expect(text, secret).to.not.contain(secret);
      }
    });
  });
});
