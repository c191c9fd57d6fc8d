/**
 * Review of prepfix cursor tracking, against a real PostgreSQL: protocol portals and cursors share one
 * namespace on the server. Server-side code the policy lets run (a vetted plpgsql function) can CLOSE a
 * named portal or SQL cursor the proxy holds and OPEN a cursor of the same name over another query. The
 * proxy still holds the old object under that name, so the agent's FETCH or Execute of it is decided as
 * the old query (a denied table is read) and an Execute is masked with the old portal's plan (a masked
 * column, or a denied table's values, go out in clear). README: a cursor opened inside a function "cannot
 * be read (unknown-cursor)". (SQL DECLARE, CLOSE and transaction control make the proxy forget every
 * portal: those paths held.)
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { allowFunctions, rawPerTest } from '../support/vetted-functions.js';
import { fe, firstColumns, type RawMessage, messageKinds } from '../support/raw-client.js';

const SECRET = 'plain-secret-1';
const kinds = (ms: RawMessage[]): string[] => messageKinds(ms);
const cells = firstColumns;

describe('review prepfix: a held portal or cursor name reopened by server-side code (real PostgreSQL)', function () {
  let s: LocalStack;
  before(async () => {
    // A vetted function the policy lets the agent call (the table's masked column stays masked in results).
    s = await startLocalStack({ editPolicy: allowFunctions(['review_reopen', 'review_reopen_payroll']) });
    const d = await s.direct();
    await d.query('CREATE TABLE review_people (id int, ssn text)');
    await d.query(`INSERT INTO review_people VALUES (1, '${SECRET}')`);
    // Server-side code that reuses a cursor name: it closes the portal and opens a cursor of that name.
    await d.query(
      `CREATE FUNCTION review_reopen(r refcursor) RETURNS int LANGUAGE plpgsql AS $$ BEGIN CLOSE r; OPEN r FOR SELECT ssn FROM review_people; RETURN 1; END $$`,
    );
    // payroll.salaries (seeded) is denied by the policy's payroll rule.
    await d.query(
      `CREATE FUNCTION review_reopen_payroll(r refcursor) RETURNS int LANGUAGE plpgsql AS $$ BEGIN CLOSE r; OPEN r FOR SELECT amount_cents::text FROM payroll.salaries; RETURN 1; END $$`,
    );
    await d.end();
  });
  after(async () => s?.stop());
  const session = rawPerTest(() => s);
  const query = session.query;
  /** A named portal over an unmasked column, Described so the proxy keeps its masking plan. */
  const describedPortal = async (name: string): Promise<void> => {
    session
      .raw()
      .send(
        fe.parse({ name: `st_${name}`, text: 'SELECT id::text AS id FROM review_people' }),
        fe.bind({ portal: name, statement: `st_${name}` }),
        fe.describe({ type: 'P', name }),
        fe.sync(),
      );
    expect(kinds(await session.raw().until('Z'))).to.deep.equal(['1', '2', 'T', 'Z']);
  };
  it('control: the ssn column is masked', async () => {
    const r = await query('SELECT ssn FROM review_people');
    expect(cells(r)).to.have.length(1);
    expect(cells(r)[0]).to.not.equal(SECRET);
  });

  it('a function that closes a portal and opens a cursor of its name: Execute of that name is not masked by the stale plan', async () => {
    await query('BEGIN');
    await describedPortal('c3');
    // Allowed by the policy; the proxy still holds portal c3 with its plan for the id column.
    expect(kinds(await query(`SELECT review_reopen('c3')`))).to.deep.equal(['T', 'D', 'C', 'Z']);
    session.raw().send(fe.execute({ portal: 'c3' }), fe.sync());
    const r = await session.raw().until('Z');
    expect(cells(r), 'a masked column went out through a portal plan made for another query').to.not.include(SECRET);
    await query('ROLLBACK');
  });
  it('a function that closes a portal and opens a cursor of its name over a denied table: FETCH of that name is refused', async () => {
    await query('BEGIN');
    session
      .raw()
      .send(
        fe.parse({ name: 'st_c4', text: 'SELECT id FROM review_people' }),
        fe.bind({ portal: 'c4', statement: 'st_c4' }),
        fe.sync(),
      );
    expect(kinds(await session.raw().until('Z'))).to.deep.equal(['1', '2', 'Z']);
    expect(kinds(await query(`SELECT review_reopen_payroll('c4')`))).to.deep.equal(['T', 'D', 'C', 'Z']);
    // The server's c4 is now the function's cursor over payroll (denied): the proxy must not decide it as the portal.
    const r = await query('FETCH ALL FROM c4');
    expect(cells(r), 'rows of a denied table read through a name the proxy decided as another query').to.not.include(
      '12000000',
    );
    expect(kinds(r), "a read of a denied table, decided (and audited) as the portal's statement").to.include('E');
    await query('ROLLBACK');
  });
  it('the same, read by a protocol Execute of that name (no Describe before): refused, not masked as the portal', async () => {
    await query('BEGIN');
    session
      .raw()
      .send(
        fe.parse({ name: 'st_c5', text: 'SELECT id FROM review_people' }),
        fe.bind({ portal: 'c5', statement: 'st_c5' }),
        fe.sync(),
      );
    expect(kinds(await session.raw().until('Z'))).to.deep.equal(['1', '2', 'Z']);
    expect(kinds(await query(`SELECT review_reopen_payroll('c5')`))).to.deep.equal(['T', 'D', 'C', 'Z']);
    session.raw().send(fe.execute({ portal: 'c5' }), fe.sync());
    const r = await session.raw().until('Z');
    expect(cells(r), 'payroll amounts of a denied table in clear').to.not.include('12000000');
    expect(kinds(r), "a read of a denied table, decided (and audited) as the portal's statement").to.include('E');
    await query('ROLLBACK');
  });
  it('a function that closes a DECLAREd cursor and reopens its name over a denied table: FETCH is refused', async () => {
    await query('BEGIN');
    expect(kinds(await query('DECLARE c6 CURSOR FOR SELECT id FROM review_people'))).to.deep.equal(['C', 'Z']);
    expect(kinds(await query(`SELECT review_reopen_payroll('c6')`))).to.deep.equal(['T', 'D', 'C', 'Z']);
    const r = await query('FETCH ALL FROM c6');
    expect(cells(r), 'payroll amounts of a denied table in clear').to.not.include('12000000');
    expect(kinds(r), 'a read of a denied table, decided (and audited) as the DECLAREd query').to.include('E');
    await query('ROLLBACK');
  });
});
