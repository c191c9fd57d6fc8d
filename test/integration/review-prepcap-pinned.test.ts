/**
 * Review of spec.protocolLimits.maxPreparedBytes: a prepared statement that EXECUTEs another keeps a
 * snapshot of the statement it executes (server-objects.ts executedStatements), counted at the size of
 * its own short text only. After DEALLOCATE the executed statement is no longer counted, yet it stays
 * in memory as long as the short statement does. Measured on the proxy's heap (in-process stack).
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { heapUsedAfterGc } from '../support/heap.js';
import { fe, RawClient, type RawMessage, messageKinds } from '../support/raw-client.js';

const LIMIT = 443072; // the smallest maxPreparedBytes validation accepts for maxStatementBytes 110000
/** About 100 KB of statement text, counted at about 200 KB while it is prepared. */
const bulky = `SELECT 1 AS one /* ${'x'.repeat(100_000)} */`;
const ROUNDS = 50;

const kinds = (ms: RawMessage[]): string[] => messageKinds(ms, { codes: true, notices: false });

describe('review maxPreparedBytes: statements pinned by a statement that EXECUTEs them', function () {
  this.timeout(120_000);
  let s: LocalStack;

  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => void (p.spec.protocolLimits = { maxStatementBytes: 110_000, maxPreparedBytes: LIMIT }),
    });
  });
  after(async () => s?.stop());

  /** Rounds of PREPARE big, Parse `second` as e<i>, DEALLOCATE big in one session; the heap grown meanwhile. */
  const rounds = async (second: string): Promise<number> => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    const before = heapUsedAfterGc();
    for (let i = 0; i < ROUNDS; i++) {
      raw.send(
        fe.query(`PREPARE big AS ${bulky}`),
        fe.parse({ name: `e${i}`, text: second }),
        fe.sync(),
        fe.query('DEALLOCATE big'),
      );
      const replies = kinds([...(await raw.until('Z')), ...(await raw.until('Z')), ...(await raw.until('Z'))]);
      // A round whose statement would pin more than the limit is refused (54000); the others are accepted.
      expect(replies, `round ${i}`).to.deep.oneOf([
        ['C', 'Z', '1', 'Z', 'C', 'Z'],
        ['C', 'Z', 'E:54000', 'Z', 'C', 'Z'],
      ]);
    }
    const grown = heapUsedAfterGc() - before;
    raw.end();
    return grown;
  };

  it('PREPARE big; Parse "EXECUTE big"; DEALLOCATE big — repeated, the proxy holds many times maxPreparedBytes', async () => {
    // Warm-up and control: the same rounds with a statement that executes nothing stay within the bound.
    await rounds('SELECT 1 AS x');
    const control = await rounds('SELECT 1 AS x');
    expect(control, `control: heap grown by ${(control / 1048576).toFixed(1)} MiB`).to.be.below(8 * LIMIT);
    const grown = await rounds('EXECUTE big');
    // Every round was accepted within the limit; what the session makes the proxy hold must be too
    // (the control's generous 8x margin).
    expect(grown, `heap grown by ${(grown / 1048576).toFixed(1)} MiB`).to.be.below(8 * LIMIT);
  });

  it('Parse big; Bind a named portal; Close the statement — repeated in one transaction, each portal keeps its statement uncounted', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(fe.query('BEGIN'));
    await raw.until('Z');
    const before = heapUsedAfterGc();
    for (let i = 0; i < ROUNDS; i++) {
      raw.send(
        fe.parse({ name: 'big', text: bulky }),
        fe.bind({ portal: `p${i}`, statement: 'big' }),
        fe.close({ type: 'S', name: 'big' }),
        fe.sync(),
      );
      expect(kinds(await raw.until('Z')), `round ${i}`).to.deep.oneOf([
        ['1', '2', '3', 'Z'],
        ['E:54000', 'Z'],
      ]);
    }
    const grown = heapUsedAfterGc() - before;
    raw.send(fe.query('ROLLBACK'));
    await raw.until('Z');
    raw.end();
    expect(grown, `heap grown by ${(grown / 1048576).toFixed(1)} MiB`).to.be.below(8 * LIMIT);
  });
});
