/**
 * The name backstop (name-freshness.ts, name-reach.ts, analysis-code.ts) against the hostile review of round 46:
 * names (case, quoting, > 63 bytes) in `EXECUTE`, binary result formats for plans that trust no origin, a
 * portal executed several times with code run between Executes by a non-statement message, EXPLAIN /
 * CREATE TABLE AS of EXECUTE, pg_prepared_statements, and runtime code changing search_path. Each test
 * asserts the secure behaviour: no `ssn` in clear, no row of payroll.salaries in Enforce.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { rawPerTest } from '../support/vetted-functions.js';
import { fe, type RawMessage } from '../support/raw-client.js';
import { dataRows, messageTrace, PAYROLL_AMOUNT, rowsHold } from '../support/leak-probe.js';

const SECRET = 'plain-secret-46';
const rows = dataRows;
const kinds = messageTrace;
const leaked = (ms: RawMessage[]): boolean => rowsHold(ms, SECRET, PAYROLL_AMOUNT);
const why = (ms: RawMessage[]): string => `${kinds(ms)} || ${rows(ms).join('|')}`;

async function seed(s: LocalStack): Promise<void> {
  const d = await s.direct();
  await d.query('CREATE TABLE r46_people (id int, ssn text, notes text)');
  await d.query(`INSERT INTO r46_people VALUES (1, '${SECRET}', 'prefers-invoices-by-mail')`);
  await d.query('CREATE TABLE r46_t2 (id int)');
  await d.query('INSERT INTO r46_t2 VALUES (1)');
  await d.query(
    `CREATE FUNCTION r46_reopen(r refcursor) RETURNS int LANGUAGE plpgsql AS $$ BEGIN CLOSE r;
       IF r::text LIKE 'pay46%' THEN OPEN r FOR SELECT amount_cents::text AS notes FROM payroll.salaries;
       ELSE OPEN r FOR SELECT ssn || '' AS notes, notes AS x FROM r46_people; END IF; RETURN 1; END $$`,
  );
  await d.query(
    `CREATE FUNCTION r46_swap() RETURNS boolean LANGUAGE plpgsql AS $$ DECLARE n text; BEGIN
       FOR n IN SELECT name FROM pg_catalog.pg_cursors WHERE name LIKE 'pe46%' OR name LIKE 'pay46%' OR name LIKE 'v46%' LOOP
         PERFORM r46_reopen(n::refcursor); END LOOP; RETURN true; END $$`,
  );
  await d.query(`CREATE DOMAIN r46_dom AS int CHECK (r46_swap())`);
  // Runtime code that changes search_path for the rest of the session.
  await d.query(
    `CREATE FUNCTION r46_path() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_catalog.set_config('search_path', 'payroll, public', false); RETURN true; END $$`,
  );
  await d.query(`CREATE DOMAIN r46_sp AS int CHECK (r46_path())`);
  await d.query('CREATE TABLE public.salaries (employee text, amount_cents int)');
  await d.query(`INSERT INTO public.salaries VALUES ('decoy', 1)`);
  await d.end();
}

async function invalidate(s: LocalStack, column: string): Promise<void> {
  const a = s.postgres.client('billing');
  await a.connect();
  await a.query(`ALTER TABLE r46_t2 ADD COLUMN ${column} int`);
  await a.end();
}

const CODE_P = `SELECT notes FROM r46_people, r46_t2 WHERE '{1}'::r46_dom[] IS NOT NULL`;
const BENIGN = 'SELECT notes FROM r46_people, r46_t2';

for (const mode of ['Audit', 'Enforce'] as const) {
  describe(`parse-time code, names, formats and EXPLAIN, mode ${mode}`, function () {
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
    const prepareProtocol = async (stmts: [string, string][]): Promise<void> => {
      session.raw().send(...stmts.map(([name, text]) => fe.parse({ name, text })), fe.sync());
      const r = await session.raw().until('Z');
      expect(kinds(r), why(r)).to.equal(`${stmts.map(() => '1').join(' ')} Z`);
    };
    const executeVia = async (sql: string, portal: string, opts: { describe?: boolean; binary?: boolean } = {}) => {
      await query('BEGIN');
      session
        .raw()
        .send(
          fe.parse({ name: 'se46', text: sql }),
          fe.bind({ portal, statement: 'se46', binary: opts.binary }),
          ...(opts.describe ? [fe.describe({ type: 'P', name: portal })] : []),
          fe.execute({ portal }),
          fe.sync(),
        );
      const r = await session.raw().until('Z');
      await query('ROLLBACK');
      return r;
    };

    for (const portal of ['pe46', 'pay46'])
      it(`N1 (${portal}) protocol "P" benign, "p" domain literal; invalidate; BEGIN; Parse \`EXECUTE P\` (folds to p), Bind ${portal}, Execute, Sync`, async () => {
        await prepareProtocol([
          ['P', BENIGN],
          ['p', CODE_P],
        ]);
        await invalidate(s, `n1_${n++}`);
        const r = await executeVia('EXECUTE P', portal);
        expect(leaked(r), why(r)).to.equal(false);
      });

    it('N1b protocol "p" benign, "P" domain literal; invalidate; `EXECUTE "P"` (quoted: P)', async () => {
      await prepareProtocol([
        ['p', BENIGN],
        ['P', CODE_P],
      ]);
      await invalidate(s, `n1b_${n++}`);
      const r = await executeVia('EXECUTE "P"', 'pe46');
      expect(leaked(r), why(r)).to.equal(false);
    });

    it('N2 protocol name of 70 bytes (domain literal); invalidate; SQL `EXECUTE <70 bytes>` (cut to 63 by the scanner)', async () => {
      const long = `q46_${'x'.repeat(66)}`;
      await prepareProtocol([[long, CODE_P]]);
      await invalidate(s, `n2_${n++}`);
      const r = await executeVia(`EXECUTE ${long}`, 'pe46');
      expect(leaked(r), why(r)).to.equal(false);
    });

    it('N2b protocol name = first 63 bytes (domain literal), a benign one under another name; `EXECUTE "<70 bytes>"` quoted', async () => {
      const long = `q46_${'y'.repeat(66)}`;
      await prepareProtocol([
        [long.slice(0, 63), CODE_P],
        ['q46_other', BENIGN],
      ]);
      await invalidate(s, `n2b_${n++}`);
      const r = await executeVia(`EXECUTE "${long}"`, 'pe46');
      expect(leaked(r), why(r)).to.equal(false);
    });

    for (const describe of [false, true])
      it(`B1 binary result formats: PREPARE p (domain literal); invalidate; BEGIN; Parse \`EXECUTE p\`, Bind pe46 (formats 1)${describe ? ', Describe P' : ''}, Execute, Sync`, async () => {
        const p = `p46_${n++}`;
        expect(kinds(await query(`PREPARE ${p} AS ${CODE_P}`))).to.equal('C Z');
        await invalidate(s, `b1_${n++}`);
        const r = await executeVia(`EXECUTE ${p}`, 'pe46', { describe, binary: true });
        expect(leaked(r), why(r)).to.equal(false);
      });

    for (const via of ['Parse', 'Bind-param', 'DescribeS'] as const)
      it(`M1 (${via}) BEGIN; Bind v46 (binary), Describe, Execute rows=1, Sync; [${via} runs the CHECK]; Execute v46 rows=1, Sync; Execute v46, Sync`, async () => {
        if (via === 'DescribeS') {
          session.raw().send(fe.parse({ name: 'sd46', text: `SELECT '{1}'::r46_dom[] AS x FROM r46_t2` }), fe.sync());
          await session.raw().until('Z');
          await invalidate(s, `m1_${n++}`);
        }
        if (via === 'Bind-param') {
          session.raw().send(fe.parse({ name: 'sd46', text: 'SELECT $1::r46_dom[] AS x' }), fe.sync());
          await session.raw().until('Z');
        }
        await query('BEGIN');
        session
          .raw()
          .send(
            fe.parse({ name: 'sv46', text: 'SELECT notes, ssn FROM r46_people, generate_series(1,3)' }),
            fe.bind({ portal: 'v46', statement: 'sv46', binary: true }),
            fe.describe({ type: 'P', name: 'v46' }),
            fe.execute({ portal: 'v46', rows: 1 }),
            fe.sync(),
          );
        const r0 = await session.raw().until('Z');
        const code =
          via === 'Parse'
            ? [fe.parse({ name: 'sx46', text: `SELECT '{1}'::r46_dom[] AS x` })]
            : via === 'Bind-param'
              ? [fe.bind({ portal: 'pd46', statement: 'sd46', values: ['{1}'] })]
              : [fe.describe({ type: 'S', name: 'sd46' })];
        session.raw().send(...code, fe.execute({ portal: 'v46', rows: 1 }), fe.sync());
        const r1 = await session.raw().until('Z');
        session.raw().send(fe.execute({ portal: 'v46' }), fe.sync());
        const r2 = await session.raw().until('Z');
        const cur = await query(`SELECT statement FROM pg_cursors WHERE name = 'v46'`);
        await query('ROLLBACK');
        const all = [...r0, ...r1, ...r2];
        expect(leaked(all), `${why(r0)} ## ${why(r1)} ## ${why(r2)} ## now: ${rows(cur).join('|')}`).to.equal(false);
      });

    it('E1 PREPARE p over payroll.salaries / over ssn; EXPLAIN EXECUTE p; EXPLAIN (ANALYZE, VERBOSE) EXECUTE p', async () => {
      const out: RawMessage[] = [];
      for (const body of ['SELECT employee, amount_cents FROM payroll.salaries', 'SELECT ssn FROM r46_people']) {
        const p = `p46_${n++}`;
        out.push(...(await query(`PREPARE ${p} AS ${body}`)));
        out.push(...(await query(`EXPLAIN EXECUTE ${p}`)));
        out.push(...(await query(`EXPLAIN (ANALYZE, VERBOSE, COSTS OFF) EXECUTE ${p}`)));
      }
      expect(leaked(out), why(out)).to.equal(false);
    });

    it('E2 CREATE TEMP TABLE AS EXECUTE p (p renames ssn; p over payroll), then SELECT from it; protocol statement too', async () => {
      const out: RawMessage[] = [];
      const p1 = `p46_${n++}`;
      const p2 = `p46_${n++}`;
      out.push(...(await query(`PREPARE ${p1} AS SELECT ssn AS n FROM r46_people`)));
      out.push(...(await query(`CREATE TEMP TABLE x46a AS EXECUTE ${p1}`)));
      out.push(...(await query(`SELECT n FROM x46a`)));
      if (mode === 'Enforce') {
        out.push(...(await query(`PREPARE ${p2} AS SELECT amount_cents AS n FROM payroll.salaries`)));
        out.push(...(await query(`CREATE TEMP TABLE x46b AS EXECUTE ${p2}`)));
        out.push(...(await query(`SELECT n FROM x46b`)));
      }
      await prepareProtocol([['pq46', "SELECT ssn || '' AS n FROM r46_people"]]);
      out.push(...(await query(`CREATE TEMP TABLE x46c AS EXECUTE pq46`)));
      out.push(...(await query(`SELECT n FROM x46c`)));
      out.push(...(await query(`SELECT * FROM pg_prepared_statements`)));
      expect(leaked(out), why(out)).to.equal(false);
    });

    it('S1 runtime CHECK sets search_path to payroll, public (SELECT 1::r46_sp); then SELECT/PREPARE+EXECUTE of unqualified salaries', async () => {
      const out: RawMessage[] = [];
      // Prepared before the change: classified when `salaries` resolved to public.salaries.
      session.raw().send(fe.parse({ name: 'ps46', text: 'SELECT employee, amount_cents FROM salaries' }), fe.sync());
      out.push(...(await session.raw().until('Z')));
      out.push(...(await query('PREPARE ps46q AS SELECT employee, amount_cents FROM salaries')));
      out.push(...(await query('SELECT 1::r46_sp AS k')));
      const path = await query('SHOW search_path');
      out.push(...(await query('SELECT employee, amount_cents FROM salaries')));
      out.push(...(await query('EXECUTE ps46q')));
      session
        .raw()
        .send(
          fe.bind({ portal: '', statement: 'ps46' }),
          fe.describe({ type: 'P', name: '' }),
          fe.execute({ portal: '' }),
          fe.sync(),
        );
      out.push(...(await session.raw().until('Z')));
      if (mode === 'Enforce') expect(leaked(out), `path ${rows(path).join()} || ${why(out)}`).to.equal(false);
      else expect(rowsHold(out, SECRET), why(out)).to.equal(false);
    });
  });
}
