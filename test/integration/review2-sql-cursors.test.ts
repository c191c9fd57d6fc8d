/**
 * SQL cursors are followed by name: FETCH/MOVE decide the cursor's query again under the current policy,
 * a cursor the proxy did not see declared (or that is gone) cannot be read, and DECLARE + FETCH in one
 * Query still works. Protocol portals described before a policy change are described again at Execute.
 */
import { expect } from 'chai';
import type pg from 'pg';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';

describe('review2: SQL cursors decided under the current policy', function () {
  this.timeout(120_000);
  let s: LocalStack;
  let c: pg.Client;
  beforeEach(async () => {
    s = await startLocalStack();
    c = await s.connect();
  });
  afterEach(async () => {
    await c?.end().catch(() => undefined);
    await s?.stop();
  });

  const denyOrders = (): void => {
    const p = structuredClone(s.policy);
    p.spec.rules!.unshift({ name: 'no-orders', when: { sql: { tables: ['orders'] } }, action: 'Deny' } as never);
    s.proxy.updatePolicy(p);
  };

  it('DECLARE and FETCH in one Query, and FETCH/MOVE of a known cursor, are allowed', async () => {
    const r = (await c.query(
      'BEGIN; DECLARE c CURSOR FOR SELECT id FROM orders ORDER BY id; FETCH 1 FROM c',
    )) as unknown as pg.QueryResult[];
    expect(r[2]!.rows).to.have.length(1);
    expect((await c.query('MOVE 1 IN c')).command).to.equal('MOVE');
    expect((await c.query('FETCH 1 FROM c')).rows).to.have.length(1);
    await c.query('COMMIT');
  });

  it('MOVE in a cursor over a table a new rule denies is refused (its tag counts rows)', async () => {
    await c.query('BEGIN');
    await c.query('DECLARE m CURSOR FOR SELECT id FROM orders');
    denyOrders();
    const e = await c.query('MOVE ALL IN m').catch((x) => x);
    expect(e.code).to.equal('42501');
    expect(e.message).to.contain('no-orders');
  });

  it('a cursor never declared through the proxy, closed, or gone with its transaction cannot be read', async () => {
    const unknown = await c.query('FETCH ALL FROM nosuch').catch((x) => x);
    expect(unknown.code).to.equal('42501');
    expect(unknown.message).to.contain('not declared through agentgate');
    await c.query('BEGIN; DECLARE k CURSOR FOR SELECT 1; DECLARE h CURSOR WITH HOLD FOR SELECT 2 AS two; COMMIT');
    const gone = await c.query('FETCH ALL FROM k').catch((x) => x);
    expect(gone.code).to.equal('42501');
    expect((await c.query('FETCH ALL FROM h')).rows).to.have.length(1);
    await c.query('CLOSE h');
    expect((await c.query('FETCH ALL FROM h').catch((x) => x)).code).to.equal('42501');
  });
});
