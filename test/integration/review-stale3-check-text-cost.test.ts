/**
 * Review round 3: one pg_cursors check scans every portal of the session (server-cursor-check.ts), and
 * pg_cursors.statement of a cursor declared in a multi-statement simple Query is the whole text of that
 * Query. N DECLAREs in one Query hold N copies of an N-statement text: each check — one per stale read, a
 * few bytes from the agent — makes the database materialise N × (N × ~60 bytes) of text (past work_mem,
 * spilled to temporary files) before the name filter runs. Measured: 13 ms a check with 300 cursors, 917 ms
 * with 2400 (~360 MB of statement text materialised per check): 8x the cursors, 69x the cost of every check.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { fe, RawClient, type RawMessage } from '../support/raw-client.js';

const kinds = (ms: RawMessage[]): string[] =>
  ms.filter((m) => m.type !== 'N').map((m) => (m.type === 'E' ? `E:${m.error?.code}` : m.type));

describe('review stale 3: the cost of one check grows with the square of the cursors one Query declared (real PostgreSQL)', function () {
  this.timeout(120_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack();
  });
  after(async () => s?.stop());

  /** Median time of a stale FETCH (its check) with `n` cursors declared by one Query. */
  const staleFetch = async (n: number): Promise<number> => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    const query = async (sql: string): Promise<RawMessage[]> => {
      raw.send(fe.query(sql));
      return raw.until('Z', 60_000);
    };
    try {
      await query('BEGIN');
      const declares = Array.from(
        { length: n },
        (_, i) => `DECLARE cost_${i} CURSOR FOR SELECT g AS n FROM generate_series(1, 9) g`,
      ).join('; ');
      expect(kinds(await query(declares))).to.not.include('E:42501');
      const times: number[] = [];
      for (let k = 0; k < 5; k++) {
        await query('SELECT 1 AS one');
        const t0 = process.hrtime.bigint();
        const r = await query('FETCH 1 FROM cost_0');
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
        expect(kinds(r)).to.deep.equal(['T', 'D', 'C', 'Z']);
      }
      await query('ROLLBACK');
      return times.sort((a, b) => a - b)[2]!;
    } finally {
      raw.end();
    }
  };

  it('a stale FETCH with 8x the cursors declared in one Query costs at most ~8x (linear in what the agent sent)', async () => {
    await staleFetch(100); // warm-up
    const small = await staleFetch(300);
    const large = await staleFetch(2400);
    console.log(`stale FETCH: ${small.toFixed(2)} ms with 300 cursors, ${large.toFixed(2)} ms with 2400`);
    expect(large / small).to.be.below(20);
  });
});
