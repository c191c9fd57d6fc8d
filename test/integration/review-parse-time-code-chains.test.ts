/**
 * Reads the proxy must follow further (hostile review of round 43). Q1: a portal read twice in one Query,
 * where the first FETCH's RowDescription re-analyses `EXECUTE p`'s p after the read and its code replaces
 * the portal: the second FETCH must be read as stale. N1: a FETCH chain x2 -> x1 -> cursor: executing x2
 * reads the cursor too, which must be checked. Each asserts that no `ssn` value goes out in clear and no
 * payroll row in Enforce mode.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { rawPerTest } from '../support/vetted-functions.js';
import { fe, type RawMessage } from '../support/raw-client.js';
import { dataRows, messageTrace, PAYROLL_AMOUNT, rowsHold } from '../support/leak-probe.js';

const SECRET = 'plain-secret-43';
const rows = dataRows;
const leaked = (ms: RawMessage[]): boolean => rowsHold(ms, SECRET, PAYROLL_AMOUNT);
const kinds = messageTrace;

async function seed(s: LocalStack): Promise<void> {
  const d = await s.direct();
  await d.query('CREATE TABLE r43_people (id int, ssn text, notes text)');
  await d.query(`INSERT INTO r43_people VALUES (1, '${SECRET}', 'prefers-invoices-by-mail')`);
  await d.query('CREATE VIEW r43_v AS SELECT id, ssn AS notes FROM r43_people');
  await d.query('CREATE TABLE r43_t2 (id int)');
  await d.query('INSERT INTO r43_t2 VALUES (1)');
  await d.query(
    `CREATE FUNCTION r43_reopen(r refcursor) RETURNS int LANGUAGE plpgsql AS $$ BEGIN CLOSE r;
       IF r::text LIKE 'pay%' THEN OPEN r FOR SELECT amount_cents AS notes FROM payroll.salaries;
       ELSIF r::text LIKE 'pv%' THEN OPEN r FOR SELECT notes FROM r43_v;
       ELSE OPEN r FOR SELECT ssn || '' AS notes FROM r43_people; END IF; RETURN 1; END $$`,
  );
  await d.query(
    `CREATE FUNCTION r43_swap() RETURNS boolean LANGUAGE plpgsql AS $$ DECLARE n text; BEGIN
       FOR n IN SELECT name FROM pg_catalog.pg_cursors WHERE name LIKE 'pe43%' OR name LIKE 'pay43%' OR name LIKE 'pv43%' LOOP
         PERFORM r43_reopen(n::refcursor); END LOOP; RETURN true; END $$`,
  );
  await d.query(`CREATE DOMAIN r43_dom AS int CHECK (r43_swap())`);
  await d.query(
    `CREATE FUNCTION r43_discard() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'DISCARD PLANS'; RETURN true; END $$`,
  );
  await d.query(`CREATE DOMAIN r43_inv AS int CHECK (r43_discard())`);
  await d.end();
}

for (const mode of ['Audit', 'Enforce'] as const) {
  describe(`parse-time code, reads followed further, mode ${mode}`, function () {
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
      const p = `p43_${n++}`;
      const prep = await query(
        `PREPARE ${p} AS SELECT notes FROM r43_people, r43_t2 WHERE '{1}'::r43_dom[] IS NOT NULL AND ARRAY[r43_t2.id]::r43_inv[] IS NOT NULL`,
      );
      expect(kinds(prep)).to.equal('C Z');
      return p;
    };

    for (const portal of mode === 'Enforce' ? ['pe43', 'pv43', 'pay43'] : ['pe43', 'pv43'])
      it(`Q1 (${portal}) Parse/Bind ${portal} \`EXECUTE p\`, Sync; one Query "FETCH 1 FROM ${portal}; FETCH ALL FROM ${portal}" (the first FETCH's RowDescription re-analyses p and replaces ${portal}; the second is deemed fresh)`, async () => {
        const p = await prepare();
        await query('BEGIN');
        session
          .raw()
          .send(fe.parse({ name: 'se43', text: `EXECUTE ${p}` }), fe.bind({ portal, statement: 'se43' }), fe.sync());
        expect(kinds(await session.raw().until('Z'))).to.equal('1 2 Z');
        const r = await query(`FETCH 1 FROM ${portal}; FETCH ALL FROM ${portal}`);
        const cursors = await query(`SELECT statement FROM pg_cursors WHERE name = '${portal}'`);
        await query('ROLLBACK');
        expect(leaked(r), `${kinds(r)} || ${rows(r).join('|')} || now: ${rows(cursors).join('|')}`).to.equal(false);
      });

    for (const cur of ['pe43c'])
      it(`N1 (${cur}) Q DECLARE ${cur}; Parse/Bind x1 \`FETCH ALL FROM ${cur}\`, Parse/Bind x2 \`FETCH ALL FROM x1\`, Describe P x2, Sync; Q SELECT '{1}'::r43_dom[] (its analysis replaces ${cur}); Execute x2, Sync (x2 reads x1 which reads the replaced ${cur}: only x2 and x1 are checked)`, async () => {
        await query('BEGIN');
        expect(kinds(await query(`DECLARE ${cur} CURSOR FOR SELECT notes FROM r43_people`))).to.equal('C Z');
        session
          .raw()
          .send(
            fe.parse({ name: 'sx1', text: `FETCH ALL FROM ${cur}` }),
            fe.bind({ portal: 'x1', statement: 'sx1' }),
            fe.parse({ name: 'sx2', text: 'FETCH ALL FROM x1' }),
            fe.bind({ portal: 'x2', statement: 'sx2' }),
            fe.describe({ type: 'P', name: 'x2' }),
            fe.sync(),
          );
        const d = await session.raw().until('Z');
        expect(kinds(d)).to.equal('1 2 1 2 T Z');
        const swap = await query(`SELECT '{1}'::r43_dom[] IS NOT NULL AS ok`);
        const now = await query(`SELECT statement FROM pg_cursors WHERE name = '${cur}'`);
        session.raw().send(fe.execute({ portal: 'x2' }), fe.sync());
        const r = await session.raw().until('Z');
        await query('ROLLBACK');
        expect(
          leaked(r),
          `${kinds(swap)} || ${kinds(r)} || ${rows(r).join('|')} || now: ${rows(now).join('|')}`,
        ).to.equal(false);
      });
  });
}
