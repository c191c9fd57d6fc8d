/**
 * Review of the stale-name backstop (name-freshness.ts): a Bind marks its portal name fresh when it is
 * forwarded, before the server answers. Portals and SQL cursors share one namespace on the server, so a
 * Bind under the name of a SQL cursor fails ("cursor already exists"), and the proxy then drops only the
 * portal it expected — the cursor stays tracked, and now counts as fresh. A stale cursor that server code
 * replaced is thereby read without the pg_cursors check, as the query the proxy decided. A DECLARE of a
 * name the server still holds fails the same way, and also marks the name fresh when forwarded.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { allowFunctions, rawPerTest } from '../support/vetted-functions.js';
import { fe, firstColumns, type RawMessage, messageKinds } from '../support/raw-client.js';

const cells = firstColumns;
const kinds = (ms: RawMessage[]): string[] => messageKinds(ms, { notices: false });
const PAYROLL = '12000000';

describe('review stale: a failed Bind or DECLARE under a cursor name makes that cursor fresh (real PostgreSQL)', function () {
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({ editPolicy: allowFunctions(['rf_reopen']) });
    const d = await s.direct();
    await d.query('CREATE TABLE rf_people (id int)');
    await d.query('INSERT INTO rf_people SELECT generate_series(1, 3)');
    await d.query(
      `CREATE FUNCTION rf_reopen() RETURNS int LANGUAGE plpgsql AS $$ BEGIN
         EXECUTE 'CLOSE victim';
         EXECUTE 'DECLARE victim CURSOR WITH HOLD FOR SELECT amount_cents FROM payroll.salaries';
         RETURN 1; END $$`,
    );
    await d.query('CREATE VIEW rf_view AS SELECT rf_reopen() AS n');
    await d.end();
  });
  after(async () => s?.stop());
  const session = rawPerTest(() => s);
  const query = session.query;

  it('WITH HOLD cursor replaced by a view, a Bind under its name fails, then FETCH: payroll must not come back', async () => {
    expect(kinds(await query('DECLARE victim CURSOR WITH HOLD FOR SELECT id FROM rf_people'))).to.deep.equal([
      'C',
      'Z',
    ]);
    expect(kinds(await query('SELECT * FROM rf_view'))).to.not.include('E'); // victim now reads payroll
    session.raw().send(
      fe.parse({ name: 'rf_s', text: 'SELECT 1' }),
      fe.bind({ portal: 'victim', statement: 'rf_s' }), // fails on the server: cursor "victim" already exists
      fe.sync(),
    );
    expect(kinds(await session.raw().until('Z'))).to.include('E');
    const r = await query('FETCH ALL FROM victim');
    await query('CLOSE victim');
    expect(cells(r)).to.not.include(PAYROLL);
  });

  it('the same with a DECLARE of the same name that fails (cursor already exists): payroll must not come back', async () => {
    const declare = 'DECLARE victim CURSOR WITH HOLD FOR SELECT id FROM rf_people';
    expect(kinds(await query(declare))).to.deep.equal(['C', 'Z']);
    expect(kinds(await query('SELECT * FROM rf_view'))).to.not.include('E');
    expect(kinds(await query(declare))).to.include('E'); // cursor "victim" already exists
    const r = await query('FETCH ALL FROM victim');
    await query('CLOSE victim');
    expect(cells(r)).to.not.include(PAYROLL);
  });
});
