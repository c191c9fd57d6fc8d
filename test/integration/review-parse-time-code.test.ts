/**
 * Code run by messages that are not statements: PostgreSQL's parse analysis converts an array literal of a
 * domain through domain_in, which runs the domain's CHECK (here a function that closes the portal or cursor
 * "victim" and opens one over `ssn` under its name). A Parse runs it; a Describe of a statement and a Bind
 * of a cursor statement run it again when the statement's plan was invalidated. Such messages make every
 * other name stale (proxy/sql/analysis-code.ts, name-freshness.ts): in Audit mode the read gets a Describe
 * of the proxy's own, in Enforce mode an unchecked read is refused. Each test asserts that no `ssn` goes out
 * in clear. Probes of the hostile review of round 38; P2, P4b and P5b leaked before the change.
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
  await d.query(
    `CREATE FUNCTION ptc_reopen(r refcursor) RETURNS int LANGUAGE plpgsql AS $$ BEGIN CLOSE r; OPEN r FOR SELECT ssn AS a, notes AS b FROM ptc_people; RETURN 1; END $$`,
  );
  // Runs inside a domain's input function (domain_in), i.e. while PostgreSQL parses a literal of an array of it.
  await d.query(
    `CREATE FUNCTION ptc_swap() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN IF EXISTS (SELECT 1 FROM pg_catalog.pg_cursors WHERE name = 'victim') THEN PERFORM ptc_reopen('victim'); END IF; RETURN true; END $$`,
  );
  await d.query(`CREATE DOMAIN ptc_dom AS int CHECK (ptc_swap())`);
  await d.query(`GRANT SELECT ON ptc_people TO agent`).catch(() => undefined);
  await d.end();
}

const victim = (): Buffer[] => [
  fe.parse({ name: 'sv', text: 'SELECT notes, ssn FROM ptc_people' }),
  fe.bind({ portal: 'victim', statement: 'sv' }),
];
/** A Parse only: PostgreSQL's parse analysis reads the array literal through domain_in, which runs the CHECK. */
const parseSwap = (): Buffer => fe.parse({ name: 'sx', text: `SELECT '{1}'::ptc_dom[] AS x` });

for (const mode of ['Audit', 'Enforce'] as const) {
  describe(`parse-time code: code run by a Parse (domain CHECK at parse analysis), mode ${mode}`, function () {
    this.timeout(60_000);
    let s: LocalStack;
    before(async () => {
      s = await startLocalStack({ editPolicy: (p) => void (p.spec.mode = mode) });
      await seed(s);
    });
    after(async () => s?.stop());
    const session = rawPerTest(() => s);
    const query = session.query;

    it('control: PostgreSQL runs the CHECK at Parse (direct)', async () => {
      const d = await s.direct();
      await d.query('BEGIN');
      await d.query(`DECLARE victim CURSOR FOR SELECT 1`);
      await d.query({ name: 'ctl', text: `SELECT '{1}'::ptc_dom[] AS x` }).catch(() => undefined);
      const r = await d.query(`SELECT statement FROM pg_cursors WHERE name = 'victim'`);
      await d.query('ROLLBACK');
      await d.end();
      expect(String(r.rows[0]?.statement)).to.include('ssn');
    });

    it('P1 BEGIN; Parse sv, Bind victim, Describe victim, Parse sx (CHECK replaces victim), Execute victim, Sync', async () => {
      await query('BEGIN');
      session
        .raw()
        .send(
          ...victim(),
          fe.describe({ type: 'P', name: 'victim' }),
          parseSwap(),
          fe.execute({ portal: 'victim' }),
          fe.sync(),
        );
      const r = await session.raw().until('Z');
      await query('ROLLBACK');
      expect(leaked(r)).to.equal(false);
    });

    it('P2 BEGIN; Bind victim, Describe victim, Sync (plan made); Parse sx, Execute victim, Sync', async () => {
      await query('BEGIN');
      session.raw().send(...victim(), fe.describe({ type: 'P', name: 'victim' }), fe.sync());
      await session.raw().until('Z');
      session.raw().send(parseSwap(), fe.execute({ portal: 'victim' }), fe.sync());
      const r = await session.raw().until('Z');
      await query('ROLLBACK');
      expect(leaked(r)).to.equal(false);
      // Audit: the stale name gets a Describe of the proxy's own, so the new cursor's columns are planned.
      if (mode === 'Audit') expect(rows(r).join()).to.include('[redacted:ssn]');
      else expect(kinds(r)).to.include('unchecked-cursor');
    });

    it('P3 BEGIN; Bind victim, Execute victim rows=1 (plan), Parse sx, Execute victim, Sync', async () => {
      await query('BEGIN');
      session
        .raw()
        .send(
          fe.parse({ name: 'sv2', text: 'SELECT notes, ssn FROM ptc_people, generate_series(1,2)' }),
          fe.bind({ portal: 'victim', statement: 'sv2' }),
          fe.execute({ portal: 'victim', rows: 1 }),
          parseSwap(),
          fe.execute({ portal: 'victim' }),
          fe.sync(),
        );
      const r = await session.raw().until('Z');
      await query('ROLLBACK');
      expect(leaked(r)).to.equal(false);
    });
  });
}

describe('parse-time code: revalidation (re-analysis) by Describe S and by a Bind the proxy deems code-free, mode Audit', function () {
  this.timeout(60_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({ editPolicy: (p) => void (p.spec.mode = 'Audit') });
    await seed(s);
    const d = await s.direct();
    await d.query('CREATE TABLE ptc_t2 (id int)');
    await d.query('GRANT ALL ON ptc_t2 TO agent').catch(() => undefined);
    await d.end();
  });
  after(async () => s?.stop());
  const session = rawPerTest(() => s);
  const query = session.query;

  const prologue = async (stmt: string): Promise<void> => {
    await query('BEGIN');
    // Parsed before victim exists (the CHECK does nothing), then invalidated by DDL (counted).
    session.raw().send(fe.parse({ name: 'sd', text: stmt }), fe.sync());
    expect(kinds(await session.raw().until('Z'))).to.equal('1 Z');
    expect(kinds(await query('ALTER TABLE ptc_t2 ADD COLUMN z int'))).to.equal('C Z');
  };

  it('P4 Parse sd (domain literal), ALTER; Bind victim, Describe victim, Describe S sd, Execute victim, Sync', async () => {
    await prologue(`SELECT '{1}'::ptc_dom[] AS x FROM ptc_t2`);
    session
      .raw()
      .send(
        ...victim(),
        fe.describe({ type: 'P', name: 'victim' }),
        fe.describe({ type: 'S', name: 'sd' }),
        fe.execute({ portal: 'victim' }),
        fe.sync(),
      );
    const r = await session.raw().until('Z');
    await query('ROLLBACK');
    expect(leaked(r)).to.equal(false);
  });

  it('P5 Parse sd (DECLARE with domain literal), ALTER; Bind victim, Describe victim, Bind pd sd, Execute victim, Sync', async () => {
    await prologue(`DECLARE c38 CURSOR FOR SELECT '{1}'::ptc_dom[] AS x FROM ptc_t2`);
    session
      .raw()
      .send(
        ...victim(),
        fe.describe({ type: 'P', name: 'victim' }),
        fe.bind({ portal: 'pd', statement: 'sd' }),
        fe.execute({ portal: 'victim' }),
        fe.sync(),
      );
    const r = await session.raw().until('Z');
    await query('ROLLBACK');
    expect(leaked(r)).to.equal(false);
  });
  it('P4b plan made first (Describe, Flush): then Describe S sd, Execute victim, Sync', async () => {
    await prologue(`SELECT '{1}'::ptc_dom[] AS x FROM ptc_t2`);
    session.raw().send(...victim(), fe.describe({ type: 'P', name: 'victim' }), fe.flush());
    await session.raw().until('T');
    session.raw().send(fe.describe({ type: 'S', name: 'sd' }), fe.execute({ portal: 'victim' }), fe.sync());
    const r = await session.raw().until('Z');
    await query('ROLLBACK');
    expect(leaked(r)).to.equal(false);
  });

  it('P5b plan made first (Describe, Flush): then Bind pd sd (DECLARE), Execute victim, Sync', async () => {
    await prologue(`DECLARE c38 CURSOR FOR SELECT '{1}'::ptc_dom[] AS x FROM ptc_t2`);
    session.raw().send(...victim(), fe.describe({ type: 'P', name: 'victim' }), fe.flush());
    await session.raw().until('T');
    session.raw().send(fe.bind({ portal: 'pd', statement: 'sd' }), fe.execute({ portal: 'victim' }), fe.sync());
    const r = await session.raw().until('Z');
    await query('ROLLBACK');
    expect(leaked(r)).to.equal(false);
  });
});

for (const mode of ['Audit', 'Enforce'] as const) {
  describe(`parse-time code: a FETCH portal's row type is fixed at Bind (PortalStart), mode ${mode}`, function () {
    this.timeout(60_000);
    let s: LocalStack;
    before(async () => {
      s = await startLocalStack({ editPolicy: (p) => void (p.spec.mode = mode) });
      await seed(s);
    });
    after(async () => s?.stop());
    const session = rawPerTest(() => s);
    const query = session.query;

    it('F1 DECLARE victim(notes,ssn); Parse FETCH ALL IN victim, Bind pf, [code replaces victim], Execute pf, Sync', async () => {
      await query('BEGIN');
      expect(kinds(await query('DECLARE victim CURSOR FOR SELECT notes, ssn FROM ptc_people'))).to.equal('C Z');
      session
        .raw()
        .send(
          fe.parse({ name: 'sf', text: 'FETCH ALL IN victim' }),
          fe.bind({ portal: 'pf', statement: 'sf' }),
          fe.parse({ name: 'sq', text: `SELECT ptc_reopen('victim')` }),
          fe.bind({ portal: 'pq', statement: 'sq' }),
          fe.execute({ portal: 'pq' }),
          fe.execute({ portal: 'pf' }),
          fe.sync(),
        );
      const r = await session.raw().until('Z');
      await query('ROLLBACK');
      expect(leaked(r)).to.equal(false);
    });

    it('F2 same, the replacement by a Parse (domain CHECK, uncounted)', async () => {
      await query('BEGIN');
      await query('DECLARE victim CURSOR FOR SELECT notes, ssn FROM ptc_people');
      session
        .raw()
        .send(
          fe.parse({ name: 'sf', text: 'FETCH ALL IN victim' }),
          fe.bind({ portal: 'pf', statement: 'sf' }),
          parseSwap(),
          fe.execute({ portal: 'pf' }),
          fe.sync(),
        );
      const r = await session.raw().until('Z');
      await query('ROLLBACK');
      expect(leaked(r)).to.equal(false);
    });
  });
}
