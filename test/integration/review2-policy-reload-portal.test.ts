/**
 * Red team (review10b): a column rule added by a policy update mid-session does not reach a portal
 * described before the update: its masking plan was computed under the old policy and is reused by
 * every later Execute (also a portal suspended by an Execute row limit and resumed after the update).
 * Asserts the secure behaviour (the new rule masks every row sent after the update).
 */
import { expect } from 'chai';
import { serialize } from 'pg-protocol';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { RawClient } from '../support/raw-client.js';

const NOTES = 'prefers invoices by mail';

describe('review10b: policy update mid-session vs a described portal', function () {
  this.timeout(120_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack();
  });
  after(async () => s?.stop());

  it('Describe(portal) before a new notes rule, Execute after it', async () => {
    const r = await RawClient.connect(s.host, s.port, await s.token('raw'));
    r.send(serialize.query('BEGIN'));
    await r.until('Z');
    r.send(
      serialize.parse({
        name: 'q',
        text: 'SELECT id, notes, upper(notes) AS u FROM customers WHERE id IN (1, 2) ORDER BY id',
      }),
      serialize.bind({ statement: 'q', portal: 'p' }),
      serialize.describe({ type: 'P', name: 'p' }),
      serialize.execute({ portal: 'p', rows: 1 }),
      serialize.sync(),
    );
    const first = await r.until('Z');
    expect(first.map((m) => m.type)).to.include('s'); // PortalSuspended: one row sent under the old policy
    // The admin adds a column rule for notes (incident response): "running sessions apply it from their next statement".
    const p = structuredClone(s.policy);
    p.spec.masking!.columns!.push({ name: 'notes', strategy: 'redact' });
    s.proxy.updatePolicy(p);
    r.send(serialize.execute({ portal: 'p', rows: 0 }), serialize.sync());
    const rest = await r.until('Z');
    const rows = rest.filter((m) => m.type === 'D').map((m) => m.body.toString('utf8'));
    r.end();
    console.log('      rows after the update:', rows.map((x) => JSON.stringify(x)).join(' | '));
    expect(rows.join(' ')).to.not.contain(NOTES);
    expect(rows.join(' ')).to.not.contain(NOTES.toUpperCase());
  });
});
