/**
 * Review round 3: the pg_cursors check is Parse (a named statement of the proxy's, one name for the whole
 * session), Bind, Execute, Close, Sync. When it fails after its Parse — the agent's statement_timeout fires
 * while pg_cursors is materialised — PostgreSQL skips the rest up to Sync, Close included: the proxy's
 * statement stays prepared, and every later check of the session fails at its Parse (42P05, already
 * exists). Each failing check also aborts the agent's transaction with an error the agent never sees: seen,
 * the recording check a new cursor's next batch sends fails, and that batch's own `SELECT 1` is answered
 * 25P02 (current transaction is aborted). From then on, the session cannot use a cursor across two batches
 * of a transaction, and the stale reads are all refused; nothing the agent can do restores it.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { rawPerTest } from '../support/vetted-functions.js';
import { firstColumns, type RawMessage, messageKinds } from '../support/raw-client.js';

const kinds = (ms: RawMessage[]): string[] => messageKinds(ms, { codes: true, notices: false });

describe('review stale 3: a check that fails after its Parse (real PostgreSQL)', function () {
  this.timeout(120_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack();
  });
  after(async () => s?.stop());
  const { query } = rawPerTest(() => s, { timeoutMs: 60_000 });

  it('a check cut by statement_timeout: after ROLLBACK and RESET, a FETCH after another statement is answered', async () => {
    await query('BEGIN');
    // Many cursors make the check slow enough for a short timeout: as many as maxPreparedBytes holds, each
    // with the whole Query's text (review-stale3-check-text-cost), ~30 MB for the check to read.
    const declares = Array.from({ length: 700 }, (_, i) => `DECLARE slow_${i} CURSOR FOR SELECT ${i} AS n`).join('; ');
    expect(kinds(await query(declares))).to.not.include('E:54000');
    expect(kinds(await query("SET statement_timeout = '10ms'"))).to.deep.equal(['C', 'Z']);
    await query('SELECT 1 AS one');
    await query('FETCH 1 FROM slow_0'); // its check times out: refused, whatever the proxy says
    await query('ROLLBACK');
    expect(kinds(await query('RESET statement_timeout'))).to.deep.equal(['C', 'Z']);

    await query('BEGIN');
    expect(kinds(await query('DECLARE after CURSOR FOR SELECT 42 AS n'))).to.deep.equal(['C', 'Z']);
    expect(kinds(await query('SELECT 1 AS one'))).to.deep.equal(['T', 'D', 'C', 'Z']);
    const r = await query('FETCH 1 FROM after');
    await query('ROLLBACK');
    expect(kinds(r), JSON.stringify(r.filter((m) => m.type === 'E').map((m) => m.error?.message))).to.deep.equal([
      'T',
      'D',
      'C',
      'Z',
    ]);
    expect(firstColumns(r)).to.have.length(1); // its value masked as the example policy masks constants
  });
});
