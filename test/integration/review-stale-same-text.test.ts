/**
 * Review of the stale-name backstop (server-cursor-check.ts): the check compares pg_cursors.statement with
 * the digest of the text that made the name, and holdability. The text is not the object: code the
 * proxy cannot see can close the name and declare it again from the very same text, planned under another
 * search_path (a function's SET clause, restored on exit) where the name resolves, for that moment, to a
 * view over a denied table (created and dropped by the function, so the proxy's catalog never sees it). The check
 * then says "same" and the FETCH / Execute is decided and masked as the object the proxy knew.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { allowFunctions, rawPerTest } from '../support/vetted-functions.js';
import { fe, firstColumns, type RawMessage, messageKinds } from '../support/raw-client.js';

const cells = firstColumns;
const kinds = (ms: RawMessage[]): string[] => messageKinds(ms, { notices: false });
const PAYROLL = '12000000';
const DECLARE = 'DECLARE victim CURSOR FOR SELECT id + 0 AS id FROM rs_people';
const PORTAL_SQL = 'SELECT id + 0 AS id FROM rs_people';
// For the time of the reopen only, the same relation name in the denied schema, over the denied amounts.
const SHADOW = 'CREATE VIEW payroll.rs_people AS SELECT amount_cents + 0 AS id FROM payroll.salaries';
const UNSHADOW = 'DROP VIEW payroll.rs_people';

describe('review stale: a name reopened from the identical text under another search_path (real PostgreSQL)', function () {
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({ editPolicy: allowFunctions(['rs_same_cursor', 'rs_same_portal']) });
    const d = await s.direct();
    await d.query('CREATE TABLE rs_people (id int)');
    await d.query('INSERT INTO rs_people SELECT generate_series(1, 3)');
    // The vetted functions run with their own search_path (a common hardening), restored when they return.
    await d.query(
      `CREATE FUNCTION rs_same_cursor() RETURNS int LANGUAGE plpgsql SET search_path = payroll, public AS $$
       BEGIN EXECUTE '${SHADOW}'; EXECUTE 'CLOSE victim'; EXECUTE '${DECLARE}'; EXECUTE '${UNSHADOW}'; RETURN 1; END $$`,
    );
    await d.query(
      `CREATE FUNCTION rs_same_portal(r refcursor) RETURNS int LANGUAGE plpgsql SET search_path = payroll, public AS $$
       BEGIN EXECUTE '${SHADOW}'; CLOSE r; OPEN r FOR EXECUTE '${PORTAL_SQL}'; EXECUTE '${UNSHADOW}'; RETURN 1; END $$`,
    );
    await d.query('CREATE VIEW rs_cursor_view AS SELECT rs_same_cursor() AS n');
    await d.query(`CREATE VIEW rs_portal_view AS SELECT rs_same_portal('victim') AS n`);
    await d.end();
  });
  after(async () => s?.stop());
  const session = rawPerTest(() => s);
  const query = session.query;

  it('a SQL cursor re-DECLAREd from the same text by a function with its own search_path: its FETCH must not read payroll', async () => {
    await query('BEGIN');
    expect(kinds(await query(DECLARE))).to.deep.equal(['C', 'Z']);
    expect(kinds(await query('SELECT * FROM rs_cursor_view'))).to.not.include('E');
    const r = await query('FETCH ALL FROM victim');
    await query('ROLLBACK');
    expect(cells(r)).to.not.include(PAYROLL);
    // Refused, or rows of the cursor the proxy decided — not payroll's rows (today: one row, redacted as unknown lineage).
    for (const c of cells(r)) expect(['1', '2', '3']).to.include(c);
  });

  it('a protocol portal reopened from the same text by a function with its own search_path: its Execute must not read payroll', async () => {
    await query('BEGIN');
    session
      .raw()
      .send(fe.parse({ name: 'rs_s', text: PORTAL_SQL }), fe.bind({ portal: 'victim', statement: 'rs_s' }), fe.sync());
    expect(kinds(await session.raw().until('Z'))).to.deep.equal(['1', '2', 'Z']);
    expect(kinds(await query('SELECT * FROM rs_portal_view'))).to.not.include('E');
    session.raw().send(fe.execute({ portal: 'victim' }), fe.sync());
    const r = await session.raw().until('Z');
    await query('ROLLBACK');
    expect(cells(r)).to.not.include(PAYROLL);
  });
});
