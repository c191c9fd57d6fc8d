/**
 * Review of user-code.ts, second set: more places where PostgreSQL runs the vetted function without a call
 * in the agent's statement or in the query a FETCH reads — a cursor DECLAREd over a view that calls it, a
 * protocol portal over such a view, a domain CHECK, a generated column, a user-defined operator. The function
 * closes a cursor the proxy tracks and reopens its name over payroll.salaries (denied): the next FETCH of
 * that name must be refused, not decided as the DECLAREd query with the amounts in clear.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { allowFunctions, rawPerTest } from '../support/vetted-functions.js';
import { fe, type RawMessage, messageKinds, firstColumns } from '../support/raw-client.js';

const kinds = (ms: RawMessage[]): string[] => messageKinds(ms);
const PAYROLL = '12000000';

describe('review usercode: user code run indirectly reopens a tracked cursor name (real PostgreSQL)', function () {
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({ editPolicy: allowFunctions(['ri_reopen']) });
    const d = await s.direct();
    await d.query('CREATE TABLE ri_people (id int)');
    await d.query('INSERT INTO ri_people VALUES (1)');
    await d.query(
      `CREATE FUNCTION ri_reopen(r refcursor) RETURNS int LANGUAGE plpgsql AS $$ BEGIN CLOSE r; OPEN r FOR SELECT amount_cents FROM payroll.salaries; RETURN 1; END $$`,
    );
    await d.query(`CREATE VIEW ri_view AS SELECT ri_reopen('cv') AS n`);
    await d.query(`CREATE VIEW ri_view_p AS SELECT ri_reopen('cp') AS n`);
    await d.query(`CREATE DOMAIN ri_dom AS int CHECK (ri_reopen('cm') = 1)`);
    await d.query('CREATE TABLE ri_domained (id ri_dom)');
    await d.query(
      `CREATE FUNCTION ri_reopen_imm(r refcursor) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN RETURN ri_reopen(r); END $$`,
    );
    await d.query(
      `CREATE TABLE ri_generated (id int, n int GENERATED ALWAYS AS (ri_reopen_imm(CASE WHEN id IS NULL THEN 'cgn' ELSE 'cg' END::refcursor) + id) STORED)`,
    );
    await d.query(
      `CREATE FUNCTION ri_op(a int, b int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN ri_reopen('co'); END $$`,
    );
    await d.query('CREATE OPERATOR ### (LEFTARG = int, RIGHTARG = int, FUNCTION = ri_op)');
    await d.end();
  });
  after(async () => s?.stop());
  const session = rawPerTest(() => s);
  const query = session.query;
  const declareVictim = async (name: string): Promise<void> => {
    expect(kinds(await query(`DECLARE ${name} CURSOR FOR SELECT id::text FROM ri_people`))).to.deep.equal(['C', 'Z']);
  };
  const fetchRefused = async (name: string): Promise<void> => {
    const r = await query(`FETCH ALL FROM ${name}`);
    expect(
      firstColumns(r),
      'payroll amounts of a denied table read through a name decided as another query',
    ).to.not.include(PAYROLL);
    expect(kinds(r), 'a read of a denied table, decided (and audited) as the DECLAREd query').to.include('E');
  };
  const attack = async (name: string, trigger: string): Promise<void> => {
    await query('BEGIN');
    await declareVictim(name);
    const t = await query(trigger);
    expect(kinds(t), `the triggering statement was refused`).to.not.include('E');
    await fetchRefused(name);
    await query('ROLLBACK');
  };

  it('a cursor DECLAREd over a view that calls the function: its FETCH reopens another tracked name', async () => {
    await query('BEGIN');
    expect(kinds(await query('DECLARE ri_over_view CURSOR FOR SELECT * FROM ri_view'))).to.deep.equal(['C', 'Z']);
    await declareVictim('cv');
    expect(kinds(await query('FETCH ALL FROM ri_over_view'))).to.not.include('E');
    await fetchRefused('cv');
    await query('ROLLBACK');
  });
  it('a protocol portal over a view that calls the function: its Execute reopens another tracked name', async () => {
    await query('BEGIN');
    await declareVictim('cp');
    session
      .raw()
      .send(
        fe.parse({ name: 'ri_st', text: 'SELECT * FROM ri_view_p' }),
        fe.bind({ portal: 'ri_portal', statement: 'ri_st' }),
        fe.execute({ portal: 'ri_portal' }),
        fe.sync(),
      );
    expect(kinds(await session.raw().until('Z'))).to.not.include('E');
    await fetchRefused('cp');
    await query('ROLLBACK');
  });
  it('a domain CHECK calling the function: INSERT reopens a tracked name', async () => {
    await attack('cm', 'INSERT INTO ri_domained VALUES (1)');
  });
  it('a generated column calling the function: INSERT reopens a tracked name', async () => {
    await attack('cg', 'INSERT INTO ri_generated (id) VALUES (1)');
  });
  it('a user-defined operator whose function calls it: SELECT 1 ### 2 reopens a tracked name', async () => {
    await attack('co', 'SELECT 1 ### 2');
  });
});
