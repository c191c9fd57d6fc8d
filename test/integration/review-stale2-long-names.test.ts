/**
 * Review round 2 of names keyed by their first 63 bytes (protocol.ts Reader.objectName): a protocol name
 * whose 63rd byte falls inside a UTF-8 character is kept by the proxy as its decodable prefix, a NUL and the
 * cut bytes in hex. The proxy then sends that key back to the server as if it were the name:
 * - in the Describe it inserts before an Execute (masking needs the columns): the NUL ends the name early,
 *   the server answers 08P01 (invalid message format) and the legitimate Execute fails;
 * - as the text parameter of its own pg_cursors check (server-cursor-check.ts), sent at the first batch
 *   boundary after the portal was bound (name-baselines.ts): a NUL is no valid text, the check fails inside
 *   the agent's transaction (aborting it) and, the name staying due, is sent again and again: the session
 *   never answers (see review-stale2-failed-recording).
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { fe, RawClient, type RawMessage } from '../support/raw-client.js';

const kinds = (ms: RawMessage[]): string[] => ms.map((m) => (m.type === 'E' ? `E:${m.error?.code}` : m.type));
// 32 two-byte characters: 64 bytes, the 63rd byte is the first half of the last character.
const PORTAL = 'é'.repeat(32);

describe('review stale 2: a portal name cut inside a character at byte 63 (real PostgreSQL)', function () {
  let s: LocalStack;
  let raw: RawClient;
  before(async () => {
    s = await startLocalStack();
  });
  after(async () => s?.stop());
  beforeEach(async () => {
    raw = await RawClient.connect(s.host, s.port, await s.token());
  });
  afterEach(() => raw?.end());

  it('a JDBC-like fetch through such a portal, then another statement: the transaction is not aborted by the proxy', async () => {
    raw.send(fe.query('BEGIN'));
    await raw.until('Z');
    raw.send(
      fe.parse({ name: 'ln2_s', text: 'SELECT amount_cents FROM orders ORDER BY id' }),
      fe.bind({ portal: PORTAL, statement: 'ln2_s' }),
      fe.describe({ type: 'P', name: PORTAL }),
      fe.sync(),
    );
    expect(kinds(await raw.until('Z'))).to.deep.equal(['1', '2', 'T', 'Z']);
    raw.send(fe.execute({ portal: PORTAL, rows: 1 }), fe.sync());
    expect(kinds(await raw.until('Z'))).to.deep.equal(['D', 's', 'Z']);
    raw.send(fe.parse({ name: '', text: 'SELECT 1 AS one' }), fe.bind({}), fe.execute({}), fe.sync());
    const other = await raw.until('Z');
    raw.send(fe.execute({ portal: PORTAL, rows: 1 }), fe.sync());
    const resumed = await raw.until('Z');
    raw.send(fe.query('COMMIT'));
    const commit = await raw.until('Z');
    expect(kinds(other)).to.deep.equal(['1', '2', 'T', 'D', 'C', 'Z']);
    expect(kinds(resumed)).to.not.include('E:25P02');
    expect(commit.find((m) => m.type === 'C')?.body.toString()).to.contain('COMMIT');
  });

  it('Execute of such a portal without a Describe of its own (masking on): the rows come back', async () => {
    raw.send(fe.query('BEGIN'));
    await raw.until('Z');
    raw.send(
      fe.parse({ name: 'ln2_t', text: 'SELECT amount_cents FROM orders ORDER BY id' }),
      fe.bind({ portal: PORTAL, statement: 'ln2_t' }),
      fe.execute({ portal: PORTAL, rows: 1 }),
      fe.sync(),
    );
    const out = await raw.until('Z');
    raw.send(fe.query('ROLLBACK'));
    await raw.until('Z');
    // The proxy's own Describe must name the portal the server holds (today: its key, with a NUL: 08P01).
    expect(kinds(out)).to.deep.equal(['1', '2', 'D', 's', 'Z']);
  });
});
