/**
 * A session ends at its token's exp, not at its next statement (review10 finding 9): an idle
 * transaction is rolled back (its locks released) and the agent is told why.
 */
import { expect } from 'chai';
import pg from 'pg';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { auditRecords } from '../support/audit-records.js';
import { eventually, nextEvent } from '../support/eventually.js';

describe('attack: a session outliving its token', function () {
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack();
  });
  after(async () => s?.stop());

  it("an idle transaction is closed and rolled back at the token's exp", async () => {
    // Connected before the token is minted: its 1-2 s to exp are left to the session under test.
    const d = await s.direct();
    const c = new pg.Client({
      host: s.host,
      port: s.port,
      user: 'agent',
      database: 'billing',
      password: await s.token('idle-in-tx', { ttlSeconds: 2 }),
    });
    const closed: { code?: string; message: string }[] = [];
    c.on('error', (e) => closed.push(e as { code?: string; message: string }));
    const ended = nextEvent(c, 'error', 'the session closed at its token expiry');
    await c.connect();
    await c.query('BEGIN');
    await c.query('SELECT * FROM orders WHERE id = 1 FOR UPDATE');
    const idleInTx = async (): Promise<number> =>
      (
        await d.query(
          `SELECT count(*)::int n FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()`,
        )
      ).rows[0].n;
    expect(await idleInTx()).to.equal(1);
    await ended;
    // The backend ends its transaction once it sees its client gone, a moment after the proxy closed it.
    await eventually('the idle transaction rolled back', async () => (await idleInTx()) === 0);
    await d.end();
    expect(closed[0]?.code).to.equal('28000');
    const rejected = auditRecords(s).filter(
      (r) => r.event.action === 'identity.rejected' && /token expired during the session/.test(r.message ?? ''),
    );
    expect(rejected).to.have.length(1);
    await c.end().catch(() => undefined);
  });
});
