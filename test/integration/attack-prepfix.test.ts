/**
 * maxPreparedBytes fixes (part prepfix), against a real PostgreSQL: the cursors the proxy knows (and
 * counts) are those PostgreSQL still has after ROLLBACK, ROLLBACK TO SAVEPOINT (followed by name), a
 * COMMIT of a failed transaction and an aborted implicit transaction; and drops earlier in a Query are
 * netted against what it creates.
 */
import { expect } from 'chai';
import type pg from 'pg';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { pgError } from '../support/pg-error.js';
import { fe, RawClient, type RawMessage, messageKinds } from '../support/raw-client.js';

const LIMIT = 259072; // the smallest maxPreparedBytes validation accepts for maxStatementBytes 64000
/** About 1 KiB + 2 x 38 KB of the limit (held-bytes.ts): three fit, a fourth does not. */
const big = (n: number): string => `SELECT ${n} AS n /* ${'x'.repeat(38000)} */`;
/** About 1 KiB + 2 x 25 KB: two fit in one Query (maxStatementBytes), and not beside three of `big`. */
const mid = (n: number): string => `SELECT ${n} AS n /* ${'y'.repeat(25000)} */`;

describe('attack prepfix: held objects follow the server (maxPreparedBytes, real PostgreSQL)', function () {
  let s: LocalStack;
  let c: pg.Client;

  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => void (p.spec.protocolLimits = { maxStatementBytes: 64000, maxPreparedBytes: LIMIT }),
    });
  });
  after(async () => s?.stop());
  beforeEach(async () => {
    c = await s.connect();
  });
  afterEach(async () => {
    await c?.end().catch(() => undefined);
  });

  const serverCursors = async (): Promise<string[]> =>
    (await c.query('SELECT name FROM pg_cursors ORDER BY name')).rows.map((r: { name: string }) => r.name);
  /**
   * A FETCH the proxy refuses because it no longer knows the cursor. Within a transaction the refusal
   * aborts it, so the probe runs in a savepoint of its own.
   */
  const unknownToProxy = async (name: string, inTransaction = false): Promise<void> => {
    if (inTransaction) await c.query('SAVEPOINT probe');
    const e = await pgError(c.query(`FETCH 1 FROM ${name}`));
    expect(e.message, name).to.match(/was not declared through agentgate/);
    if (inTransaction) await c.query('ROLLBACK TO SAVEPOINT probe; RELEASE SAVEPOINT probe');
  };
  const fetchOne = async (name: string): Promise<number> => (await c.query(`FETCH 1 FROM ${name}`)).rows.length;

  it('ROLLBACK TO follows savepoint names as PostgreSQL does: the newest of a name, RELEASE merging into the parent', async () => {
    await c.query('BEGIN');
    await c.query('DECLARE k0 CURSOR FOR SELECT 0 AS n');
    await c.query('SAVEPOINT a');
    await c.query('DECLARE k1 CURSOR FOR SELECT 1 AS n');
    await c.query('SAVEPOINT b');
    await c.query('BEGIN'); // inside a transaction: only a warning, the savepoints stay
    await c.query('DECLARE k2 CURSOR FOR SELECT 2 AS n');
    await c.query('RELEASE SAVEPOINT b');
    await c.query('SAVEPOINT a');
    await c.query('DECLARE k3 CURSOR FOR SELECT 3 AS n');
    // The newest "a": only k3 was declared after it.
    await c.query('ROLLBACK TO SAVEPOINT a');
    expect(await serverCursors()).to.deep.equal(['k0', 'k1', 'k2']);
    await unknownToProxy('k3', true);
    expect(await fetchOne('k2')).to.equal(1);
    // Release the newest "a"; rolling back to the first one drops k1 and k2 (declared after it), keeps k0.
    await c.query('RELEASE SAVEPOINT a');
    await c.query('ROLLBACK TO SAVEPOINT a');
    expect(await serverCursors()).to.deep.equal(['k0']);
    await unknownToProxy('k1', true);
    await unknownToProxy('k2', true);
    expect(await fetchOne('k0')).to.equal(1);
    await c.query('COMMIT');
  });

  it('WITH HOLD cursors of a failed transaction ended by COMMIT, or of an aborted implicit transaction, are forgotten; committed ones stay', async () => {
    await c.query('BEGIN');
    await c.query('DECLARE h1 CURSOR WITH HOLD FOR SELECT 1 AS n');
    await pgError(c.query('SELECT 1/0'));
    expect((await c.query('COMMIT')).command).to.equal('ROLLBACK');
    await unknownToProxy('h1');
    // One Query is one implicit transaction: its error drops the cursor it declared.
    await pgError(c.query('DECLARE h2 CURSOR WITH HOLD FOR SELECT 2 AS n; SELECT 1/0'));
    await unknownToProxy('h2');
    // A failed subtransaction rolled back to its savepoint: the transaction commits, with its cursor.
    await c.query('BEGIN');
    await c.query('DECLARE h3 CURSOR WITH HOLD FOR SELECT 3 AS n');
    await c.query('SAVEPOINT s');
    await pgError(c.query('SELECT 1/0'));
    await c.query('ROLLBACK TO SAVEPOINT s');
    await c.query('COMMIT');
    expect(await serverCursors()).to.deep.equal(['h3']);
    expect(await fetchOne('h3')).to.equal(1);
    // Three big cursors fit: nothing of the dropped ones is still counted.
    await c.query('CLOSE h3');
    await c.query('BEGIN');
    for (let i = 1; i <= 3; i++) await c.query(`DECLARE b${i} CURSOR FOR ${big(i)}`);
    await c.query('ROLLBACK');
  });

  it('DEALLOCATE ALL or CLOSE earlier in a Query frees room for what the Query creates; a drop after a create does not', async () => {
    for (const n of ['a', 'b', 'd']) await c.query(`PREPARE ${n} AS ${big(1)}`);
    expect((await pgError(c.query(`PREPARE e AS ${big(2)}; DEALLOCATE a`))).code).to.equal('54000');
    await c.query(`DEALLOCATE ALL; PREPARE x AS ${mid(3)}; PREPARE y AS ${mid(4)}`);
    expect((await c.query('EXECUTE y')).rows).to.deep.equal([{ n: 4 }]);
    await c.query('DEALLOCATE ALL');
    await c.query('BEGIN');
    for (let i = 1; i <= 3; i++) await c.query(`DECLARE c${i} CURSOR FOR ${big(i)}`);
    await c.query(`CLOSE c1; DECLARE c4 CURSOR FOR ${big(4)}`);
    await c.query(`CLOSE ALL; DECLARE c5 CURSOR FOR ${mid(5)}; DECLARE c6 CURSOR FOR ${mid(6)}`);
    expect(await fetchOne('c6')).to.equal(1);
    await c.query('COMMIT');
  });

  it('a chain of statements EXECUTEing each other, each deallocated, cannot pin statements beyond the limit', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    const kinds = (ms: RawMessage[]): string[] => messageKinds(ms, { codes: true, notices: false });
    const replies: string[] = [];
    // Each round: big, p1 that EXECUTEs big, q<i> that EXECUTEs p1; then big and p1 are deallocated, and
    // only q<i> is left, keeping p1 and big alive through its snapshot.
    for (let i = 0; i < 8; i++) {
      raw.send(
        fe.query(`PREPARE big AS ${big(i)}`),
        fe.parse({ name: 'p1', text: 'EXECUTE big' }),
        fe.sync(),
        fe.query('DEALLOCATE big'),
        fe.parse({ name: `q${i}`, text: 'EXECUTE p1' }),
        fe.sync(),
        fe.query('DEALLOCATE p1'),
      );
      for (let z = 0; z < 5; z++) replies.push(...kinds(await raw.until('Z')));
    }
    raw.end();
    // What q<i> keeps alive is counted: the rounds are refused long before 8 bigs are pinned.
    expect(replies.filter((r) => r === 'E:54000').length).to.be.greaterThan(0);
    expect(replies.slice(0, 10)).to.deep.equal(['C', 'Z', '1', 'Z', 'C', 'Z', '1', 'Z', 'C', 'Z']);
  });
});
