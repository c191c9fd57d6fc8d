/**
 * FETCH chains and reads around code (hostile review of round 44): a chain x2 -> x1 -> cursor read by a
 * Query (S1, S1b with MOVE), a chain through a portal of `EXECUTE p` whose RowDescription runs code after
 * the read (S2), the proxy's own Describe of a chain (S3), a replacement by a Parse inside the pipeline
 * (S4): no `ssn` in clear, no payroll row in Enforce mode. FP1: psycopg 3's server cursor with another
 * statement between two FETCHes, each its own batch, is served (the FETCH's Parse checks the cursor at
 * the batch boundary).
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { rawPerTest } from '../support/vetted-functions.js';
import { fe, type RawMessage } from '../support/raw-client.js';
import { dataRows, messageTrace, PAYROLL_AMOUNT, rowsHold } from '../support/leak-probe.js';

const SECRET = 'plain-secret-44';
const rows = dataRows;
const leaked = (ms: RawMessage[]): boolean => rowsHold(ms, SECRET, PAYROLL_AMOUNT);
const kinds = messageTrace;

async function seed(s: LocalStack): Promise<void> {
  const d = await s.direct();
  await d.query('CREATE TABLE r44_people (id int, ssn text, notes text)');
  await d.query(`INSERT INTO r44_people VALUES (1, '${SECRET}', 'prefers-invoices-by-mail')`);
  await d.query('CREATE TABLE r44_t2 (id int)');
  await d.query('INSERT INTO r44_t2 VALUES (1)');
  await d.query(
    `CREATE FUNCTION r44_reopen(r refcursor) RETURNS int LANGUAGE plpgsql AS $$ BEGIN CLOSE r;
       IF r::text LIKE 'pay%' THEN OPEN r FOR SELECT amount_cents AS notes FROM payroll.salaries;
       ELSE OPEN r FOR SELECT ssn || '' AS notes FROM r44_people; END IF; RETURN 1; END $$`,
  );
  await d.query(
    `CREATE FUNCTION r44_swap() RETURNS boolean LANGUAGE plpgsql AS $$ DECLARE n text; BEGIN
       FOR n IN SELECT name FROM pg_catalog.pg_cursors WHERE name LIKE 'pe44%' OR name LIKE 'pay44%' LOOP
         PERFORM r44_reopen(n::refcursor); END LOOP; RETURN true; END $$`,
  );
  await d.query(`CREATE DOMAIN r44_dom AS int CHECK (r44_swap())`);
  await d.query(
    `CREATE FUNCTION r44_discard() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'DISCARD PLANS'; RETURN true; END $$`,
  );
  await d.query(`CREATE DOMAIN r44_inv AS int CHECK (r44_discard())`);
  await d.end();
}

for (const mode of ['Audit', 'Enforce'] as const) {
  describe(`parse-time code, FETCH chains, mode ${mode}`, function () {
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
    const prepare = async (): Promise<string> => {
      const p = `p44_${n++}`;
      const prep = await query(
        `PREPARE ${p} AS SELECT notes FROM r44_people, r44_t2 WHERE '{1}'::r44_dom[] IS NOT NULL AND ARRAY[r44_t2.id]::r44_inv[] IS NOT NULL`,
      );
      expect(kinds(prep)).to.equal('C Z');
      return p;
    };
    const cursorsNow = async (name: string): Promise<string> =>
      rows(await query(`SELECT statement FROM pg_cursors WHERE name = '${name}'`)).join('|');

    const curs = mode === 'Enforce' ? ['pe44c', 'pay44c'] : ['pe44c'];
    for (const cur of curs)
      it(`S1 (${cur}) Q DECLARE ${cur}; Parse/Bind x1 \`FETCH ALL FROM ${cur}\`, Parse/Bind x2 \`FETCH ALL FROM x1\`, Sync; Q SELECT '{1}'::r44_dom[] (replaces ${cur}); Q FETCH ALL FROM x2 (simple-Query chain)`, async () => {
        await query('BEGIN');
        expect(kinds(await query(`DECLARE ${cur} CURSOR FOR SELECT notes FROM r44_people`))).to.equal('C Z');
        session
          .raw()
          .send(
            fe.parse({ name: 'sx1', text: `FETCH ALL FROM ${cur}` }),
            fe.bind({ portal: 'x1', statement: 'sx1' }),
            fe.parse({ name: 'sx2', text: 'FETCH ALL FROM x1' }),
            fe.bind({ portal: 'x2', statement: 'sx2' }),
            fe.sync(),
          );
        expect(kinds(await session.raw().until('Z'))).to.equal('1 2 1 2 Z');
        const swap = await query(`SELECT '{1}'::r44_dom[] IS NOT NULL AS ok`);
        const now = await cursorsNow(cur);
        const r = await query('FETCH ALL FROM x2');
        await query('ROLLBACK');
        expect(leaked(r), `${kinds(swap)} || ${kinds(r)} || ${rows(r).join('|')} || now: ${now}`).to.equal(false);
      });

    for (const cur of curs)
      it(`S1b (${cur}) as S1 but the Query is "MOVE 0 IN x2; FETCH ALL FROM x2"`, async () => {
        await query('BEGIN');
        expect(kinds(await query(`DECLARE ${cur} CURSOR FOR SELECT notes FROM r44_people`))).to.equal('C Z');
        session
          .raw()
          .send(
            fe.parse({ name: 'sx1', text: `FETCH ALL FROM ${cur}` }),
            fe.bind({ portal: 'x1', statement: 'sx1' }),
            fe.parse({ name: 'sx2', text: 'FETCH ALL FROM x1' }),
            fe.bind({ portal: 'x2', statement: 'sx2' }),
            fe.sync(),
          );
        expect(kinds(await session.raw().until('Z'))).to.equal('1 2 1 2 Z');
        const swap = await query(`SELECT '{1}'::r44_dom[] IS NOT NULL AS ok`);
        const r = await query(`MOVE 0 IN x2; FETCH ALL FROM x2`);
        await query('ROLLBACK');
        expect(leaked(r), `${kinds(swap)} || ${kinds(r)} || ${rows(r).join('|')}`).to.equal(false);
      });

    const portals = mode === 'Enforce' ? ['pe44', 'pay44'] : ['pe44'];
    for (const portal of portals)
      it(`S2 (${portal}) Parse/Bind ${portal} \`EXECUTE p\`, Parse/Bind x1 \`FETCH 1 FROM ${portal}\`, Sync; Q "FETCH ALL FROM x1; FETCH ALL FROM ${portal}" (x1's RowDescription re-analyses p through the chain and replaces ${portal})`, async () => {
        const p = await prepare();
        await query('BEGIN');
        session
          .raw()
          .send(
            fe.parse({ name: 'se44', text: `EXECUTE ${p}` }),
            fe.bind({ portal, statement: 'se44' }),
            fe.parse({ name: 'sx1', text: `FETCH 1 FROM ${portal}` }),
            fe.bind({ portal: 'x1', statement: 'sx1' }),
            fe.sync(),
          );
        expect(kinds(await session.raw().until('Z'))).to.equal('1 2 1 2 Z');
        const r = await query(`FETCH ALL FROM x1; FETCH ALL FROM ${portal}`);
        const now = await cursorsNow(portal);
        const r2 = await query(`FETCH ALL FROM ${portal}`);
        await query('ROLLBACK');
        const all = [...r, ...r2];
        expect(leaked(all), `${kinds(r)} || ${kinds(r2)} || ${rows(all).join('|')} || now: ${now}`).to.equal(false);
      });

    for (const cur of curs)
      it(`S3 (${cur}) Q DECLARE ${cur}; Parse/Bind x1, x2 (chain), Sync; Q swap; Execute x2, Sync with no Describe (proxy's own Describe of a chain)`, async () => {
        await query('BEGIN');
        expect(kinds(await query(`DECLARE ${cur} CURSOR FOR SELECT notes FROM r44_people`))).to.equal('C Z');
        session
          .raw()
          .send(
            fe.parse({ name: 'sx1', text: `FETCH ALL FROM ${cur}` }),
            fe.bind({ portal: 'x1', statement: 'sx1' }),
            fe.parse({ name: 'sx2', text: 'FETCH ALL FROM x1' }),
            fe.bind({ portal: 'x2', statement: 'sx2' }),
            fe.sync(),
          );
        expect(kinds(await session.raw().until('Z'))).to.equal('1 2 1 2 Z');
        const swap = await query(`SELECT '{1}'::r44_dom[] IS NOT NULL AS ok`);
        session.raw().send(fe.execute({ portal: 'x2' }), fe.sync());
        const r = await session.raw().until('Z');
        await query('ROLLBACK');
        expect(leaked(r), `${kinds(swap)} || ${kinds(r)} || ${rows(r).join('|')}`).to.equal(false);
      });

    for (const cur of curs)
      it(`S4 (${cur}) one pipeline: Parse/Bind x1 \`FETCH ALL FROM ${cur}\`, Parse/Bind x2 \`FETCH ALL FROM x1\`, Parse s \`SELECT '{1}'::r44_dom[]\` (replaces ${cur}), Describe P x2, Execute x2, Sync`, async () => {
        await query('BEGIN');
        expect(kinds(await query(`DECLARE ${cur} CURSOR FOR SELECT notes FROM r44_people`))).to.equal('C Z');
        session
          .raw()
          .send(
            fe.parse({ name: 'sx1', text: `FETCH ALL FROM ${cur}` }),
            fe.bind({ portal: 'x1', statement: 'sx1' }),
            fe.parse({ name: 'sx2', text: 'FETCH ALL FROM x1' }),
            fe.bind({ portal: 'x2', statement: 'sx2' }),
            fe.parse({ name: 'sw', text: `SELECT '{1}'::r44_dom[] IS NOT NULL AS ok` }),
            fe.describe({ type: 'P', name: 'x2' }),
            fe.execute({ portal: 'x2' }),
            fe.sync(),
          );
        const r = await session.raw().until('Z');
        await query('ROLLBACK');
        expect(leaked(r), `${kinds(r)} || ${rows(r).join('|')}`).to.equal(false);
      });

    for (const other of ['SELECT 1 AS one', "SELECT 'a' AS one"])
      it(`FP1 psycopg 3 server cursor, another statement between FETCHes (${other}); each Parse/Bind/Describe/Execute/Sync`, async () => {
        const extended = async (text: string): Promise<RawMessage[]> => {
          session
            .raw()
            .send(fe.parse({ text }), fe.bind({}), fe.describe({ type: 'P', name: '' }), fe.execute({}), fe.sync());
          return session.raw().until('Z');
        };
        await extended('BEGIN');
        expect(kinds(await extended('DECLARE "c44" CURSOR FOR SELECT id FROM r44_t2'))).to.equal('1 2 n C Z');
        const a = await extended('FETCH FORWARD 1 FROM "c44"');
        const b = await extended(other);
        const r = await extended('FETCH FORWARD 10 FROM "c44"');
        await extended('ROLLBACK');
        expect(kinds(r), `${kinds(a)} || ${kinds(b)} || ${kinds(r)}`).to.not.contain('E(');
      });
  });
}
