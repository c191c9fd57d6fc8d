/**
 * Code the proxy cannot see (a function the policy allows) may close a portal or cursor the proxy follows
 * and open another under its name. Beside review-prepfix-portal-cursor-names: the same within one Query
 * and within one pipeline (decided before the function runs), and what must keep working — built-in
 * functions forget nothing, and the portal or cursor a function runs inside stays readable.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { allowFunctions, rawPerTest } from '../support/vetted-functions.js';
import { fe, firstColumns, type RawMessage, messageKinds } from '../support/raw-client.js';

const kinds = (ms: RawMessage[]): string[] => messageKinds(ms, { notices: false });
const cells = firstColumns;

describe('attack: a portal or cursor name reopened by server-side code, in one Query or one pipeline', function () {
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({ editPolicy: allowFunctions(['uc_reopen_payroll', 'uc_plus_one']) });
    const d = await s.direct();
    await d.query(
      `CREATE FUNCTION uc_reopen_payroll(r refcursor) RETURNS int LANGUAGE plpgsql AS $$ BEGIN CLOSE r; OPEN r FOR SELECT amount_cents::text FROM payroll.salaries; RETURN 1; END $$`,
    );
    await d.query(`CREATE FUNCTION uc_plus_one(i int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT i + 1 $$`);
    await d.end();
  });
  after(async () => s?.stop());
  const session = rawPerTest(() => s);
  const query = session.query;

  it('the function and the FETCH in one Query: the FETCH is refused, nothing of the denied table read', async () => {
    await query('BEGIN');
    expect(kinds(await query('DECLARE k1 CURSOR FOR SELECT id FROM customers'))).to.deep.equal(['C', 'Z']);
    const r = await query(`SELECT uc_reopen_payroll('k1'); FETCH ALL FROM k1`);
    expect(cells(r)).to.not.include('12000000');
    expect(kinds(r)).to.include('E');
    expect(r.find((m) => m.type === 'E')!.error!.message).to.contain('cursor "k1"');
    await query('ROLLBACK');
  });

  it('the function and an Execute of another portal in one pipeline: the Execute is refused', async () => {
    await query('BEGIN');
    session
      .raw()
      .send(
        fe.parse({ name: 'st_p', text: 'SELECT id::text FROM customers ORDER BY id' }),
        fe.bind({ portal: 'p1', statement: 'st_p' }),
        fe.sync(),
      );
    expect(kinds(await session.raw().until('Z'))).to.deep.equal(['1', '2', 'Z']);
    session
      .raw()
      .send(
        fe.parse({ name: 'st_f', text: `SELECT uc_reopen_payroll('p1')` }),
        fe.bind({ portal: 'f', statement: 'st_f' }),
        fe.execute({ portal: 'f' }),
        fe.execute({ portal: 'p1' }),
        fe.sync(),
      );
    const r = await session.raw().until('Z');
    expect(cells(r)).to.not.include('12000000');
    expect(kinds(r)).to.include('E');
    await query('ROLLBACK');
  });

  it('built-in functions forget nothing: a cursor is read before and after them', async () => {
    await query('BEGIN');
    await query('DECLARE k2 CURSOR FOR SELECT id FROM customers ORDER BY id');
    expect(kinds(await query('FETCH 1 FROM k2'))).to.deep.equal(['T', 'D', 'C', 'Z']);
    expect(kinds(await query(`SELECT lower('X'), now() IS NOT NULL, length('abc')`))).to.deep.equal([
      'T',
      'D',
      'C',
      'Z',
    ]);
    expect(kinds(await query('FETCH 1 FROM k2'))).to.deep.equal(['T', 'D', 'C', 'Z']);
    await query('ROLLBACK');
  });

  it('a user function forgets the other names but not the portal it runs in: a suspended portal goes on', async () => {
    await query('BEGIN');
    await query('DECLARE k3 CURSOR FOR SELECT id FROM customers');
    session
      .raw()
      .send(
        fe.parse({ name: 'st_g', text: 'SELECT uc_plus_one(g) AS n FROM generate_series(1, 5) g' }),
        fe.bind({ portal: 'g', statement: 'st_g' }),
        fe.execute({ portal: 'g', rows: 2 }),
        fe.sync(),
      );
    const first = await session.raw().until('Z');
    expect(kinds(first)).to.deep.equal(['1', '2', 'D', 'D', 's', 'Z']);
    session.raw().send(fe.execute({ portal: 'g', rows: 2 }), fe.sync());
    const second = await session.raw().until('Z');
    // Rows 4 and 5 of the same portal (a user function's output is masked where column rules apply).
    expect(kinds(second)).to.deep.equal(['D', 'D', 's', 'Z']);
    // The cursor declared before the function ran is no longer known: reading it is refused.
    const r = await query('FETCH 1 FROM k3');
    expect(kinds(r)).to.include('E');
    expect(r.find((m) => m.type === 'E')!.error!.message).to.contain('cursor "k3"');
    await query('ROLLBACK');
  });
});
