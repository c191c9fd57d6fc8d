/**
 * A denial inside a transaction behaves as a PostgreSQL error, in the server itself: ReadyForQuery 'E',
 * 25P02 for later statements until ROLLBACK, and COMMIT rolls back what ran before the denial.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import type pg from 'pg';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { pgError } from '../support/pg-error.js';
import { fe, RawClient, type RawMessage } from '../support/raw-client.js';

const status = (z: RawMessage | undefined): string => String.fromCharCode(z!.body[0]!);
const tags = (ms: RawMessage[]): string[] =>
  ms.filter((m) => m.type === 'C').map((m) => m.body.toString('utf8', 0, m.body.length - 1));

describe('attack: denial inside a transaction (real PostgreSQL)', function () {
  let s: LocalStack;
  let direct: pg.Client;
  let marker = 0;
  const nextMarker = (): number => 7_000_000 + ++marker;
  const rowsWith = async (amount: number): Promise<number> =>
    (await direct.query('SELECT count(*)::int AS n FROM orders WHERE amount_cents = $1', [amount])).rows[0].n;

  before(async () => {
    s = await startLocalStack();
    direct = await s.direct();
  });
  after(async () => {
    await direct?.end().catch(() => undefined);
    await s?.stop();
  });

  it('node-postgres: after a denial the transaction is failed in the server (25P02) and COMMIT rolls back', async () => {
    const amount = nextMarker();
    const c = await s.connect();
    try {
      await c.query('BEGIN');
      await c.query(`INSERT INTO orders (customer_id, amount_cents) VALUES (1, ${amount})`);
      const denied = await pgError(c.query('DROP TABLE orders'));
      expect(denied.code).to.equal('42501');
      expect(denied.message).to.contain('no-ddl');
      const next = await pgError(c.query('SELECT 1'));
      expect(next.code).to.equal('25P02');
      const commit = await c.query('COMMIT');
      expect(commit.command).to.equal('ROLLBACK');
      expect(await rowsWith(amount)).to.equal(0);
      // The session is usable again after the rollback.
      expect((await c.query('SELECT 1 AS one')).rows[0].one).to.equal(1);
    } finally {
      await c.end();
    }
  });

  it('raw simple protocol: ReadyForQuery is E after the denial; a denied statement in the failed transaction still gets the denial', async () => {
    const amount = nextMarker();
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(fe.query('BEGIN'));
    expect(status((await raw.until('Z')).at(-1))).to.equal('T');
    raw.send(fe.query(`INSERT INTO orders (customer_id, amount_cents) VALUES (1, ${amount})`));
    expect(status((await raw.until('Z')).at(-1))).to.equal('T');
    raw.send(fe.query('TRUNCATE orders'));
    const denied = await raw.until('Z');
    expect(denied.map((m) => m.type)).to.deep.equal(['E', 'Z']);
    expect(denied[0]!.error?.code).to.equal('42501');
    expect(status(denied[1])).to.equal('E');
    raw.send(fe.query('DROP TABLE orders'));
    const again = await raw.until('Z');
    expect(again[0]!.error?.code).to.equal('42501');
    expect(status(again.at(-1))).to.equal('E');
    raw.send(fe.query('SELECT 1'));
    const failed = await raw.until('Z');
    expect(failed[0]!.error?.code).to.equal('25P02');
    raw.send(fe.query('COMMIT'));
    const end = await raw.until('Z');
    expect(tags(end)).to.deep.equal(['ROLLBACK']);
    expect(status(end.at(-1))).to.equal('I');
    raw.end();
    expect(await rowsWith(amount)).to.equal(0);
  });

  it('pipelined simple queries: the denial aborts the transaction even before BEGIN has been answered', async () => {
    const amount = nextMarker();
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(
      fe.query('BEGIN'),
      fe.query(`INSERT INTO orders (customer_id, amount_cents) VALUES (1, ${amount})`),
      fe.query('DROP TABLE orders'),
      fe.query('SELECT 1'),
      fe.query('COMMIT'),
    );
    const out: RawMessage[] = [];
    for (let i = 0; i < 5; i++) out.push(...(await raw.until('Z')));
    expect(out.filter((m) => m.type === 'Z').map(status)).to.deep.equal(['T', 'T', 'E', 'E', 'I']);
    expect(out.filter((m) => m.type === 'E').map((m) => m.error?.code)).to.deep.equal(['42501', '25P02']);
    expect(tags(out)).to.deep.equal(['BEGIN', 'INSERT 0 1', 'ROLLBACK']);
    raw.end();
    expect(await rowsWith(amount)).to.equal(0);
  });

  it('extended protocol: a denial at Parse inside BEGIN fails the transaction; COMMIT rolls back', async () => {
    const amount = nextMarker();
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(fe.query('BEGIN'));
    await raw.until('Z');
    raw.send(
      fe.parse({ text: 'INSERT INTO orders (customer_id, amount_cents) VALUES (1, $1)' }),
      fe.bind({ values: [String(amount)] }),
      fe.execute({}),
      fe.sync(),
    );
    const ins = await raw.until('Z');
    expect(tags(ins)).to.deep.equal(['INSERT 0 1']);
    raw.send(fe.parse({ text: 'DELETE FROM orders' }), fe.bind({}), fe.execute({}), fe.sync());
    const denied = await raw.until('Z');
    expect(denied.map((m) => m.type)).to.deep.equal(['E', 'Z']);
    expect(denied[0]!.error?.code).to.equal('42501');
    expect(status(denied[1])).to.equal('E');
    raw.send(fe.parse({ text: 'SELECT 1' }), fe.bind({}), fe.execute({}), fe.sync());
    const failed = await raw.until('Z');
    expect(failed[0]!.error?.code).to.equal('25P02');
    expect(status(failed.at(-1))).to.equal('E');
    raw.send(fe.query('COMMIT'));
    expect(tags(await raw.until('Z'))).to.deep.equal(['ROLLBACK']);
    raw.end();
    expect(await rowsWith(amount)).to.equal(0);
  });

  it('extended protocol without BEGIN: a denial later in the same pipeline rolls back the implicit transaction', async () => {
    const amount = nextMarker();
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(
      fe.parse({ text: 'INSERT INTO orders (customer_id, amount_cents) VALUES (1, $1)' }),
      fe.bind({ values: [String(amount)] }),
      fe.execute({}),
      fe.parse({ text: 'DROP TABLE orders' }),
      fe.bind({}),
      fe.execute({}),
      fe.sync(),
    );
    const out = await raw.until('Z');
    expect(out.map((m) => m.type)).to.deep.equal(['1', '2', 'C', 'E', 'Z']);
    expect(out[3]!.error?.code).to.equal('42501');
    expect(status(out[4])).to.equal('I');
    raw.send(fe.query('SELECT 1'));
    expect(status((await raw.until('Z')).at(-1))).to.equal('I');
    raw.end();
    expect(await rowsWith(amount)).to.equal(0);
  });

  it('a refused Bind (statement refused at Parse) inside BEGIN fails the transaction too', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(fe.query('BEGIN'), fe.parse({ name: 'bad', text: 'TRUNCATE orders' }), fe.sync());
    await raw.until('Z');
    const parsed = await raw.until('Z');
    expect(parsed[0]!.error?.code).to.equal('42501');
    expect(status(parsed.at(-1))).to.equal('E');
    raw.send(fe.query('ROLLBACK'), fe.query('BEGIN'), fe.bind({ statement: 'bad' }), fe.execute({}), fe.sync());
    await raw.until('Z');
    await raw.until('Z');
    const bound = await raw.until('Z');
    expect(bound[0]!.error?.code).to.equal('26000');
    expect(status(bound.at(-1))).to.equal('E');
    raw.end();
  });

  it('psql script: the denial fails the transaction, psql reports the aborted transaction and COMMIT rolls back', async () => {
    const amount = nextMarker();
    const env = { ...process.env, PGPASSWORD: await s.token('psql-agent') };
    const conn = `host=${s.host} port=${s.port} user=agent dbname=billing sslmode=disable`;
    const script = `BEGIN;\nINSERT INTO orders (customer_id, amount_cents) VALUES (1, ${amount});\nDROP TABLE orders;\nSELECT 1;\nCOMMIT;\n`;
    const { stdout, stderr } = await promisify(execFile)('bash', ['-c', `printf '%s' "$SCRIPT" | psql "${conn}" -X`], {
      env: { ...env, SCRIPT: script },
    });
    expect(stderr).to.contain('no-ddl').and.contain('current transaction is aborted');
    expect(stdout.trim().split('\n').at(-1)).to.equal('ROLLBACK');
    expect(await rowsWith(amount)).to.equal(0);
  });

  it('a Query sent in the middle of COPY FROM STDIN ends the session instead of desynchronizing it', async () => {
    const amount = nextMarker();
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(fe.query('BEGIN'));
    await raw.until('Z');
    raw.send(fe.query('COPY orders (customer_id, amount_cents) FROM STDIN'));
    expect((await raw.next()).type).to.equal('G');
    raw.send(fe.copyData(Buffer.from(`1\t${amount}\n`)), fe.query('DROP TABLE orders'));
    const out = await raw.drain(3000);
    expect(out.find((m) => m.type === 'E')?.error?.message).to.contain('during COPY from STDIN');
    expect(raw.closed).to.equal(true);
    expect(await rowsWith(amount)).to.equal(0);
  });

  it('audit: the statement the server then rejects with 25P02 is a failed completion', async () => {
    const c = await s.connect();
    await c.query('BEGIN');
    await pgError(c.query('DROP TABLE customers'));
    await pgError(c.query('SELECT 4242 AS after_denial'));
    await c.query('ROLLBACK');
    await c.end();
    s.proxy.audit.flush();
    const recs = readFileSync(s.auditFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const d = recs.findLast(
      (r) => r.event.action === 'statement.decision' && r.db?.query?.text?.includes('after_denial'),
    );
    expect(d.decision).to.equal('Allow');
    const done = recs.find((r) => r.event.action === 'statement.completion' && r.decisionSeq === d.seq);
    expect(done.event.outcome).to.equal('failure');
    expect(done.error.code).to.equal('25P02');
  });
});
