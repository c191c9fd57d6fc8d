/**
 * Review round 2 of the creation-time baselines (name-baselines.ts): at the first message of a batch, names
 * made before it and not yet recorded are recorded by the proxy's own pg_cursors check (session.ts, the top
 * of onClientMessage), and the message is handled again once the check is answered. When the check fails —
 * the agent's transaction is aborted (25P02), so every query in it fails — nothing is recorded, the name
 * stays due, and the message handled again sends the check again: forever (measured: ~12 600 checks a second,
 * one database backend and the proxy's event loop busy until the agent disconnects). The session never answers.
 * JDBC does exactly this: a named portal (fetchSize), a statement that fails, then ROLLBACK sent as
 * Parse/Bind/Execute/Sync.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { rawPerTest } from '../support/vetted-functions.js';
import { fe, type RawMessage, messageKinds } from '../support/raw-client.js';

const kinds = (ms: RawMessage[]): string[] => messageKinds(ms, { codes: true });

describe('review stale 2: a failed recording check at a batch boundary (real PostgreSQL)', function () {
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack();
  });
  after(async () => s?.stop());
  const { raw } = rawPerTest(() => s);

  it('JDBC-like: a named portal fails inside a transaction; the extended-protocol ROLLBACK is answered', async () => {
    raw().send(fe.parse({ name: '', text: 'BEGIN' }), fe.bind({}), fe.execute({}), fe.sync());
    expect(kinds(await raw().until('Z'))).to.deep.equal(['1', '2', 'C', 'Z']);
    raw().send(
      fe.parse({ name: 'S_1', text: 'SELECT 1 / (amount_cents - amount_cents) AS x FROM orders' }),
      fe.bind({ portal: 'C_1', statement: 'S_1' }),
      fe.describe({ type: 'P', name: 'C_1' }),
      fe.execute({ portal: 'C_1', rows: 10 }),
      fe.sync(),
    );
    expect(kinds(await raw().until('Z'))).to.deep.equal(['1', '2', 'T', 'E:22012', 'Z']);
    raw().send(fe.parse({ name: '', text: 'ROLLBACK' }), fe.bind({}), fe.execute({}), fe.sync());
    const rollback = await raw().until('Z', 5000);
    expect(kinds(rollback)).to.deep.equal(['1', '2', 'C', 'Z']);
    raw().send(fe.query('SELECT 1 AS one'));
    expect(kinds(await raw().until('Z', 5000))).to.deep.equal(['T', 'D', 'C', 'Z']);
  });
});
