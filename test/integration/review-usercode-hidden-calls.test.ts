/**
 * Review of user-code.ts: the proxy forgets tracked portal/cursor names only when the classification shows a
 * CALL, a DO or a non-built-in function. Server-side code also runs where no call is visible in the agent's
 * statement: a view whose definition calls the function, a column DEFAULT, a trigger, a CHECK constraint.
 * Each path lets the vetted function CLOSE a portal/cursor the proxy tracks and reopen its
 * name over a denied table (payroll.salaries); the following FETCH is decided as the old query and the
 * amounts go out in clear.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { allowFunctions, rawPerTest } from '../support/vetted-functions.js';
import { type RawMessage, messageKinds, firstColumns } from '../support/raw-client.js';

const kinds = (ms: RawMessage[]): string[] => messageKinds(ms);
const PAYROLL = '12000000';

describe('review usercode: user code run where the statement shows no function call (real PostgreSQL)', function () {
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({ editPolicy: allowFunctions(['ru_reopen']) });
    const d = await s.direct();
    await d.query('CREATE TABLE ru_people (id int)');
    await d.query('INSERT INTO ru_people VALUES (1)');
    await d.query(
      `CREATE FUNCTION ru_reopen(r refcursor) RETURNS int LANGUAGE plpgsql AS $$ BEGIN CLOSE r; OPEN r FOR SELECT amount_cents FROM payroll.salaries; RETURN 1; END $$`,
    );
    // Objects a DBA set up with the vetted function: none shows a function call in the agent's statement.
    await d.query(`CREATE VIEW ru_view AS SELECT ru_reopen('cv') AS n`);
    await d.query(`CREATE TABLE ru_defaults (id int, n int DEFAULT ru_reopen('cd'))`);
    await d.query('CREATE TABLE ru_triggered (id int)');
    await d.query(
      `CREATE FUNCTION ru_trigger() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM ru_reopen('ct'); RETURN NEW; END $$`,
    );
    await d.query('CREATE TRIGGER ru_trg BEFORE INSERT ON ru_triggered FOR EACH ROW EXECUTE FUNCTION ru_trigger()');
    await d.query("CREATE TABLE ru_checked (id int CHECK (ru_reopen('cc') = 1))");
    await d.end();
  });
  after(async () => s?.stop());
  const session = rawPerTest(() => s);
  const query = session.query;
  /** Declare a cursor the proxy tracks, run `trigger` (allowed), then FETCH the name: must not read payroll. */
  const attack = async (name: string, trigger: string): Promise<void> => {
    await query('BEGIN');
    expect(kinds(await query(`DECLARE ${name} CURSOR FOR SELECT id::text FROM ru_people`))).to.deep.equal(['C', 'Z']);
    const t = await query(trigger);
    expect(kinds(t), `the triggering statement was refused: ${JSON.stringify(firstColumns(t))}`).to.not.include('E');
    const r = await query(`FETCH ALL FROM ${name}`);
    expect(
      firstColumns(r),
      'payroll amounts of a denied table read through a name decided as another query',
    ).to.not.include(PAYROLL);
    expect(kinds(r), 'a read of a denied table, decided (and audited) as the DECLAREd query').to.include('E');
    await query('ROLLBACK');
  };

  it('control: the payroll table is denied', async () => {
    const r = await query('SELECT amount_cents::text FROM payroll.salaries');
    expect(kinds(r)).to.include('E');
    expect(firstColumns(r)).to.not.include(PAYROLL);
  });
  it('a view whose definition calls the function: SELECT * FROM view reopens a tracked cursor name', async () => {
    await attack('cv', 'SELECT * FROM ru_view');
  });
  it('a column DEFAULT calling the function: INSERT reopens a tracked cursor name', async () => {
    await attack('cd', 'INSERT INTO ru_defaults (id) VALUES (1)');
  });
  it('a trigger calling the function: INSERT reopens a tracked cursor name', async () => {
    await attack('ct', 'INSERT INTO ru_triggered VALUES (1)');
  });
  it('a CHECK constraint calling the function: INSERT reopens a tracked cursor name', async () => {
    await attack('cc', 'INSERT INTO ru_checked VALUES (1)');
  });
});
