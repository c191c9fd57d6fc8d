/**
 * Review of spec.protocolLimits.maxPreparedBytes (held-bytes.ts, server-objects.ts): does the count the
 * limit is checked against follow what the proxy really holds, and what the server really has?
 * Real PostgreSQL, node-postgres and exact wire sequences through the raw client.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { auditRecords } from '../support/audit-records.js';
import { pgError } from '../support/pg-error.js';
import { fe, RawClient, type RawMessage, messageKinds } from '../support/raw-client.js';

const LIMIT = 200704; // the smallest maxPreparedBytes validation accepts for maxStatementBytes 32768
/** A statement text under 4096 characters: counted at 1 KiB + 8 x its length (about 32 KB of the limit). */
const bulky = (n: number): string => `SELECT ${n} AS n /* ${'x'.repeat(3950)} */`;
/** A cursor query counted at about 1 KiB + 2 x 28 KB: three fit in the limit, a fourth does not. */
const big = (n: number): string => `SELECT ${n} AS n /* ${'x'.repeat(28000)} */`;

const kinds = (ms: RawMessage[]): string[] => messageKinds(ms, { codes: true, notices: false });

describe('review maxPreparedBytes: accounting of held bytes', function () {
  let s: LocalStack;

  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => void (p.spec.protocolLimits = { maxStatementBytes: 32768, maxPreparedBytes: LIMIT }),
    });
  });
  after(async () => s?.stop());

  const capRecords = (): Record<string, any>[] =>
    auditRecords(s).filter(
      (r) => r.event.action === 'statement.cap-exceeded' && r.detail?.limit === 'maxPreparedBytes',
    );

  it('a pipeline of unnamed Parses is held in full while pending (each checked only as a replacement): the proxy holds many times the limit', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(fe.parse({ name: 'sl', text: 'SELECT pg_sleep(0.3) AS slept' }), fe.sync());
    expect(kinds(await raw.until('Z'))).to.deep.equal(['1', 'Z']);
    const before = capRecords().length;
    // While the server sleeps, 20 unnamed Parses of ~32 KB each are read, accepted and held pending.
    raw.send(
      fe.bind({ portal: '', statement: 'sl' }),
      fe.execute(),
      ...Array.from({ length: 20 }, (_, i) => fe.parse({ text: bulky(i) })),
      fe.parse({ name: 'small', text: 'SELECT 1 AS one' }),
      fe.sync(),
    );
    const replies = kinds(await raw.until('Z'));
    raw.end();
    const caps = capRecords().slice(before);
    // What the proxy counted as held when it decided the last Parse: never above the limit.
    for (const c of caps) expect(c.detail.held, 'bytes counted as held').to.be.at.most(LIMIT);
    // Each pending unnamed Parse is checked at full size (the one it replaces is freed only when the server
    // confirms): the pipeline is refused conservatively once the pending ones reach the limit.
    expect(replies.filter((r) => r.startsWith('E'))).to.deep.equal(['E:54000']);
    expect(caps).to.have.length(1);
  });

  it('a WITH HOLD cursor declared in a transaction that rolls back is gone in PostgreSQL, but stays counted: DECLARE is refused with nothing held', async () => {
    const c = await s.connect();
    try {
      // Three cursors of ~39 KB each, each in a transaction that rolls back.
      for (let i = 1; i <= 3; i++) {
        await c.query('BEGIN');
        await c.query(`DECLARE h${i} CURSOR WITH HOLD FOR ${big(i)}`);
        await c.query('ROLLBACK');
      }
      // PostgreSQL dropped every one of them with its transaction.
      expect((await c.query('SELECT count(*)::int AS n FROM pg_cursors')).rows[0].n).to.equal(0);
      // A session that holds nothing can declare one cursor.
      await c.query('BEGIN');
      const r = await c.query(`DECLARE fresh CURSOR FOR ${big(5)}`).then(
        () => 'declared',
        (e: { code?: string }) => `refused ${e.code}`,
      );
      await c.query('ROLLBACK');
      expect(r).to.equal('declared');
    } finally {
      await c.end();
    }
  });

  it('cursors declared in a subtransaction rolled back (ROLLBACK TO SAVEPOINT) are gone in PostgreSQL, but stay counted until the transaction ends', async () => {
    const c = await s.connect();
    try {
      await c.query('BEGIN');
      for (let i = 1; i <= 3; i++) {
        await c.query('SAVEPOINT sp');
        await c.query(`DECLARE k${i} CURSOR FOR ${big(i)}`);
        await c.query('ROLLBACK TO SAVEPOINT sp');
      }
      expect((await c.query('SELECT count(*)::int AS n FROM pg_cursors')).rows[0].n).to.equal(0);
      const r = await c.query(`DECLARE fresh CURSOR FOR ${big(5)}`).then(
        () => 'declared',
        (e: { code?: string }) => `refused ${e.code}`,
      );
      await c.query('ROLLBACK');
      expect(r).to.equal('declared');
    } finally {
      await c.end();
    }
  });

  it('DEALLOCATE then PREPARE of the same name in one Query is refused though it frees what it needs', async () => {
    const c = await s.connect();
    try {
      await c.query(`PREPARE a AS ${big(1)}`);
      await c.query(`PREPARE b AS ${big(2)}`);
      await c.query(`PREPARE d AS ${big(3)}`);
      // Replacing `a` by a statement of the same size leaves the session holding what it held.
      const e = await pgError(c.query(`DEALLOCATE a; PREPARE a AS ${big(4)}`)).catch(() => undefined);
      expect(e?.code, e?.message).to.equal(undefined);
    } finally {
      await c.end();
    }
  });
});
