/**
 * The backstop for names replaced by code the proxy cannot see (name-freshness.ts, server-cursor-check.ts):
 * a portal or cursor read after other statements ran is decided as what the proxy knew only once the
 * server's pg_cursors shows that object still there. Attacks: the read later in the same Query or the
 * same pipeline (where no check can be sent), a replaced name (refused and recorded). What must keep
 * working: interleaved cursors, WITH HOLD cursors across COMMIT, a cursor declared through Parse, a
 * suspended portal resumed after other queries — and the agent's unnamed statement survives the check.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { allowFunctions, rawPerTest } from '../support/vetted-functions.js';
import { auditRecords } from '../support/audit-records.js';
import { fe, firstColumns, type RawMessage, messageKinds } from '../support/raw-client.js';

const kinds = (ms: RawMessage[]): string[] => messageKinds(ms, { notices: false });
const cells = firstColumns;
const errorOf = (ms: RawMessage[]): string => ms.find((m) => m.type === 'E')?.error?.message ?? '';
const PAYROLL = '12000000';

describe('attack: portal and cursor names read after other statements ran (real PostgreSQL)', function () {
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({ editPolicy: allowFunctions(['sn_reopen']) });
    const d = await s.direct();
    await d.query('CREATE TABLE sn_people (id int, code int)');
    await d.query('INSERT INTO sn_people SELECT i, i * 10 FROM generate_series(1, 5) i');
    await d.query(
      `CREATE FUNCTION sn_reopen(r refcursor) RETURNS int LANGUAGE plpgsql AS $$ BEGIN CLOSE r; OPEN r FOR SELECT amount_cents::text FROM payroll.salaries; RETURN 1; END $$`,
    );
    await d.query(`CREATE VIEW sn_view AS SELECT sn_reopen('victim') AS n`);
    await d.end();
  });
  after(async () => s?.stop());
  const session = rawPerTest(() => s);
  const query = session.query;
  const declareVictim = async (): Promise<void> => {
    expect(kinds(await query('DECLARE victim CURSOR FOR SELECT id FROM sn_people'))).to.deep.equal(['C', 'Z']);
  };

  it('a FETCH after the view in the same Query: refused where no check can be sent, and recorded', async () => {
    await query('BEGIN');
    await declareVictim();
    const r = await query('SELECT * FROM sn_view; FETCH ALL FROM victim');
    expect(cells(r)).to.not.include(PAYROLL);
    expect(errorOf(r)).to.contain('cursor "victim" is read after other statements ran');
    await query('ROLLBACK');
    const rec = auditRecords(s).findLast((x) => x.rule?.name === 'unchecked-cursor');
    expect(rec?.statement?.text ?? rec?.db?.query?.text ?? JSON.stringify(rec)).to.contain('FETCH ALL FROM victim');
  });

  it('a replaced name is refused as replaced, recorded, and unknown from then on', async () => {
    await query('BEGIN');
    await declareVictim();
    expect(kinds(await query('SELECT * FROM sn_view'))).to.not.include('E');
    const r = await query('FETCH ALL FROM victim');
    expect(cells(r)).to.not.include(PAYROLL);
    expect(errorOf(r)).to.contain('cursor "victim" is no longer the one agentgate decided');
    await query('ROLLBACK');
    expect(auditRecords(s).some((x) => x.rule?.name === 'replaced-cursor')).to.equal(true);
    await query('BEGIN');
    await declareVictim();
    await query('SELECT * FROM sn_view');
    await query('FETCH 1 FROM victim'); // replaced: refused; the transaction is aborted
    await query('ROLLBACK');
    await query('BEGIN');
    const again = await query('FETCH 1 FROM victim');
    expect(errorOf(again)).to.match(/victim/);
    await query('ROLLBACK');
  });

  it('a protocol portal the view replaced: its Execute after a Sync is refused as replaced', async () => {
    await query('BEGIN');
    session
      .raw()
      .send(
        fe.parse({ name: 'sn_v', text: 'SELECT id FROM sn_people ORDER BY id' }),
        fe.bind({ portal: 'victim', statement: 'sn_v' }),
        fe.sync(),
      );
    expect(kinds(await session.raw().until('Z'))).to.deep.equal(['1', '2', 'Z']);
    expect(kinds(await query('SELECT * FROM sn_view'))).to.not.include('E');
    session.raw().send(fe.execute({ portal: 'victim' }), fe.sync());
    const r = await session.raw().until('Z');
    expect(cells(r)).to.not.include(PAYROLL);
    expect(errorOf(r)).to.contain(
      'denied by rule "replaced-cursor": cursor "victim" is no longer the one agentgate decided',
    );
    await query('ROLLBACK');
  });

  it('an Execute of a stale portal later in the same pipeline is refused; after a Sync it is checked and runs', async () => {
    await query('BEGIN');
    session
      .raw()
      .send(
        fe.parse({ name: 'sn_s', text: 'SELECT id FROM sn_people ORDER BY id' }),
        fe.bind({ portal: 'sn_p', statement: 'sn_s' }),
        fe.execute({ portal: 'sn_p', rows: 1 }),
        fe.parse({ name: 'sn_other', text: 'SELECT 1' }),
        fe.bind({ portal: 'sn_o', statement: 'sn_other' }),
        fe.execute({ portal: 'sn_o' }),
        fe.execute({ portal: 'sn_p', rows: 1 }),
        fe.sync(),
      );
    const piped = await session.raw().until('Z');
    expect(errorOf(piped)).to.contain('cursor "sn_p" is read after other statements ran');
    await query('ROLLBACK');

    await query('BEGIN');
    session
      .raw()
      .send(fe.bind({ portal: 'sn_p', statement: 'sn_s' }), fe.execute({ portal: 'sn_p', rows: 1 }), fe.sync());
    expect(cells(await session.raw().until('Z'))).to.deep.equal(['1']);
    expect(cells(await query('SELECT 42'))).to.deep.equal(['42']);
    session.raw().send(fe.execute({ portal: 'sn_p', rows: 2 }), fe.sync());
    expect(cells(await session.raw().until('Z'))).to.deep.equal(['2', '3']);
    await query('COMMIT');
  });

  it('interleaved cursors, each read after the other ran: checked, and read in full', async () => {
    await query('BEGIN');
    await query('DECLARE a CURSOR FOR SELECT id FROM sn_people ORDER BY id');
    await query(`DECLARE b CURSOR FOR SELECT code FROM sn_people ORDER BY id`);
    const got: string[] = [];
    for (let i = 0; i < 3; i++) {
      got.push(...cells(await query('FETCH 1 FROM a')));
      got.push(...cells(await query('MOVE 0 FROM b; FETCH 1 FROM b')));
    }
    expect(got).to.deep.equal(['1', '10', '2', '20', '3', '30']);
    await query('COMMIT');
  });

  it('a WITH HOLD cursor after COMMIT and other statements, and one declared through Parse: checked, and read', async () => {
    await query('BEGIN');
    await query('DECLARE held CURSOR WITH HOLD FOR SELECT id FROM sn_people ORDER BY id');
    await query('COMMIT');
    await query('SELECT 1');
    expect(cells(await query('FETCH 2 FROM held'))).to.deep.equal(['1', '2']);
    session
      .raw()
      .send(
        fe.parse({ text: 'DECLARE parsed CURSOR WITH HOLD FOR SELECT id FROM sn_people ORDER BY id DESC' }),
        fe.bind({}),
        fe.execute({}),
        fe.sync(),
      );
    expect(kinds(await session.raw().until('Z'))).to.deep.equal(['1', '2', 'C', 'Z']);
    await query('SELECT 2');
    expect(cells(await query('FETCH 1 FROM parsed'))).to.deep.equal(['5']);
    await query('CLOSE held; CLOSE parsed');
  });

  it("the check leaves the agent's unnamed statement, and its transaction, as they were", async () => {
    await query('BEGIN');
    session
      .raw()
      .send(
        fe.parse({ text: 'SELECT id FROM sn_people WHERE id = $1' }),
        fe.bind({ portal: 'kept', statement: '', values: ['4'] }),
        fe.sync(),
      );
    await session.raw().until('Z');
    session
      .raw()
      .send(
        fe.parse({ name: 'sn_two', text: 'SELECT 2' }),
        fe.bind({ statement: 'sn_two' }),
        fe.execute({}),
        fe.sync(),
      );
    await session.raw().until('Z');
    session.raw().send(fe.execute({ portal: 'kept' }), fe.sync()); // stale: checked first
    const first = await session.raw().until('Z');
    expect(cells(first)).to.deep.equal(['4']);
    expect(first.at(-1)!.body[0]).to.equal('T'.charCodeAt(0)); // still in the agent's transaction
    session.raw().send(fe.bind({ statement: '', values: ['5'] }), fe.execute({}), fe.sync()); // the unnamed statement is still there
    expect(cells(await session.raw().until('Z'))).to.deep.equal(['5']);
    await query('COMMIT');
  });

  it('in an aborted transaction the read is refused (the check cannot run); the session goes on', async () => {
    await query('BEGIN');
    await declareVictim();
    await query('SELECT 1/0');
    const r = await query('FETCH 1 FROM victim');
    expect(kinds(r)).to.include('E');
    await query('ROLLBACK');
    expect(cells(await query('SELECT 7'))).to.deep.equal(['7']);
  });
});
