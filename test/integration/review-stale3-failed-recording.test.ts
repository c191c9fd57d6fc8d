/**
 * Review round 3 of the creation-time baselines (name-baselines.ts). A name is recorded by the first check
 * after the batch that made it; a check that fails records nothing and the name stays unrecorded — and a
 * stale read of an unrecorded name is now accepted on the digest and holdability alone (checkNames records
 * whatever the server holds then). The agent makes the recording check fail on purpose: it declares the
 * cursor, then a SAVEPOINT, then an error in the same Query; the next batch's recording check runs in the
 * aborted transaction (25P02) and fails; that batch's ROLLBACK TO SAVEPOINT revives the transaction (the
 * cursor, declared before the savepoint, survives) and its next statement runs a vetted function that
 * closes the cursor and declares it again from the identical text under its own search_path. The FETCH of
 * the batch after is checked, the name is unrecorded, the digest matches: the FETCH is forwarded and reads
 * payroll.salaries (one row; today only the result masker's lineage check redacts its value).
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { allowFunctions, rawPerTest } from '../support/vetted-functions.js';
import { fe, firstColumns, type RawMessage, messageKinds } from '../support/raw-client.js';

const kinds = (ms: RawMessage[]): string[] => messageKinds(ms, { codes: true, notices: false });
const PAYROLL = '12000000';
const DECLARE = 'DECLARE victim CURSOR FOR SELECT amount_cents FROM orders';
const SHADOW = 'CREATE VIEW payroll.orders AS SELECT amount_cents FROM payroll.salaries';
const UNSHADOW = 'DROP VIEW payroll.orders';

describe('review stale 3: a recording check made to fail leaves the name unrecorded (real PostgreSQL)', function () {
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({ editPolicy: allowFunctions(['rs3_same_cursor']) });
    const d = await s.direct();
    await d.query(
      `CREATE FUNCTION rs3_same_cursor() RETURNS int LANGUAGE plpgsql SET search_path = payroll, public AS $$
       BEGIN EXECUTE '${SHADOW}'; EXECUTE 'CLOSE victim'; EXECUTE '${DECLARE}'; EXECUTE '${UNSHADOW}'; RETURN 1; END $$`,
    );
    await d.query('CREATE VIEW rs3_cursor_view AS SELECT rs3_same_cursor() AS n');
    await d.end();
  });
  after(async () => s?.stop());
  const { raw, query } = rawPerTest(() => s, { timeoutMs: 5000 });

  // One pipeline, each statement its own text (pg_cursors.statement is the whole text of a simple Query).
  const makeThenAbort = async (): Promise<RawMessage[]> => {
    for (const text of [DECLARE, 'SAVEPOINT s', 'SELECT 1 / 0 AS boom'])
      raw().send(fe.parse({ name: '', text }), fe.bind({}), fe.execute({}));
    raw().send(fe.sync());
    return raw().until('Z', 5000);
  };

  it('simple Query: DECLARE, SAVEPOINT, error in one pipeline; ROLLBACK TO and a reopening in the batch whose recording failed; the FETCH must not read payroll', async () => {
    await query('BEGIN');
    expect(kinds(await makeThenAbort())).to.deep.equal(['1', '2', 'C', '1', '2', 'C', '1', 'E:22012', 'Z']);
    const reopened = await query('ROLLBACK TO SAVEPOINT s; SELECT * FROM rs3_cursor_view');
    expect(kinds(reopened)).to.not.include('E:25P02');
    const r = await query('FETCH ALL FROM victim');
    await query('ROLLBACK');
    expect(firstColumns(r)).to.not.include(PAYROLL);
    // Refused, or the four orders the proxy decided.
    if (!kinds(r).includes('E:42501')) expect(firstColumns(r)).to.have.length(4);
  });

  it('extended protocol: the ROLLBACK TO sent as Parse/Bind/Execute/Sync after the failed recording; the FETCH must not read payroll', async () => {
    await query('BEGIN');
    expect(kinds(await makeThenAbort())).to.deep.equal(['1', '2', 'C', '1', '2', 'C', '1', 'E:22012', 'Z']);
    raw().send(
      fe.parse({ name: '', text: 'ROLLBACK TO SAVEPOINT s' }),
      fe.bind({}),
      fe.execute({}),
      fe.parse({ name: '', text: 'SELECT * FROM rs3_cursor_view' }),
      fe.bind({}),
      fe.execute({}),
      fe.sync(),
    );
    expect(kinds(await raw().until('Z', 5000))).to.not.include('E:25P02');
    const r = await query('FETCH ALL FROM victim');
    await query('ROLLBACK');
    expect(firstColumns(r)).to.not.include(PAYROLL);
    // Refused, or the four orders the proxy decided.
    if (!kinds(r).includes('E:42501')) expect(firstColumns(r)).to.have.length(4);
  });
});
