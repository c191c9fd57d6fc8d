/**
 * Code run after a portal's own read, in the same statement: a simple-Query `FETCH ALL FROM pe` (pe a
 * protocol portal of `EXECUTE p`) reads pe, and then PostgreSQL builds the RowDescription from pe's target
 * list, re-analysing p if p's plan was invalidated while pe ran (here a runtime domain CHECK doing DISCARD
 * PLANS). p's analysis code (a literal of a domain) then replaces pe. Such a read leaves pe stale (name-reach.ts
 * statementUse), so the next read is checked (Enforce: the replaced cursor is refused). Probes of the
 * hostile review of round 42: no row of the denied payroll.salaries, no `ssn` in clear.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { rawPerTest } from '../support/vetted-functions.js';
import { fe, type RawMessage } from '../support/raw-client.js';
import { dataRows, messageTrace, PAYROLL_AMOUNT, rowsHold } from '../support/leak-probe.js';

const SECRET = 'plain-secret-42';
const rows = dataRows;
const leaked = (ms: RawMessage[]): boolean => rowsHold(ms, SECRET, PAYROLL_AMOUNT);
const kinds = messageTrace;

async function seed(s: LocalStack): Promise<void> {
  const d = await s.direct();
  await d.query('CREATE TABLE r42_people (id int, ssn text, notes text)');
  await d.query(`INSERT INTO r42_people VALUES (1, '${SECRET}', 'prefers-invoices-by-mail')`);
  await d.query('CREATE TABLE r42_t2 (id int)');
  await d.query('INSERT INTO r42_t2 VALUES (1)');
  // The DBA's code: a cursor named by the agent is reopened over ssn (expression: no column origin) or payroll.
  await d.query(
    `CREATE FUNCTION r42_reopen(r refcursor) RETURNS int LANGUAGE plpgsql AS $$ BEGIN CLOSE r;
       IF r::text LIKE 'pay%' THEN OPEN r FOR SELECT amount_cents AS notes FROM payroll.salaries;
       ELSE OPEN r FOR SELECT ssn || '' AS notes FROM r42_people; END IF; RETURN 1; END $$`,
  );
  await d.query(
    `CREATE FUNCTION r42_swap() RETURNS boolean LANGUAGE plpgsql AS $$ DECLARE n text; BEGIN
       FOR n IN SELECT name FROM pg_catalog.pg_cursors WHERE name LIKE 'pe42%' OR name LIKE 'pay42%' LOOP
         PERFORM r42_reopen(n::refcursor); END LOOP; RETURN true; END $$`,
  );
  await d.query(`CREATE DOMAIN r42_dom AS int CHECK (r42_swap())`);
  // A runtime domain check that invalidates every cached plan of the session.
  await d.query(
    `CREATE FUNCTION r42_discard() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'DISCARD PLANS'; RETURN true; END $$`,
  );
  await d.query(`CREATE DOMAIN r42_inv AS int CHECK (r42_discard())`);
  await d.end();
}

for (const mode of ['Audit', 'Enforce'] as const) {
  describe(`parse-time code, code run after a portal's own read, mode ${mode}`, function () {
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

    // pay42 (rows of the denied payroll.salaries) is a leak only in Enforce: Audit mode serves denied tables by design.
    for (const portal of mode === 'Enforce' ? ['pe42', 'pay42'] : ['pe42'])
      it(`R1 (${portal}) PREPARE p (literal of r42_dom, runtime r42_inv); BEGIN; Parse/Bind ${portal} \`EXECUTE p\`, Sync; Q FETCH ALL FROM ${portal} (RowDescription re-analyses p: ${portal} replaced); Q FETCH ALL FROM ${portal}`, async () => {
        const p = `p42_${n++}`;
        const prep = await query(
          `PREPARE ${p} AS SELECT notes FROM r42_people, r42_t2 WHERE '{1}'::r42_dom[] IS NOT NULL AND ARRAY[r42_t2.id]::r42_inv[] IS NOT NULL`,
        );
        expect(kinds(prep)).to.equal('C Z');
        await query('BEGIN');
        session
          .raw()
          .send(fe.parse({ name: 'se42', text: `EXECUTE ${p}` }), fe.bind({ portal, statement: 'se42' }), fe.sync());
        expect(kinds(await session.raw().until('Z'))).to.equal('1 2 Z');
        const r1 = await query(`FETCH ALL FROM ${portal}`);
        const r2 = await query(`FETCH ALL FROM ${portal}`);
        const cursors = await query(`SELECT statement FROM pg_cursors WHERE name = '${portal}'`);
        await query('ROLLBACK');
        const all = [...r1, ...r2];
        expect(
          leaked(all),
          `${kinds(r1)} || ${kinds(r2)} || ${rows(all).join('|')} || now: ${rows(cursors).join('|')}`,
        ).to.equal(false);
      });
  });
}
