/**
 * Review round 3: one pg_cursors check scans every portal of the session (server-cursor-check.ts), and
 * pg_cursors.statement of a cursor declared in a multi-statement simple Query is the whole text of that
 * Query. N DECLAREs in one Query held N copies of an N-statement text: each check — one per stale read, a
 * few bytes from the agent — made the database materialise N × (N × ~60 bytes) of text. Measured before the
 * fix: 13 ms a check with 300 cursors, 917 ms with 2400 (~360 MB per check). Each cursor now counts the text
 * that declared it toward maxPreparedBytes, so what one check reads is bounded by the limit: the 2400-cursor
 * Query is refused (54000), the session goes on, and the cursors that fit are checked as before.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { fe, RawClient, type RawMessage, messageKinds } from '../support/raw-client.js';

const kinds = (ms: RawMessage[]): string[] => messageKinds(ms, { codes: true, notices: false });
const declares = (n: number): string =>
  Array.from({ length: n }, (_, i) => `DECLARE cost_${i} CURSOR FOR SELECT g AS n FROM generate_series(1, 9) g`).join(
    '; ',
  );

describe('review stale 3: what the cursors of one Query make each check read is bounded (real PostgreSQL)', function () {
  this.timeout(120_000);
  let s: LocalStack;
  let raw: RawClient;
  before(async () => {
    s = await startLocalStack();
    raw = await RawClient.connect(s.host, s.port, await s.token());
  });
  after(async () => {
    raw?.end();
    await s?.stop();
  });
  const query = async (sql: string): Promise<RawMessage[]> => {
    raw.send(fe.query(sql));
    return raw.until('Z', 60_000);
  };

  it('2400 cursors declared by one Query (each holding its 170 KB text) are refused with 54000; 300 are held and checked', async () => {
    await query('BEGIN');
    const refused = await query(declares(2400));
    expect(kinds(refused)).to.deep.equal(['E:54000', 'Z']);
    expect(refused.find((m) => m.type === 'E')!.error!.message).to.contain('maxPreparedBytes');
    await query('ROLLBACK');
    await query('BEGIN');
    expect(kinds(await query(declares(300)))).to.not.include('E:54000');
    await query('SELECT 1 AS one');
    expect(kinds(await query('FETCH 1 FROM cost_0'))).to.deep.equal(['T', 'D', 'C', 'Z']);
    await query('ROLLBACK');
  });
});
