/**
 * The check of a stale cursor at a FETCH's Parse, first in its batch (psycopg 3's server cursors): code run
 * between that check and the Execute (another Parse, a Bind with a domain parameter, a re-analysing
 * Describe S) makes the cursor stale again (B1-B4); chains are checked through (C1, C2); the agent sees
 * its messages in order, with Flush, in one pipeline, and when the check runs in an aborted transaction
 * (D1-D4). Probes of the hostile review of round 45; no `ssn` in clear, no payroll row in Enforce mode.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { rawPerTest } from '../support/vetted-functions.js';
import { fe, type RawMessage } from '../support/raw-client.js';
import { messageTrace, PAYROLL_AMOUNT, rowsHold } from '../support/leak-probe.js';

const SECRET = 'plain-secret-45';
const kinds = messageTrace;
const leaked = (ms: RawMessage[]): boolean => rowsHold(ms, SECRET, PAYROLL_AMOUNT);

async function seed(s: LocalStack): Promise<void> {
  const d = await s.direct();
  await d.query('CREATE TABLE r45_people (id int, ssn text, notes text)');
  await d.query(`INSERT INTO r45_people VALUES (1, '${SECRET}', 'prefers-invoices-by-mail')`);
  await d.query('CREATE TABLE r45_t2 (id int)');
  await d.query('INSERT INTO r45_t2 VALUES (1), (2), (3)');
  await d.query(
    `CREATE FUNCTION r45_reopen(r refcursor) RETURNS int LANGUAGE plpgsql AS $$ BEGIN CLOSE r;
       IF r::text LIKE 'pay%' THEN OPEN r FOR SELECT amount_cents AS notes FROM payroll.salaries;
       ELSE OPEN r FOR SELECT ssn || '' AS notes FROM r45_people; END IF; RETURN 1; END $$`,
  );
  await d.query(
    `CREATE FUNCTION r45_swap() RETURNS boolean LANGUAGE plpgsql AS $$ DECLARE n text; BEGIN
       FOR n IN SELECT name FROM pg_catalog.pg_cursors WHERE name LIKE 'pe45%' OR name LIKE 'pay45%' LOOP
         PERFORM r45_reopen(n::refcursor); END LOOP; RETURN true; END $$`,
  );
  await d.query(`CREATE DOMAIN r45_dom AS int CHECK (r45_swap())`);
  await d.query(
    `CREATE FUNCTION r45_discard() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'DISCARD PLANS'; RETURN true; END $$`,
  );
  await d.query(`CREATE DOMAIN r45_inv AS int CHECK (r45_discard())`);
  await d.end();
}

for (const mode of ['Audit', 'Enforce'] as const) {
  describe(`parse-time code, a FETCH's Parse checks its cursor, mode ${mode}`, function () {
    this.timeout(60_000);
    let s: LocalStack;
    before(async () => {
      s = await startLocalStack({ editPolicy: (p) => void (p.spec.mode = mode) });
      await seed(s);
    });
    after(async () => s?.stop());
    const session = rawPerTest(() => s);
    const query = session.query;
    const send = async (...m: Buffer[]): Promise<RawMessage[]> => {
      session.raw().send(...m, fe.sync());
      return session.raw().until('Z');
    };
    const declare = async (cur: string): Promise<void> => {
      await query('BEGIN');
      expect(kinds(await query(`DECLARE ${cur} CURSOR FOR SELECT notes FROM r45_people`))).to.equal('C Z');
    };
    const swapQ = `SELECT '{1}'::r45_dom[] IS NOT NULL AS ok`;
    const curs = mode === 'Enforce' ? ['pe45c', 'pay45c'] : ['pe45c'];

    for (const cur of curs) {
      it(`A1 (${cur}) Q swap replaces ${cur} before the batch; psycopg batch Parse/Bind/Describe P/Execute/Sync of FETCH (Parse-time check sees it replaced)`, async () => {
        await declare(cur);
        await query(swapQ);
        const r = await send(
          fe.parse({ text: `FETCH ALL FROM ${cur}` }),
          fe.bind({}),
          fe.describe({ type: 'P', name: '' }),
          fe.execute({}),
        );
        await query('ROLLBACK');
        expect(leaked(r), kinds(r)).to.equal(false);
        // The check at the Parse showed another object under the name: refused as replaced, not as unknown.
        if (mode === 'Enforce') expect(kinds(r)).to.contain('replaced-cursor');
      });

      it(`A2 (${cur}) as A1, no Describe: Parse/Bind/Execute/Sync`, async () => {
        await declare(cur);
        await query(swapQ);
        const r = await send(fe.parse({ text: `FETCH ALL FROM ${cur}` }), fe.bind({}), fe.execute({}));
        await query('ROLLBACK');
        expect(leaked(r), kinds(r)).to.equal(false);
      });

      it(`B1 (${cur}) Q SELECT 1 (stale); Parse sf FETCH (checked, same), Parse sw swap, Bind x sf, Describe P x, Execute x, Sync`, async () => {
        await declare(cur);
        await query('SELECT 1');
        const r = await send(
          fe.parse({ name: 'sf', text: `FETCH ALL FROM ${cur}` }),
          fe.parse({ name: 'sw', text: swapQ }),
          fe.bind({ portal: 'x', statement: 'sf' }),
          fe.describe({ type: 'P', name: 'x' }),
          fe.execute({ portal: 'x' }),
        );
        await query('ROLLBACK');
        expect(leaked(r), kinds(r)).to.equal(false);
      });

      it(`B2 (${cur}) Parse sf FETCH (checked), Bind x sf, Describe P x, Parse sw swap, Execute x, Sync`, async () => {
        await declare(cur);
        await query('SELECT 1');
        const r = await send(
          fe.parse({ name: 'sf', text: `FETCH ALL FROM ${cur}` }),
          fe.bind({ portal: 'x', statement: 'sf' }),
          fe.describe({ type: 'P', name: 'x' }),
          fe.parse({ name: 'sw', text: swapQ }),
          fe.execute({ portal: 'x' }),
        );
        await query('ROLLBACK');
        expect(leaked(r), kinds(r)).to.equal(false);
      });

      it(`B3 (${cur}) sd = SELECT $1::r45_dom prepared earlier; Parse sf FETCH (checked), Bind pd sd with a domain parameter (CHECK swaps), Bind x sf, Describe x, Execute x, Sync`, async () => {
        await declare(cur);
        expect(kinds(await send(fe.parse({ name: 'sd', text: 'SELECT $1::r45_dom AS v', types: [] })))).to.equal('1 Z');
        await query('SELECT 1');
        const r = await send(
          fe.parse({ name: 'sf', text: `FETCH ALL FROM ${cur}` }),
          fe.bind({ portal: 'pd', statement: 'sd', values: ['1'] }),
          fe.bind({ portal: 'x', statement: 'sf' }),
          fe.describe({ type: 'P', name: 'x' }),
          fe.execute({ portal: 'x' }),
        );
        await query('ROLLBACK');
        expect(leaked(r), kinds(r)).to.equal(false);
      });

      it(`B4 (${cur}) sw prepared, plan invalidated by a runtime DISCARD PLANS; Parse sf FETCH (checked), Describe S sw (re-analysis swaps), Bind x sf, Describe x, Execute x, Sync`, async () => {
        await declare(cur);
        // sw's analysis swaps: prepare it before the cursor matters (it replaces now: re-declare after)
        expect(kinds(await send(fe.parse({ name: 'sw', text: swapQ })))).to.equal('1 Z');
        await query(`CLOSE ${cur}`);
        expect(kinds(await query(`DECLARE ${cur} CURSOR FOR SELECT notes FROM r45_people`))).to.equal('C Z');
        await query('SELECT ARRAY[1]::r45_inv[] IS NOT NULL AS ok');
        const r = await send(
          fe.parse({ name: 'sf', text: `FETCH ALL FROM ${cur}` }),
          fe.describe({ type: 'S', name: 'sw' }),
          fe.bind({ portal: 'x', statement: 'sf' }),
          fe.describe({ type: 'P', name: 'x' }),
          fe.execute({ portal: 'x' }),
        );
        await query('ROLLBACK');
        expect(leaked(r), kinds(r)).to.equal(false);
      });

      it(`C1 (${cur}) chain: Parse/Bind x1 FETCH ${cur}, Sync; Q swap; Parse sx2 "FETCH ALL FROM x1" (check: ${cur} replaced, x1 same), Bind x2, Describe x2, Execute x2, Sync`, async () => {
        await declare(cur);
        expect(
          kinds(
            await send(
              fe.parse({ name: 'sx1', text: `FETCH ALL FROM ${cur}` }),
              fe.bind({ portal: 'x1', statement: 'sx1' }),
            ),
          ),
        ).to.equal('1 2 Z');
        await query(swapQ);
        const r = await send(
          fe.parse({ name: 'sx2', text: 'FETCH ALL FROM x1' }),
          fe.bind({ portal: 'x2', statement: 'sx2' }),
          fe.describe({ type: 'P', name: 'x2' }),
          fe.execute({ portal: 'x2' }),
        );
        await query('ROLLBACK');
        expect(leaked(r), kinds(r)).to.equal(false);
      });

      it(`C2 (${cur}) as C1, Execute x2 without Describe`, async () => {
        await declare(cur);
        await send(
          fe.parse({ name: 'sx1', text: `FETCH ALL FROM ${cur}` }),
          fe.bind({ portal: 'x1', statement: 'sx1' }),
        );
        await query(swapQ);
        const r = await send(
          fe.parse({ name: 'sx2', text: 'FETCH ALL FROM x1' }),
          fe.bind({ portal: 'x2', statement: 'sx2' }),
          fe.execute({ portal: 'x2' }),
        );
        await query('ROLLBACK');
        expect(leaked(r), kinds(r)).to.equal(false);
      });
    }

    it('D1 protocol: stale cursor; Parse sf FETCH, Flush -> exactly ParseComplete; then Bind/Describe/Execute/Sync', async () => {
      await query('BEGIN');
      await query('DECLARE c45 CURSOR FOR SELECT id FROM r45_t2');
      await query('SELECT 1');
      session.raw().send(fe.parse({ name: 'sf', text: 'FETCH 1 FROM c45' }), fe.flush());
      const first = await session.raw().until('1');
      session
        .raw()
        .send(
          fe.bind({ portal: 'x', statement: 'sf' }),
          fe.describe({ type: 'P', name: 'x' }),
          fe.execute({ portal: 'x' }),
          fe.sync(),
        );
      const rest = await session.raw().until('Z');
      await query('ROLLBACK');
      expect(kinds(first)).to.equal('1');
      expect(kinds(rest)).to.equal('2 T D C Z');
    });

    it('D2 protocol: stale cursor, two FETCH Parses first and second in a batch, each Bind/Describe/Execute (pipeline, one Sync)', async () => {
      await query('BEGIN');
      await query('DECLARE c45 CURSOR FOR SELECT id FROM r45_t2');
      await query('SELECT 1');
      const r = await send(
        fe.parse({ text: 'FETCH 1 FROM c45' }),
        fe.bind({}),
        fe.describe({ type: 'P', name: '' }),
        fe.execute({}),
        fe.parse({ text: 'FETCH 1 FROM c45' }),
        fe.bind({}),
        fe.describe({ type: 'P', name: '' }),
        fe.execute({}),
      );
      await query('ROLLBACK');
      expect(kinds(r)).to.equal('1 2 T D C 1 2 T D C Z');
    });

    it('D3 check failure: agent transaction aborted; Parse FETCH of a stale cursor -> ordinary 25P02, no lost/extra messages', async () => {
      await query('BEGIN');
      await query('DECLARE c45 CURSOR FOR SELECT id FROM r45_t2');
      await query('SELECT 1/0');
      const r = await send(
        fe.parse({ text: 'FETCH 1 FROM c45' }),
        fe.bind({}),
        fe.describe({ type: 'P', name: '' }),
        fe.execute({}),
      );
      const rb = await query('ROLLBACK');
      expect(kinds(r)).to.match(/^(N )?E\(25P02[^)]*\) Z$/);
      expect(kinds(rb)).to.equal('C Z');
    });

    it('D4 statement_timeout 1ms set by the agent; psycopg FETCH batch of a stale cursor x20 -> each answered in order, never rows of an unchecked read in Enforce', async () => {
      await query('BEGIN');
      await query('DECLARE c45 CURSOR FOR SELECT id FROM r45_t2, generate_series(1,100)');
      await query(`SET LOCAL statement_timeout = '1ms'`);
      for (let i = 0; i < 20; i++) {
        await query('SELECT 1');
        const r = await send(
          fe.parse({ text: 'FETCH 1 FROM c45' }),
          fe.bind({}),
          fe.describe({ type: 'P', name: '' }),
          fe.execute({}),
        );
        // Whatever the 1 ms timeout cancels (the agent's statement, the proxy's check), the answers come in
        // order and end the batch: its messages' answers up to the one that failed, then ReadyForQuery.
        const types = r.map((m) => m.type).join(' ');
        expect(types, kinds(r)).to.match(/^(N )*(1 (2 (T (D )?)?)?)?(C|E)( N)* Z$/);
      }
      await query('ROLLBACK');
    });
  });
}
