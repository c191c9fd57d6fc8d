/**
 * Review round 2 of names keyed by their first 63 bytes (protocol.ts Reader.objectName): a protocol name
 * whose 63rd byte falls inside a UTF-8 character was kept by the proxy as its decodable prefix, a NUL and the
 * cut bytes in hex, and sent back to the server as if it were the name — in the Describe it inserts before an
 * Execute (08P01, the legitimate Execute failed) and as the parameter of its pg_cursors check (which then
 * failed inside the agent's transaction). Such a name is now refused where it first appears (42602), clearly,
 * and the session goes on.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { rawPerTest } from '../support/vetted-functions.js';
import { fe, type RawMessage, messageKinds } from '../support/raw-client.js';

const kinds = (ms: RawMessage[]): string[] => messageKinds(ms, { codes: true });
// 32 two-byte characters: 64 bytes, the 63rd byte is the first half of the last character.
const PORTAL = 'é'.repeat(32);

describe('review stale 2: a portal name cut inside a character at byte 63 (real PostgreSQL)', function () {
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack();
  });
  after(async () => s?.stop());
  const { raw } = rawPerTest(() => s);

  it('a Bind to such a name is refused with 42602 naming the cut; the transaction and the session go on', async () => {
    raw().send(fe.query('BEGIN'));
    await raw().until('Z');
    raw().send(
      fe.parse({ name: 'ln2_s', text: 'SELECT amount_cents FROM orders ORDER BY id' }),
      fe.bind({ portal: PORTAL, statement: 'ln2_s' }),
      fe.describe({ type: 'P', name: PORTAL }),
      fe.sync(),
    );
    const out = await raw().until('Z');
    expect(kinds(out)).to.deep.equal(['1', 'E:42602', 'Z']);
    expect(out.find((m) => m.type === 'E')!.error!.message).to.contain('must not cut a character at byte 63');
    raw().send(fe.query('ROLLBACK'));
    await raw().until('Z');
    raw().send(fe.parse({ text: 'SELECT 1 AS one' }), fe.bind({}), fe.execute({}), fe.sync());
    expect(kinds(await raw().until('Z'))).to.deep.equal(['1', '2', 'D', 'C', 'Z']);
  });

  it('an Execute, Describe or Close of such a name is refused the same way', async () => {
    for (const m of [
      fe.execute({ portal: PORTAL }),
      fe.describe({ type: 'P', name: PORTAL }),
      fe.close({ type: 'P', name: PORTAL }),
    ]) {
      raw().send(m, fe.sync());
      expect(kinds(await raw().until('Z'))).to.deep.equal(['E:42602', 'Z']);
    }
  });
});
