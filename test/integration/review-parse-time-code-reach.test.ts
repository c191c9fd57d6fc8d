/**
 * Parse analysis run by messages that are not statements, beyond literals of unknown type
 * (review-parse-time-code.test.ts): a type modifier's typmod_in (M*), a Describe of `EXECUTE p` or of a FETCH
 * from a portal of it, which re-analyses p (X*, D*), and plans invalidated by the agent alone (`SET
 * search_path`, `DISCARD PLANS`). Each asserts that no `ssn` value goes out in clear. M1-M3 and X1-X4 are
 * the hostile review of round 39, D1-D2 follow from its finding; FP1 is the price of the rule in Enforce
 * mode: a statement prepared mid-pipeline that may run code leaves the cursor read after it unchecked.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { rawPerTest } from '../support/vetted-functions.js';
import { fe, type RawMessage } from '../support/raw-client.js';
import { dataRows, messageTrace, rowsHold } from '../support/leak-probe.js';

const SECRET = 'plain-secret-77';
const rows = dataRows;
const leaked = (ms: RawMessage[]): boolean => rowsHold(ms, SECRET);
const kinds = messageTrace;

async function seed(s: LocalStack): Promise<void> {
  const d = await s.direct();
  await d.query('CREATE TABLE ptc_people (id int, ssn text, notes text)');
  await d.query(`INSERT INTO ptc_people VALUES (1, '${SECRET}', 'prefers-invoices-by-mail')`);
  await d.query('CREATE TABLE ptc_t2 (id int)');
  await d.query(
    `CREATE FUNCTION ptc_reopen(r refcursor) RETURNS int LANGUAGE plpgsql AS $$ BEGIN CLOSE r; OPEN r FOR SELECT ssn AS a, notes AS b FROM ptc_people; RETURN 1; END $$`,
  );
  await d.query(
    `CREATE FUNCTION ptc_swap() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN IF EXISTS (SELECT 1 FROM pg_catalog.pg_cursors WHERE name = 'victim') THEN PERFORM ptc_reopen('victim'); END IF; RETURN true; END $$`,
  );
  await d.query(`CREATE DOMAIN ptc_dom AS int CHECK (ptc_swap())`);
  await d.end();
  // A base type whose typmod_in is PL/pgSQL (the owner's code already in the database; needs superuser once).
  const a = s.postgres.client('billing');
  await a.connect();
  await a.query('CREATE TYPE r39_mod');
  await a.query(`CREATE FUNCTION r39_mod_in(cstring) RETURNS r39_mod LANGUAGE internal IMMUTABLE STRICT AS 'int4in'`);
  await a.query(`CREATE FUNCTION r39_mod_out(r39_mod) RETURNS cstring LANGUAGE internal IMMUTABLE STRICT AS 'int4out'`);
  await a.query(
    `CREATE FUNCTION r39_mod_typmodin(cstring[]) RETURNS int LANGUAGE plpgsql AS $$ BEGIN PERFORM ptc_swap(); RETURN 1; END $$`,
  );
  await a.query(
    `CREATE TYPE r39_mod (INPUT = r39_mod_in, OUTPUT = r39_mod_out, LIKE = int4, TYPMOD_IN = r39_mod_typmodin)`,
  );
  await a.query('CREATE CAST (int AS r39_mod) WITHOUT FUNCTION');
  await a.end();
}

/** Invalidates every plan over ptc_t2 from another session (a migration, or the owner), outside the agent's transaction. */
async function invalidate(s: LocalStack, column: string): Promise<void> {
  const a = s.postgres.client('billing');
  await a.connect();
  await a.query(`ALTER TABLE ptc_t2 ADD COLUMN ${column} int`);
  await a.end();
}

const victim = (): Buffer[] => [
  fe.parse({ name: 'sv', text: 'SELECT notes, ssn FROM ptc_people' }),
  fe.bind({ portal: 'victim', statement: 'sv' }),
];

for (const mode of ['Audit', 'Enforce'] as const) {
  describe(`parse-time code beyond literals, mode ${mode}`, function () {
    this.timeout(60_000);
    let s: LocalStack;
    let n = 0;
    before(async () => {
      s = await startLocalStack({ editPolicy: (p) => void (p.spec.mode = mode) });
      await seed(s);
    });
    after(async () => s?.stop());
    const session = rawPerTest(() => s);
    const query = session.query;
    // Plans invalidated by the agent alone: a search_path change (Audit; Enforce pins search_path) or DISCARD PLANS.
    const agentInvalidates = mode === 'Audit' ? 'SET search_path TO public, pg_catalog' : 'DISCARD PLANS';

    it('control: PostgreSQL runs the PL/pgSQL typmod_in at Parse of `SELECT 1::r39_mod(1)` (direct)', async () => {
      const d = await s.direct();
      await d.query('BEGIN');
      await d.query(`DECLARE victim CURSOR FOR SELECT 1`);
      await d.query({ name: 'ctl', text: `SELECT 1::r39_mod(1) AS x` }).catch(() => undefined);
      const r = await d.query(`SELECT statement FROM pg_cursors WHERE name = 'victim'`);
      await d.query('ROLLBACK');
      await d.end();
      expect(String(r.rows[0]?.statement)).to.include('ssn');
    });

    it('M1 BEGIN; Bind victim, Describe victim, Sync (plan); Parse `SELECT 1::r39_mod(1)` (typmod_in replaces victim), Execute victim, Sync', async () => {
      await query('BEGIN');
      session.raw().send(...victim(), fe.describe({ type: 'P', name: 'victim' }), fe.sync());
      await session.raw().until('Z');
      session
        .raw()
        .send(fe.parse({ name: 'sm', text: 'SELECT 1::r39_mod(1) AS x' }), fe.execute({ portal: 'victim' }), fe.sync());
      const r = await session.raw().until('Z');
      await query('ROLLBACK');
      expect(leaked(r)).to.equal(false);
    });

    it('M2 Parse sd `DECLARE c39 CURSOR FOR SELECT 1::r39_mod(1) FROM ptc_t2`, (other session) ALTER ptc_t2; BEGIN; Bind victim, Describe victim, Flush; Bind pd sd (re-analysis), Execute victim, Sync', async () => {
      session
        .raw()
        .send(
          fe.parse({ name: 'sd', text: 'DECLARE c39 CURSOR FOR SELECT 1::r39_mod(1) AS x FROM ptc_t2' }),
          fe.sync(),
        );
      expect(kinds(await session.raw().until('Z'))).to.equal('1 Z');
      await invalidate(s, `m2_${n++}`);
      await query('BEGIN');
      session.raw().send(...victim(), fe.describe({ type: 'P', name: 'victim' }), fe.flush());
      await session.raw().until('T');
      session.raw().send(fe.bind({ portal: 'pd', statement: 'sd' }), fe.execute({ portal: 'victim' }), fe.sync());
      const r = await session.raw().until('Z');
      await query('ROLLBACK');
      expect(leaked(r)).to.equal(false);
    });

    it('M3 Parse sd `SELECT 1::r39_mod(1) FROM ptc_t2`, (other session) ALTER ptc_t2; BEGIN; Bind victim, Describe victim, Flush; Describe S sd (re-analysis), Execute victim, Sync', async () => {
      session.raw().send(fe.parse({ name: 'sd3', text: 'SELECT 1::r39_mod(1) AS x FROM ptc_t2' }), fe.sync());
      expect(kinds(await session.raw().until('Z'))).to.equal('1 Z');
      await invalidate(s, `m3_${n++}`);
      await query('BEGIN');
      session.raw().send(...victim(), fe.describe({ type: 'P', name: 'victim' }), fe.flush());
      await session.raw().until('T');
      session.raw().send(fe.describe({ type: 'S', name: 'sd3' }), fe.execute({ portal: 'victim' }), fe.sync());
      const r = await session.raw().until('Z');
      await query('ROLLBACK');
      expect(leaked(r)).to.equal(false);
    });

    it('X1 PREPARE p39 AS SELECT domain literal FROM ptc_t2; Parse se `EXECUTE p39`; (other session) ALTER; BEGIN; Bind victim, Describe victim, Flush; Describe S se (re-analyses p39), Execute victim, Sync', async () => {
      const p = `p39_${n++}`;
      expect(kinds(await query(`PREPARE ${p} AS SELECT '{1}'::ptc_dom[] AS x FROM ptc_t2`))).to.equal('C Z');
      session.raw().send(fe.parse({ name: 'se', text: `EXECUTE ${p}` }), fe.sync());
      expect(kinds(await session.raw().until('Z'))).to.equal('1 Z');
      await invalidate(s, `x1_${n++}`);
      await query('BEGIN');
      session.raw().send(...victim(), fe.describe({ type: 'P', name: 'victim' }), fe.flush());
      await session.raw().until('T');
      session.raw().send(fe.describe({ type: 'S', name: 'se' }), fe.execute({ portal: 'victim' }), fe.sync());
      const r = await session.raw().until('Z');
      await query('ROLLBACK');
      expect(leaked(r)).to.equal(false);
    });

    it('X2 as X1, invalidated by the agent alone (SET search_path / DISCARD PLANS, no DDL): PREPARE p; Parse se `EXECUTE p`; SET search_path|DISCARD PLANS; BEGIN; Bind victim, Describe victim, Flush; Describe S se, Execute victim, Sync', async () => {
      const p = `p39_${n++}`;
      expect(kinds(await query(`PREPARE ${p} AS SELECT '{1}'::ptc_dom[] AS x FROM ptc_t2`))).to.equal('C Z');
      session.raw().send(fe.parse({ name: 'se2', text: `EXECUTE ${p}` }), fe.sync());
      expect(kinds(await session.raw().until('Z'))).to.equal('1 Z');
      expect(kinds(await query(agentInvalidates))).to.match(/^C (S )?Z$/);
      await query('BEGIN');
      session.raw().send(...victim(), fe.describe({ type: 'P', name: 'victim' }), fe.flush());
      await session.raw().until('T');
      session.raw().send(fe.describe({ type: 'S', name: 'se2' }), fe.execute({ portal: 'victim' }), fe.sync());
      const r = await session.raw().until('Z');
      await query('ROLLBACK');
      expect(leaked(r)).to.equal(false);
    });

    it('X3 as M3, invalidated by the agent alone (SET search_path / DISCARD PLANS): Parse sd `SELECT 1::r39_mod(1)`; SET search_path|DISCARD PLANS; BEGIN; Bind victim, Describe victim, Flush; Describe S sd, Execute victim, Sync', async () => {
      session.raw().send(fe.parse({ name: 'sd4', text: 'SELECT 1::r39_mod(1) AS x' }), fe.sync());
      expect(kinds(await session.raw().until('Z'))).to.equal('1 Z');
      expect(kinds(await query(agentInvalidates))).to.match(/^C (S )?Z$/);
      await query('BEGIN');
      session.raw().send(...victim(), fe.describe({ type: 'P', name: 'victim' }), fe.flush());
      await session.raw().until('T');
      session.raw().send(fe.describe({ type: 'S', name: 'sd4' }), fe.execute({ portal: 'victim' }), fe.sync());
      const r = await session.raw().until('Z');
      await query('ROLLBACK');
      expect(leaked(r)).to.equal(false);
    });

    it('X4 Describe S of `FETCH ALL FROM pe` (pe a portal of `EXECUTE p`) re-analyses p: PREPARE p; BEGIN; Parse se `EXECUTE p`, Bind pe, Parse sf `FETCH ALL FROM pe`, Sync; invalidate; Bind victim, Describe victim, Flush; Describe S sf, Execute victim, Sync', async () => {
      const p = `p39_${n++}`;
      expect(kinds(await query(`PREPARE ${p} AS SELECT '{1}'::ptc_dom[] AS x FROM ptc_t2`))).to.equal('C Z');
      await query('BEGIN');
      session
        .raw()
        .send(
          fe.parse({ name: 'se4', text: `EXECUTE ${p}` }),
          fe.bind({ portal: 'pe', statement: 'se4' }),
          fe.parse({ name: 'sf4', text: 'FETCH ALL FROM pe' }),
          fe.sync(),
        );
      expect(kinds(await session.raw().until('Z'))).to.equal('1 2 1 Z');
      expect(kinds(await query(agentInvalidates))).to.match(/^C (S )?Z$/);
      session.raw().send(...victim(), fe.describe({ type: 'P', name: 'victim' }), fe.flush());
      await session.raw().until('T');
      session.raw().send(fe.describe({ type: 'S', name: 'sf4' }), fe.execute({ portal: 'victim' }), fe.sync());
      const r = await session.raw().until('Z');
      await query('ROLLBACK');
      expect(leaked(r)).to.equal(false);
    });

    // PostgreSQL describes a portal with its target list (FetchPortalTargetList): for a portal of `EXECUTE p`,
    // and for one of a FETCH from such a portal, that is p's, which is re-analysed if p's plan was invalidated.
    for (const [id, via] of [
      ['D1', 'pe'],
      ['D2', 'pf'],
    ] as const)
      it(`${id} Describe P of a portal of ${via === 'pe' ? '`EXECUTE p`' : '`FETCH ALL FROM pe`, pe a portal of `EXECUTE p`'} re-analyses p: PREPARE p; BEGIN; Parse/Bind pe (and pf); invalidate; Bind victim, Describe victim, Flush; Describe P ${via}, Execute victim, Sync`, async () => {
        const p = `p39_${n++}`;
        expect(kinds(await query(`PREPARE ${p} AS SELECT '{1}'::ptc_dom[] AS x FROM ptc_t2`))).to.equal('C Z');
        await query('BEGIN');
        session
          .raw()
          .send(
            fe.parse({ name: 'sed', text: `EXECUTE ${p}` }),
            fe.bind({ portal: 'pe', statement: 'sed' }),
            fe.parse({ name: 'sfd', text: 'FETCH ALL FROM pe' }),
            fe.bind({ portal: 'pf', statement: 'sfd' }),
            fe.sync(),
          );
        expect(kinds(await session.raw().until('Z'))).to.equal('1 2 1 2 Z');
        expect(kinds(await query(agentInvalidates))).to.match(/^C (S )?Z$/);
        session.raw().send(...victim(), fe.describe({ type: 'P', name: 'victim' }), fe.flush());
        await session.raw().until('T');
        session.raw().send(fe.describe({ type: 'P', name: via }), fe.execute({ portal: 'victim' }), fe.sync());
        const r = await session.raw().until('Z');
        await query('ROLLBACK');
        expect(leaked(r)).to.equal(false);
      });
  });
}

describe('parse-time code: a statement prepared mid-pipeline that may run code, mode Enforce', function () {
  this.timeout(60_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({ editPolicy: (p) => void (p.spec.mode = 'Enforce') });
    await seed(s);
  });
  after(async () => s?.stop());
  const session = rawPerTest(() => s);
  const query = session.query;
  const fetch = (): Buffer[] => [
    fe.parse({ name: '', text: 'FETCH 1 FROM c' }),
    fe.bind({ portal: '', statement: '' }),
    fe.describe({ type: 'P', name: '' }),
    fe.execute({ portal: '' }),
  ];
  const pipeline = async (prepared: string): Promise<RawMessage[]> => {
    await query('BEGIN');
    expect(kinds(await query('DECLARE c CURSOR FOR SELECT id, notes FROM ptc_people, generate_series(1,3)'))).to.equal(
      'C Z',
    );
    session
      .raw()
      .send(
        ...fetch(),
        fe.parse({ name: 's2', text: prepared }),
        fe.describe({ type: 'S', name: 's2' }),
        ...fetch(),
        fe.sync(),
      );
    const r = await session.raw().until('Z');
    await query('ROLLBACK');
    return r;
  };

  it('FP1 FETCH 1 FROM c; Parse + Describe S of a statement with a string literal; FETCH 1 FROM c; Sync: the second FETCH is refused as unchecked', async () => {
    const r = await pipeline(`SELECT notes FROM ptc_people WHERE notes <> 'x'`);
    expect(rows(r)).to.have.length(1);
    expect(kinds(r)).to.include('unchecked-cursor');
  });

  it('the same pipeline with a statement whose analysis runs no code reads both rows (FETCHes of a fresh declared cursor, Describes of their portals)', async () => {
    const r = await pipeline('SELECT notes FROM ptc_people WHERE id = $1');
    expect(kinds(r)).not.to.include('E(');
    expect(rows(r)).to.have.length(2);
  });
});
