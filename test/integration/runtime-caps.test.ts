/**
 * spec.runtimeLimits against a real PostgreSQL server: caps checked on what the database reports while
 * a statement runs (rows changed, rows returned, time), whatever the statement's syntax.
 */
import { expect } from 'chai';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { verifyAuditFile } from '../../proxy/audit/verify.js';
import type pg from 'pg';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { pgError } from '../support/pg-error.js';
import { fe, RawClient, type RawMessage } from '../support/raw-client.js';
import { auditRecords } from '../support/audit-records.js';

const status = (z: RawMessage | undefined): string => String.fromCharCode(z!.body[0]!);
const types = (ms: RawMessage[]): string => ms.map((m) => m.type).join('');

describe('runtime caps: maxRowsAffected (real PostgreSQL)', function () {
  let s: LocalStack;
  let direct: pg.Client;
  let c: pg.Client;
  const orders = async (): Promise<number> => (await direct.query('SELECT count(*)::int AS n FROM orders')).rows[0].n;

  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => {
        p.spec.runtimeLimits = { maxRowsAffected: 1 };
      },
    });
    direct = await s.direct();
    c = await s.connect();
  });
  after(async () => {
    await c?.end().catch(() => undefined);
    await direct?.end().catch(() => undefined);
    await s?.stop();
  });

  it('a DELETE whose WHERE is syntactically bounded but touches every row fails and deletes nothing', async () => {
    const e = await pgError(c.query('DELETE FROM orders WHERE id IS NOT NULL'));
    expect(e.code).to.equal('42501');
    expect(e.message).to.contain('maxRowsAffected 1').and.contain('changed 4 rows');
    expect(await orders()).to.equal(4);
    // The session is idle and usable again.
    expect((await c.query('SELECT 1 AS one')).rows[0].one).to.equal(1);
  });

  it('a write within the cap runs and is committed (autocommit)', async () => {
    const r = await c.query("UPDATE orders SET status = 'cap-ok' WHERE id = 1");
    expect(r.rowCount).to.equal(1);
    expect((await direct.query('SELECT status FROM orders WHERE id = 1')).rows[0].status).to.equal('cap-ok');
    await direct.query("UPDATE orders SET status = 'new' WHERE id = 1");
  });

  it('inside a transaction: the over-cap write fails the transaction (25P02 after it), and ROLLBACK undoes everything', async () => {
    await c.query('BEGIN');
    await c.query("UPDATE orders SET status = 'in-tx' WHERE id = 2");
    const e = await pgError(c.query("UPDATE orders SET status = 'all' WHERE amount_cents > 0"));
    expect(e.code).to.equal('42501');
    expect((await pgError(c.query('SELECT 1'))).code).to.equal('25P02');
    expect((await c.query('COMMIT')).command).to.equal('ROLLBACK');
    expect(
      (await direct.query("SELECT count(*)::int AS n FROM orders WHERE status IN ('in-tx', 'all')")).rows[0].n,
    ).to.equal(0);
  });

  it('extended protocol (node-postgres parameters): the over-cap DELETE fails and deletes nothing', async () => {
    const e = await pgError(c.query('DELETE FROM orders WHERE id > $1', [0]));
    expect(e.code).to.equal('42501');
    expect(e.message).to.contain('maxRowsAffected');
    expect(await orders()).to.equal(4);
    expect((await c.query('SELECT $1::int AS n', [5])).rows[0].n).to.equal(5);
  });

  it('raw pipelined extended protocol: one ErrorResponse, then ReadyForQuery I; nothing deleted; the next pipeline runs', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(
      fe.parse({ text: 'DELETE FROM orders WHERE id > 0' }),
      fe.bind({}),
      fe.execute({}),
      fe.sync(),
      fe.parse({ text: 'SELECT 7' }),
      fe.bind({}),
      fe.execute({}),
      fe.sync(),
    );
    const first = await raw.until('Z');
    expect(types(first)).to.equal('12EZ');
    expect(first[2]!.error?.code).to.equal('42501');
    expect(status(first[3])).to.equal('I');
    expect(types(await raw.until('Z'))).to.equal('12DCZ');
    raw.end();
    expect(await orders()).to.equal(4);
  });

  it('writes whose row count the tag does not give are refused, naming the limit', async () => {
    for (const sql of [
      'WITH d AS (DELETE FROM orders WHERE id > 0 RETURNING id) SELECT count(*) FROM d',
      'WITH d AS (DELETE FROM orders WHERE id > 1 RETURNING id) DELETE FROM orders WHERE id = 1',
      'SELECT * FROM orders WHERE id = 1 FOR UPDATE',
    ]) {
      const e = await pgError(c.query(sql));
      expect(e.code, sql).to.equal('42501');
      expect(e.message, sql).to.contain('limits-max-rows-affected');
    }
    const multi = await pgError(c.query("UPDATE orders SET status = 'x' WHERE id = 1; SELECT 1"));
    expect(multi.message).to.contain('limits-single-statement-writes');
    expect(await orders()).to.equal(4);
    // ON CONFLICT DO UPDATE and MERGE actions are the statement's own, not nested writes.
    const upsert = await c.query(
      "INSERT INTO orders (id, customer_id, amount_cents) VALUES (1, 1, 12900) ON CONFLICT (id) DO UPDATE SET status = 'new'",
    );
    expect(upsert.rowCount).to.equal(1);
  });

  it('audits the cap hit with the limit and the count', async () => {
    await pgError(c.query('DELETE FROM orders WHERE customer_id IS NOT NULL'));
    const hit = auditRecords(s).findLast((r) => r.event.action === 'statement.cap-exceeded')!;
    expect(hit.detail).to.deep.equal({ limit: 'maxRowsAffected', cap: 1, count: 4 });
    expect(hit.decisionSeq).to.be.a('number');
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(
      JSON.parse(readFileSync(new URL('../../docs/audit-schema.json', import.meta.url), 'utf8')),
    );
    for (const r of auditRecords(s))
      expect(validate(r), `seq ${r.seq}: ${JSON.stringify(validate.errors)}`).to.equal(true);
    expect(verifyAuditFile(s.auditFile).ok).to.equal(true);
  });
});

describe('runtime caps: maxRowsReturned (real PostgreSQL)', function () {
  let s: LocalStack;
  let direct: pg.Client;

  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => {
        p.spec.runtimeLimits = { maxRowsReturned: 2 };
      },
    });
    direct = await s.direct();
  });
  after(async () => {
    await direct?.end().catch(() => undefined);
    await s?.stop();
  });

  it('simple protocol: exactly 2 rows, then 54000 naming the limit; nothing past the cap is sent', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(fe.query('SELECT id FROM orders ORDER BY id'));
    const out = await raw.until('Z');
    expect(types(out)).to.equal('TDDEZ');
    expect(out[3]!.error?.code).to.equal('54000');
    expect(out[3]!.error?.message).to.contain('maxRowsReturned 2');
    expect(status(out[4])).to.equal('I');
    raw.send(fe.query('SELECT id FROM orders ORDER BY id LIMIT 2'));
    expect(types(await raw.until('Z'))).to.equal('TDDCZ');
    raw.end();
  });

  it('node-postgres: the query fails with 54000; within the cap it works', async () => {
    const c = await s.connect();
    expect((await pgError(c.query('SELECT * FROM orders'))).code).to.equal('54000');
    expect((await c.query('SELECT * FROM orders WHERE id <= $1', [2])).rows).to.have.length(2);
    await c.end();
  });

  it('extended protocol, pipelined: 2 rows then the error; the rest of the pipeline is skipped until Sync', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(
      fe.parse({ text: 'SELECT id FROM orders ORDER BY id' }),
      fe.bind({}),
      fe.execute({}),
      fe.parse({ text: 'SELECT 1' }),
      fe.bind({}),
      fe.execute({}),
      fe.sync(),
    );
    const out = await raw.until('Z');
    expect(types(out)).to.equal('12DDEZ');
    expect(out[4]!.error?.code).to.equal('54000');
    raw.end();
  });

  it('inside a transaction the error fails the transaction, as a PostgreSQL error does', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(fe.query('BEGIN'), fe.query('SELECT id FROM orders'), fe.query('SELECT 1'), fe.query('COMMIT'));
    const outs: RawMessage[][] = [];
    for (let i = 0; i < 4; i++) outs.push(await raw.until('Z'));
    expect(outs.map((o) => status(o.at(-1)))).to.deep.equal(['T', 'E', 'E', 'I']);
    expect(outs[2]![0]!.error?.code).to.equal('25P02');
    raw.end();
  });

  it('COPY … TO STDOUT: 2 rows, then the error (no CopyDone)', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(fe.query('COPY (SELECT id FROM orders ORDER BY id) TO STDOUT'));
    const out = await raw.until('Z');
    expect(types(out)).to.equal('HddEZ');
    expect(out[3]!.error?.code).to.equal('54000');
    raw.end();
  });

  it('a write whose RETURNING rows pass the cap is rolled back (autocommit)', async () => {
    const c = await s.connect();
    const e = await pgError(c.query("UPDATE orders SET status = 'returned' WHERE id > 0 RETURNING id"));
    expect(e.code).to.equal('54000');
    expect((await direct.query("SELECT count(*)::int AS n FROM orders WHERE status = 'returned'")).rows[0].n).to.equal(
      0,
    );
    await c.end();
    const hit = auditRecords(s).findLast((r) => r.event.action === 'statement.cap-exceeded')!;
    expect(hit.detail.limit).to.equal('maxRowsReturned');
  });
});

describe('runtime caps: maxStatementSeconds (real PostgreSQL)', function () {
  let s: LocalStack;

  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => {
        p.spec.runtimeLimits = { maxStatementSeconds: 1 };
        // Even where the rules allow settings changes, statement_timeout stays the policy's.
        p.spec.rules = [
          { name: 'allow-admin', when: { sql: { effects: ['admin', 'session'] } }, action: 'Allow' },
          ...(p.spec.rules ?? []),
        ];
      },
    });
  });
  after(() => s?.stop());

  it('pg_sleep(30) is cancelled with 57014 within about a second, and the hit is audited', async () => {
    const c = await s.connect();
    const t0 = Date.now();
    // 30 s against a 1 s cap: the bound between them is far from both, whatever the machine's load.
    const e = await pgError(c.query('SELECT pg_sleep(30)'));
    const took = Date.now() - t0;
    expect(e.code).to.equal('57014');
    expect(took).to.be.below(15_000);
    expect((await c.query('SELECT 1 AS one')).rows[0].one).to.equal(1);
    await c.end();
    const hit = auditRecords(s).findLast((r) => r.event.action === 'statement.cap-exceeded')!;
    expect(hit.detail).to.deep.include({ limit: 'maxStatementSeconds', cap: 1 });
  });

  it('the agent cannot change statement_timeout (SET, SET LOCAL, RESET, set_config, startup parameter)', async () => {
    const c = await s.connect();
    expect((await c.query('SHOW statement_timeout')).rows[0].statement_timeout).to.equal('1s');
    for (const sql of [
      'SET statement_timeout = 0',
      'SET SESSION statement_timeout TO 0',
      "SELECT set_config('statement_timeout', '0', false)",
      'RESET statement_timeout',
    ]) {
      const e = await pgError(c.query(sql));
      expect(e.code, sql).to.equal('42501');
      expect(e.message, sql).to.contain('limits-statement-timeout');
    }
    await c.query('BEGIN');
    expect((await pgError(c.query('SET LOCAL statement_timeout = 0'))).code).to.equal('42501');
    await c.query('ROLLBACK');
    expect((await c.query('SHOW statement_timeout')).rows[0].statement_timeout).to.equal('1s');
    await c.end();
    const raw = await RawClient.connect(s.host, s.port, await s.token(), { statement_timeout: '0' });
    const refused = await raw.drain(3000);
    expect(refused.find((m) => m.type === 'E')?.error?.code).to.equal('42501');
  });
});

describe('runtime caps: the proxy cancels a statement the server did not stop (real PostgreSQL)', function () {
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack();
  });
  after(() => s?.stop());

  it('a session opened before maxStatementSeconds was set (no statement_timeout upstream) is cancelled by the proxy', async () => {
    const c = await s.connect();
    expect((await c.query('SHOW statement_timeout')).rows[0].statement_timeout).to.equal('0');
    const p = structuredClone(s.policy);
    p.spec.runtimeLimits = { maxStatementSeconds: 1 };
    s.proxy.updatePolicy(p);
    const t0 = Date.now();
    // Cancelled a second past the 1 s cap, long before the 30 s sleep would end, whatever the load.
    const e = await pgError(c.query('SELECT pg_sleep(30)'));
    const took = Date.now() - t0;
    expect(e.code).to.equal('57014');
    expect(took).to.be.within(1500, 15_000);
    await c.end();
    const hit = auditRecords(s).findLast((r) => r.event.action === 'statement.cap-exceeded')!;
    expect(hit.message).to.contain('the proxy cancelled it');
  });
});
