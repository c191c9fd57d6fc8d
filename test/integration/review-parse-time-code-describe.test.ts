/**
 * A Describe whose target list re-analyses another statement (a portal of `EXECUTE p`, a FETCH from one)
 * may run code that replaces the described portal itself; PostgreSQL then describes the new portal. The
 * portal goes stale with the others, and a plan made from such a Describe treats its columns' lineage as
 * unknown (name-reach.ts describeRunsCode). Probes of the hostile review of round 40; each asserts that no
 * `ssn` value goes out in clear. FP2: a FETCH from a fresh portal of a plain query reaches no code.
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
  await d.query('CREATE TABLE r40_people (id int, ssn text, notes text)');
  await d.query(`INSERT INTO r40_people VALUES (1, '${SECRET}', 'prefers-invoices-by-mail')`);
  await d.query('CREATE TABLE r40_t2 (id int)');
  await d.query(
    `CREATE FUNCTION r40_reopen(r refcursor) RETURNS int LANGUAGE plpgsql AS $$ BEGIN CLOSE r; OPEN r FOR SELECT ssn AS a, notes AS b FROM r40_people; RETURN 1; END $$`,
  );
  // Reopens the named portal/cursor if it exists (a CHECK: runs at parse analysis of an array literal of the domain).
  await d.query(
    `CREATE FUNCTION r40_swap(n text) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN IF EXISTS (SELECT 1 FROM pg_catalog.pg_cursors WHERE name = n) THEN PERFORM r40_reopen(n::refcursor); END IF; RETURN true; END $$`,
  );
  for (const n of ['victim', 'pe40', 'pf40']) await d.query(`CREATE DOMAIN r40_${n} AS int CHECK (r40_swap('${n}'))`);
  await d.end();
}

async function invalidate(s: LocalStack, column: string): Promise<void> {
  const a = s.postgres.client('billing');
  await a.connect();
  await a.query(`ALTER TABLE r40_t2 ADD COLUMN ${column} int`);
  await a.end();
}

for (const mode of ['Audit', 'Enforce'] as const) {
  describe(`parse-time code, Describe P whose re-analysis replaces the described portal itself, mode ${mode}`, function () {
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

    it('A1 PREPARE p (literal of a domain whose CHECK reopens pe40); invalidate; BEGIN; Parse se `EXECUTE p`, Bind pe40, Describe P pe40, Execute pe40, Sync', async () => {
      const p = `p40_${n++}`;
      expect(kinds(await query(`PREPARE ${p} AS SELECT '{1}'::r40_pe40[] AS x FROM r40_t2`))).to.equal('C Z');
      await invalidate(s, `a1_${n++}`);
      await query('BEGIN');
      session
        .raw()
        .send(
          fe.parse({ name: 'se', text: `EXECUTE ${p}` }),
          fe.bind({ portal: 'pe40', statement: 'se' }),
          fe.describe({ type: 'P', name: 'pe40' }),
          fe.execute({ portal: 'pe40' }),
          fe.sync(),
        );
      const r = await session.raw().until('Z');
      await query('ROLLBACK');
      expect(leaked(r)).to.equal(false);
    });

    it('A1b as A1, invalidated by the agent alone (SET search_path / DISCARD PLANS before BEGIN)', async () => {
      const p = `p40_${n++}`;
      expect(kinds(await query(`PREPARE ${p} AS SELECT '{1}'::r40_pe40[] AS x FROM r40_t2`))).to.equal('C Z');
      expect(kinds(await query(mode === 'Audit' ? 'SET search_path TO public, pg_catalog' : 'DISCARD PLANS'))).to.match(
        /^C (S )?Z$/,
      );
      await query('BEGIN');
      session
        .raw()
        .send(
          fe.parse({ name: 'se', text: `EXECUTE ${p}` }),
          fe.bind({ portal: 'pe40', statement: 'se' }),
          fe.describe({ type: 'P', name: 'pe40' }),
          fe.execute({ portal: 'pe40' }),
          fe.sync(),
        );
      const r = await session.raw().until('Z');
      await query('ROLLBACK');
      expect(leaked(r)).to.equal(false);
    });

    it('B1 Bind victim with a parameter of a domain array whose CHECK reopens victim (PostgreSQL creates the portal before converting parameters): Parse, Bind victim $1, Describe P victim, Execute victim, Sync', async () => {
      await query('BEGIN');
      session
        .raw()
        .send(
          fe.parse({ name: 'sb', text: 'SELECT notes, ssn FROM r40_people WHERE $1::r40_victim[] IS NOT NULL' }),
          fe.bind({ portal: 'victim', statement: 'sb', values: ['{1}'] }),
          fe.describe({ type: 'P', name: 'victim' }),
          fe.execute({ portal: 'victim' }),
          fe.sync(),
        );
      const r = await session.raw().until('Z');
      await query('ROLLBACK');
      expect(leaked(r)).to.equal(false);
    });

    it('B2 Bind victim of an invalidated statement with a domain literal (re-analysis after CreatePortal): Parse sb2; invalidate; BEGIN; Bind victim, Describe P victim, Execute victim, Sync', async () => {
      session.raw().send(
        fe.parse({
          name: 'sb2',
          text: `SELECT notes, ssn FROM r40_people, r40_t2 WHERE '{1}'::r40_victim[] IS NOT NULL`,
        }),
        fe.sync(),
      );
      expect(kinds(await session.raw().until('Z'))).to.equal('1 Z');
      await invalidate(s, `b2_${n++}`);
      await query('BEGIN');
      session
        .raw()
        .send(
          fe.bind({ portal: 'victim', statement: 'sb2' }),
          fe.describe({ type: 'P', name: 'victim' }),
          fe.execute({ portal: 'victim' }),
          fe.sync(),
        );
      const r = await session.raw().until('Z');
      await query('ROLLBACK');
      expect(leaked(r)).to.equal(false);
    });

    it('A2 PREPARE p (CHECK reopens pf40); BEGIN; Parse/Bind pe `EXECUTE p`, Parse/Bind pf40 `FETCH ALL FROM pe`, Sync; invalidate; Describe P pf40, Execute pf40, Sync', async () => {
      const p = `p40_${n++}`;
      expect(kinds(await query(`PREPARE ${p} AS SELECT '{1}'::r40_pf40[] AS x FROM r40_t2`))).to.equal('C Z');
      await query('BEGIN');
      session
        .raw()
        .send(
          fe.parse({ name: 'se', text: `EXECUTE ${p}` }),
          fe.bind({ portal: 'pe', statement: 'se' }),
          fe.parse({ name: 'sf', text: 'FETCH ALL FROM pe' }),
          fe.bind({ portal: 'pf40', statement: 'sf' }),
          fe.sync(),
        );
      expect(kinds(await session.raw().until('Z'))).to.equal('1 2 1 2 Z');
      await invalidate(s, `a2_${n++}`);
      session.raw().send(fe.describe({ type: 'P', name: 'pf40' }), fe.execute({ portal: 'pf40' }), fe.sync());
      const r = await session.raw().until('Z');
      await query('ROLLBACK');
      expect(leaked(r)).to.equal(false);
    });
  });
}

for (const mode of ['Audit', 'Enforce'] as const) {
  describe(`parse-time code, code run by the commit at a Sync (implicit transaction), mode ${mode}`, function () {
    this.timeout(60_000);
    let s: LocalStack;
    before(async () => {
      s = await startLocalStack({ editPolicy: (p) => void (p.spec.mode = mode) });
      await seed(s);
      const d = await s.direct();
      await d.query('CREATE TABLE r40_q (id int)');
      await d.query(
        `CREATE FUNCTION r40_trig() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF EXISTS (SELECT 1 FROM pg_catalog.pg_cursors WHERE name = 'h40') THEN EXECUTE 'CLOSE h40'; EXECUTE 'DECLARE h40 CURSOR WITH HOLD FOR SELECT ssn || '''' AS notes, notes AS x FROM r40_people'; END IF; RETURN NULL; END $$`,
      );
      await d.query(
        `CREATE CONSTRAINT TRIGGER r40_tr AFTER INSERT ON r40_q DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION r40_trig()`,
      );
      await d.end();
    });
    after(async () => s?.stop());
    const session = rawPerTest(() => s);
    const query = session.query;

    it('S1 (no BEGIN) Parse/Bind/Execute INSERT (queues a deferred trigger), Parse/Bind/Execute DECLARE h40 WITH HOLD, Sync (commit: the trigger replaces h40); Query FETCH ALL FROM h40', async () => {
      session
        .raw()
        .send(
          fe.parse({ name: '', text: 'INSERT INTO r40_q VALUES (1)' }),
          fe.bind({ portal: '', statement: '' }),
          fe.execute({ portal: '' }),
          fe.parse({ name: '', text: 'DECLARE h40 CURSOR WITH HOLD FOR SELECT notes, ssn FROM r40_people' }),
          fe.bind({ portal: '', statement: '' }),
          fe.execute({ portal: '' }),
          fe.sync(),
        );
      const r = await query('FETCH ALL FROM h40');
      await query('CLOSE h40');
      expect(leaked(r)).to.equal(false);
    });
  });
}

describe('parse-time code, false positive, mode Enforce', function () {
  this.timeout(60_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({ editPolicy: (p) => void (p.spec.mode = 'Enforce') });
    await seed(s);
  });
  after(async () => s?.stop());
  const session = rawPerTest(() => s);
  const query = session.query;

  it('FP2 BEGIN; Parse/Bind pe `SELECT notes` (a plain planned query), Parse/Bind pf `FETCH ALL FROM pe`, Describe P pf, Execute pf, Sync: no code can run, yet pe goes stale and the read is refused', async () => {
    await query('BEGIN');
    session
      .raw()
      .send(
        fe.parse({ name: 'se', text: 'SELECT notes FROM r40_people' }),
        fe.bind({ portal: 'pe', statement: 'se' }),
        fe.parse({ name: 'sf', text: 'FETCH ALL FROM pe' }),
        fe.bind({ portal: 'pf', statement: 'sf' }),
        fe.describe({ type: 'P', name: 'pf' }),
        fe.execute({ portal: 'pf' }),
        fe.sync(),
      );
    const r = await session.raw().until('Z');
    await query('ROLLBACK');
    expect(kinds(r)).not.to.include('E(');
    expect(rows(r)).to.have.length(1);
  });
});
