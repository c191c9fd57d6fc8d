/**
 * Red-team reproduction (review10), identity: "a session whose token expires is closed at its next
 * statement" — so a session that sends no statement is never closed. After LISTEN, an expired session
 * keeps receiving NotificationResponse messages (data) indefinitely.
 * The test asserts the secure behaviour, so it FAILS on the reviewed code.
 * Run: npx mocha test/integration/review-expired-listener.test.ts
 */
import { expect } from 'chai';
import pg from 'pg';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';

describe('review10: notifications keep flowing to a session whose token has expired', function () {
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack();
  });
  after(async () => s?.stop());

  it('a LISTENing session gets a NOTIFY sent after its token expired', async () => {
    const c = new pg.Client({
      host: s.host,
      port: s.port,
      user: 'agent',
      database: 'billing',
      password: await s.token('short-lived', { ttlSeconds: 3 }),
    });
    c.on('error', () => undefined);
    await c.connect();
    const got: string[] = [];
    c.on('notification', (n) => got.push(n.payload ?? ''));
    await c.query('LISTEN feed');
    await new Promise((r) => setTimeout(r, 8000)); // token expired 5 s ago (3 s lifetime + 5 s of skew tolerance at most)
    const d = await s.direct();
    await d.query(`NOTIFY feed, 'sent after expiry'`);
    await d.end();
    await new Promise((r) => setTimeout(r, 1000));
    console.log('      received after expiry:', JSON.stringify(got));
    await c.end().catch(() => undefined);
    expect(got).to.deep.equal([]); // FAILS
  });
});
