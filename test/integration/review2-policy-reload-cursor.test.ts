/**
 * Red team (review10b): a policy update mid-session is applied "from the next statement" — prepared
 * statements and portals are decided again at Execute, but an SQL cursor is not: FETCH names no table,
 * so a WITH HOLD cursor declared before a new `tables` Deny rule keeps reading the newly denied table.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';

describe('review10b: policy update vs an open SQL cursor', function () {
  this.timeout(120_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack();
  });
  after(async () => s?.stop());

  it('FETCH from a cursor over a table the updated policy denies is refused', async () => {
    const c = await s.connect();
    await c.query('BEGIN');
    await c.query('DECLARE c CURSOR WITH HOLD FOR SELECT id, amount_cents FROM orders ORDER BY id');
    await c.query('COMMIT');
    const p = structuredClone(s.policy);
    p.spec.rules!.unshift({ name: 'no-orders', when: { sql: { tables: ['orders'] } }, action: 'Deny' } as any);
    s.proxy.updatePolicy(p);
    const direct = await c.query('SELECT id FROM orders').catch((x) => x);
    expect(direct.code).to.equal('42501'); // sanity: the new rule is in force for this session
    const r = await c.query('FETCH ALL FROM c').catch((x) => x);
    await c.end();
    console.log('      FETCH:', JSON.stringify(r.rows ?? r.message));
    expect(r.code).to.equal('42501'); // today: every row of orders
  });
});
