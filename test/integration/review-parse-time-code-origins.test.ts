/**
 * PostgreSQL describes a portal with `SendRowDescriptionMessage(portal->tupDesc, FetchPortalTargetList(portal))`.
 * When that target list re-analyses `EXECUTE p`'s p and the analysis runs code replacing the portal, the
 * column names and types are the new portal's but the origins are p's: a plan made from such a Describe
 * trusts no origin (session.ts withoutOriginsIf), and an Execute that would need such a Describe of the
 * proxy's own right in front of it is read as unchecked (refused in Enforce mode). Probes of the hostile
 * review of round 41; each asserts that no `ssn` value reaches the agent in clear. FP3 is the price in
 * Enforce mode: a driver's Describe + Execute of `EXECUTE p` in one pipeline, p with a string literal.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { rawPerTest } from '../support/vetted-functions.js';
import { fe, type RawMessage } from '../support/raw-client.js';
import { dataRows, messageTrace, rowsHold } from '../support/leak-probe.js';

const SECRET = 'plain-secret-41';
const rows = dataRows;
const leaked = (ms: RawMessage[]): boolean => rowsHold(ms, SECRET);
const kinds = messageTrace;

async function seed(s: LocalStack): Promise<void> {
  const d = await s.direct();
  await d.query('CREATE TABLE r41_people (id int, ssn text, notes text)');
  await d.query(`INSERT INTO r41_people VALUES (1, '${SECRET}', 'prefers-invoices-by-mail')`);
  await d.query('CREATE TABLE r41_t2 (id int)');
  await d.query(
    `CREATE FUNCTION r41_reopen(r refcursor) RETURNS int LANGUAGE plpgsql AS $$ BEGIN CLOSE r; OPEN r FOR SELECT ssn AS a, notes AS b FROM r41_people; RETURN 1; END $$`,
  );
  await d.query(
    `CREATE FUNCTION r41_swap(n text) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN IF EXISTS (SELECT 1 FROM pg_catalog.pg_cursors WHERE name = n) THEN PERFORM r41_reopen(n::refcursor); END IF; RETURN true; END $$`,
  );
  for (const n of ['pe', 'pf']) await d.query(`CREATE DOMAIN r41_${n} AS int CHECK (r41_swap('${n}41'))`);
  await d.end();
}

async function invalidate(s: LocalStack, column: string): Promise<void> {
  const a = s.postgres.client('billing');
  await a.connect();
  await a.query(`ALTER TABLE r41_t2 ADD COLUMN ${column} int`);
  await a.end();
}

for (const mode of ['Audit', 'Enforce'] as const) {
  describe(`parse-time code, a Describe that re-analyses p reports p's column origins for the replacing cursor, mode ${mode}`, function () {
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

    it("O1 PREPARE p AS SELECT notes ... WHERE domain literal; invalidate; BEGIN; Parse se `EXECUTE p`, Bind pe41, Execute pe41 (proxy's own Describe re-analyses p, code replaces pe41), Sync", async () => {
      const p = `p41_${n++}`;
      expect(
        kinds(await query(`PREPARE ${p} AS SELECT notes FROM r41_people, r41_t2 WHERE '{1}'::r41_pe[] IS NOT NULL`)),
      ).to.equal('C Z');
      await invalidate(s, `o1_${n++}`);
      await query('BEGIN');
      session
        .raw()
        .send(
          fe.parse({ name: 'se', text: `EXECUTE ${p}` }),
          fe.bind({ portal: 'pe41', statement: 'se' }),
          fe.execute({ portal: 'pe41' }),
          fe.sync(),
        );
      const r = await session.raw().until('Z');
      await query('ROLLBACK');
      expect(leaked(r), kinds(r) + ' ' + rows(r).join('|')).to.equal(false);
    });

    it('O1b as O1, invalidated by the agent alone (SET search_path in Audit, DISCARD PLANS in Enforce)', async () => {
      const p = `p41_${n++}`;
      expect(
        kinds(await query(`PREPARE ${p} AS SELECT notes FROM r41_people, r41_t2 WHERE '{1}'::r41_pe[] IS NOT NULL`)),
      ).to.equal('C Z');
      expect(kinds(await query(mode === 'Audit' ? 'SET search_path TO public, pg_catalog' : 'DISCARD PLANS'))).to.match(
        /^C (S )?Z$/,
      );
      await query('BEGIN');
      session
        .raw()
        .send(
          fe.parse({ name: 'se', text: `EXECUTE ${p}` }),
          fe.bind({ portal: 'pe41', statement: 'se' }),
          fe.execute({ portal: 'pe41' }),
          fe.sync(),
        );
      const r = await session.raw().until('Z');
      await query('ROLLBACK');
      expect(leaked(r), kinds(r) + ' ' + rows(r).join('|')).to.equal(false);
    });

    it('O2 FETCH path: PREPARE p (CHECK reopens pf41); invalidate; BEGIN; Parse/Bind pe `EXECUTE p`, Parse/Bind pf41 `FETCH ALL FROM pe`, Execute pf41 (own Describe of pf41 re-analyses p), Sync', async () => {
      const p = `p41_${n++}`;
      expect(
        kinds(await query(`PREPARE ${p} AS SELECT notes FROM r41_people, r41_t2 WHERE '{1}'::r41_pf[] IS NOT NULL`)),
      ).to.equal('C Z');
      await invalidate(s, `o2_${n++}`);
      await query('BEGIN');
      session
        .raw()
        .send(
          fe.parse({ name: 'se', text: `EXECUTE ${p}` }),
          fe.bind({ portal: 'pe', statement: 'se' }),
          fe.parse({ name: 'sf', text: 'FETCH ALL FROM pe' }),
          fe.bind({ portal: 'pf41', statement: 'sf' }),
          fe.execute({ portal: 'pf41' }),
          fe.sync(),
        );
      const r = await session.raw().until('Z');
      await query('ROLLBACK');
      expect(leaked(r), kinds(r) + ' ' + rows(r).join('|')).to.equal(false);
    });
  });
}

for (const mode of ['Audit', 'Enforce'] as const) {
  describe(`parse-time code, held / false positives, mode ${mode}`, function () {
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

    it("H1 (held) as O1 with the agent's Describe P pe41 before Execute pe41: the Describe stales pe41, the read gets a second Describe (Audit) or is refused (Enforce)", async () => {
      const p = `p41_${n++}`;
      expect(
        kinds(await query(`PREPARE ${p} AS SELECT notes FROM r41_people, r41_t2 WHERE '{1}'::r41_pe[] IS NOT NULL`)),
      ).to.equal('C Z');
      await invalidate(s, `h1_${n++}`);
      await query('BEGIN');
      session
        .raw()
        .send(
          fe.parse({ name: 'se', text: `EXECUTE ${p}` }),
          fe.bind({ portal: 'pe41', statement: 'se' }),
          fe.describe({ type: 'P', name: 'pe41' }),
          fe.execute({ portal: 'pe41' }),
          fe.sync(),
        );
      const r = await session.raw().until('Z');
      await query('ROLLBACK');
      expect(leaked(r), kinds(r) + ' ' + rows(r).join('|')).to.equal(false);
    });

    it('FP4 (held) psycopg3 server cursor: BEGIN; extended DECLARE c41 (string literal), Sync; extended FETCH FORWARD 1 FROM c41 (Parse, Bind, Describe P, Execute, Sync) twice', async () => {
      await query('BEGIN');
      const ext = (text: string): Buffer[] => [
        fe.parse({ name: '', text }),
        fe.bind({ portal: '', statement: '' }),
        fe.describe({ type: 'P', name: '' }),
        fe.execute({ portal: '' }),
        fe.sync(),
      ];
      session
        .raw()
        .send(...ext(`DECLARE c41 CURSOR FOR SELECT notes FROM r41_people, generate_series(1,2) WHERE notes <> 'x'`));
      const d = await session.raw().until('Z');
      session.raw().send(...ext('FETCH FORWARD 1 FROM c41'));
      const f1 = await session.raw().until('Z');
      session.raw().send(...ext('FETCH FORWARD 1 FROM c41'));
      const f2 = await session.raw().until('Z');
      await query('ROLLBACK');
      const all = [...d, ...f1, ...f2];
      expect(kinds(all), kinds(all)).not.to.include('E(');
      expect(rows(all)).to.have.length(2);
    });

    it('FP3 a driver call of `EXECUTE p` (Parse, Bind, Describe P, Execute, Sync), p with a string literal: served in Audit, refused as unchecked in Enforce', async () => {
      const p = `p41_${n++}`;
      expect(kinds(await query(`PREPARE ${p} AS SELECT notes FROM r41_people WHERE notes <> 'x'`))).to.equal('C Z');
      session
        .raw()
        .send(
          fe.parse({ name: '', text: `EXECUTE ${p}` }),
          fe.bind({ portal: '', statement: '' }),
          fe.describe({ type: 'P', name: '' }),
          fe.execute({ portal: '' }),
          fe.sync(),
        );
      const r = await session.raw().until('Z');
      if (mode === 'Audit') {
        expect(kinds(r), kinds(r)).not.to.include('E(');
        expect(rows(r)).to.have.length(1);
      } else expect(kinds(r)).to.include('unchecked-cursor');
    });
  });
}
