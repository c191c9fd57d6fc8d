/**
 * spec.protocolLimits.maxPreparedBytes against a real PostgreSQL and real clients (node-postgres named
 * statements, pipelined Parses on the raw wire, psql's SQL PREPARE): what one session's prepared
 * statements and portals make the proxy hold is bounded. Over the limit a Parse, Bind or PREPARE is
 * refused with 54000 naming the limit, audited; the session keeps working, DEALLOCATE / Close /
 * DISCARD ALL / the transaction's end free room, and other sessions are not affected.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import pg from 'pg';
import { verifyAuditFile } from '../../proxy/audit/verify.js';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { pgError } from '../support/pg-error.js';
import { fe, RawClient, type RawMessage } from '../support/raw-client.js';
import { auditRecords } from '../support/audit-records.js';

const LIMIT = 200704; // the smallest maxPreparedBytes validation accepts for maxStatementBytes 32768
/** Each statement costs about 1 KiB + 2 x 28 KB of the limit (held-bytes.ts): three fit, a fourth does not. */
const big = (n: number): string => `SELECT ${n} AS n /* ${'x'.repeat(28000)} */`;

describe('attack: prepared statements and portals held per session (maxPreparedBytes, real PostgreSQL)', function () {
  let s: LocalStack;
  let other: pg.Client;

  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => void (p.spec.protocolLimits = { maxStatementBytes: 32768, maxPreparedBytes: LIMIT }),
    });
    other = await s.connect('bystander');
  });
  after(async () => {
    await other?.end().catch(() => undefined);
    await s?.stop();
  });

  const bystanderWorks = async (): Promise<void> => {
    expect((await other.query('SELECT 41 + 1 AS answer')).rows[0].answer).to.equal(42);
  };
  const capRecords = (): Record<string, any>[] =>
    auditRecords(s).filter(
      (r) => r.event.action === 'statement.cap-exceeded' && r.detail?.limit === 'maxPreparedBytes',
    );

  it('node-postgres: a named statement over the limit is refused with 54000 naming it; the session and others keep working', async () => {
    const c = await s.connect();
    const before = capRecords().length;
    for (let i = 1; i <= 3; i++) expect((await c.query({ name: `s${i}`, text: big(i) })).rows[0].n).to.equal(i);
    const e = await pgError(c.query({ name: 's4', text: big(4) }));
    expect(e.code).to.equal('54000');
    expect(e.message).to.contain(`over the limit of ${LIMIT} bytes (spec.protocolLimits.maxPreparedBytes)`);
    expect((e as unknown as { hint?: string }).hint).to.match(/DEALLOCATE/);
    // The next statement runs, and so do the statements already prepared.
    expect((await c.query('SELECT 1 AS one')).rows[0].one).to.equal(1);
    expect((await c.query({ text: 'SELECT $1::int AS v', values: [7] })).rows[0].v).to.equal(7);
    expect((await c.query({ name: 's2', text: big(2) })).rows[0].n).to.equal(2);
    await bystanderWorks();
    // Another session has its own room.
    const d = await s.connect('second');
    expect((await d.query({ name: 's1', text: big(11) })).rows[0].n).to.equal(11);
    await d.end();
    await c.end();
    const caps = capRecords().slice(before);
    expect(caps).to.have.length(1);
    expect(caps[0]!.detail).to.include({ limit: 'maxPreparedBytes', cap: LIMIT });
    expect(caps[0]!.detail.count).to.be.greaterThan(LIMIT);
    const decisions = auditRecords(s).filter(
      (r) => r.event.action === 'statement.decision' && r.rule?.name === 'prepared-bytes-limit',
    );
    expect(decisions.at(-1)).to.deep.include({ decision: 'Deny' });
    expect(verifyAuditFile(s.auditFile).ok).to.equal(true);
  });

  const parseReplies = (ms: RawMessage[]): string[] =>
    ms.map((m) => (m.type === 'E' ? `E:${m.error?.code}` : m.type)).filter((t) => t !== 'N');

  it('raw wire: a pipeline of Parses sent before any ParseComplete cannot overshoot; Close frees room', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    const parses = Array.from({ length: 10 }, (_, i) => fe.parse({ name: `p${i}`, text: big(i) }));
    raw.send(...parses, fe.sync());
    const replies = parseReplies(await raw.until('Z'));
    // Three confirmed, the fourth refused, the rest skipped until Sync as PostgreSQL does after an error.
    expect(replies).to.deep.equal(['1', '1', '1', 'E:54000', 'Z']);
    // Closing a statement frees its room: the next Parse is accepted.
    raw.send(fe.close({ type: 'S', name: 'p0' }), fe.sync());
    expect(parseReplies(await raw.until('Z'))).to.deep.equal(['3', 'Z']);
    raw.send(fe.parse({ name: 'p9', text: big(9) }), fe.bind({ statement: 'p9' }), fe.execute(), fe.sync());
    const run = parseReplies(await raw.until('Z'));
    expect(run).to.deep.equal(['1', '2', 'D', 'C', 'Z']);
    raw.end();
    await bystanderWorks();
  });

  it('raw wire: DISCARD ALL frees every statement', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(...Array.from({ length: 4 }, (_, i) => fe.parse({ name: `d${i}`, text: big(i) })), fe.sync());
    expect(parseReplies(await raw.until('Z'))).to.deep.equal(['1', '1', '1', 'E:54000', 'Z']);
    raw.send(fe.query('DISCARD ALL'));
    expect(parseReplies(await raw.until('Z'))).to.deep.equal(['C', 'Z']);
    raw.send(...Array.from({ length: 3 }, (_, i) => fe.parse({ name: `e${i}`, text: big(i) })), fe.sync());
    expect(parseReplies(await raw.until('Z'))).to.deep.equal(['1', '1', '1', 'Z']);
    raw.end();
  });

  it('raw wire: named portals inside a transaction are bounded too, and freed when it ends', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(fe.query('BEGIN'));
    await raw.until('Z');
    raw.send(fe.parse({ name: 'q', text: 'SELECT 1 AS one' }), fe.sync());
    expect(parseReplies(await raw.until('Z'))).to.deep.equal(['1', 'Z']);
    const binds = Array.from({ length: 400 }, (_, i) => fe.bind({ portal: `c${i}`, statement: 'q' }));
    raw.send(...binds, fe.sync());
    const replies = parseReplies(await raw.until('Z'));
    expect(replies.at(-2)).to.equal('E:54000');
    const bound = replies.filter((r) => r === '2').length;
    expect(bound).to.be.greaterThan(100).and.lessThan(400);
    raw.send(fe.query('ROLLBACK'));
    await raw.until('Z');
    raw.send(fe.query('BEGIN'));
    await raw.until('Z');
    raw.send(...binds.slice(0, bound), fe.sync());
    expect(parseReplies(await raw.until('Z')).filter((r) => r === '2')).to.have.length(bound);
    raw.send(fe.query('COMMIT'));
    await raw.until('Z');
    raw.end();
  });

  it('raw wire: a described portal always keeps its column plan (not counted): every Execute masks its rows', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    // 400 result columns: a masking plan of about 45 KB, from a statement text under 1 KB.
    const wide = `SELECT 'alice@example.com' AS email${', 1'.repeat(399)}`;
    raw.send(fe.parse({ name: 'w', text: wide }), fe.sync());
    expect(parseReplies(await raw.until('Z'))).to.deep.equal(['1', 'Z']);
    raw.send(fe.query('BEGIN'));
    await raw.until('Z');
    // Three big statements fill most of the limit; the portals' plans are not counted, so nothing is dropped.
    raw.send(...[1, 2].map((i) => fe.parse({ name: `b${i}`, text: big(i) })), fe.sync());
    expect(parseReplies(await raw.until('Z'))).to.deep.equal(['1', '1', 'Z']);
    raw.send(
      ...[0, 1, 2].map((i) => fe.bind({ portal: `w${i}`, statement: 'w' })),
      ...[0, 1, 2].map((i) => fe.describe({ type: 'P', name: `w${i}` })),
      fe.sync(),
    );
    expect(parseReplies(await raw.until('Z'))).to.deep.equal(['2', '2', '2', 'T', 'T', 'T', 'Z']);
    // Each Execute after a Sync: the portals were bound apart, so the proxy checks each with the server first.
    for (const i of [0, 1, 2]) {
      raw.send(fe.execute({ portal: `w${i}`, rows: 1 }), fe.sync());
      const out = await raw.until('Z');
      expect(parseReplies(out)).to.deep.equal(['D', 's', 'Z']);
      expect(out.find((m) => m.type === 'D')!.body.toString('utf8')).to.not.contain('alice@example.com');
    }
    for (const i of [0, 1, 2]) {
      raw.send(fe.execute({ portal: `w${i}` }), fe.sync());
      const again = await raw.until('Z');
      expect(parseReplies(again)).to.deep.equal(['C', 'Z']);
    }
    raw.send(fe.query('COMMIT'));
    await raw.until('Z');
    raw.end();
  });

  it('psql: SQL PREPARE over the limit is refused; DEALLOCATE frees room and a new PREPARE then succeeds', async () => {
    const script = [
      '\\set VERBOSITY verbose',
      ...[1, 2, 3, 4].map((i) => `PREPARE a${i} AS ${big(i)};`),
      'SELECT 42 AS answer;',
      'DEALLOCATE a1;',
      `PREPARE a4 AS ${big(4)};`,
      'EXECUTE a4;',
    ].join('\n');
    const conn = `host=${s.host} port=${s.port} user=agent dbname=billing sslmode=disable`;
    const child = execFile('psql', [conn, '-X', '-A', '-t'], {
      env: { ...process.env, PGPASSWORD: await s.token('psql-agent') },
    });
    child.stdin!.end(script);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    await new Promise((r) => child.on('close', r));
    const errors = stderr.split('\n').filter((l) => l.startsWith('ERROR'));
    expect(errors, stderr).to.have.length(1);
    expect(errors[0]).to.match(/54000: agentgate: .*spec\.protocolLimits\.maxPreparedBytes/);
    expect(stdout.split('\n').filter(Boolean)).to.deep.equal([
      'PREPARE',
      'PREPARE',
      'PREPARE',
      '42',
      'DEALLOCATE',
      'PREPARE',
      '4',
    ]);
    await bystanderWorks();
  });
});
