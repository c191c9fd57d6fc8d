/**
 * Review round 2 of the stale-name backstop (name-freshness.ts, name-baselines.ts): a name stays fresh
 * while "nothing but its own reads has run since it was created". The end of an implicit transaction — a
 * Sync after an extended-protocol pipeline, the end of a Query outside a transaction block — runs code no forwarded statement accounts for: deferred
 * constraint triggers fire at that commit, and the query of every WITH HOLD cursor runs there (it is kept),
 * with whatever a view in it calls. Such code can close the cursor the pipeline's last statement
 * declared WITH HOLD and declare it again from the identical text under its own search_path (where the
 * name resolves, for that moment, to a view over a denied table). The proxy still holds the name as fresh
 * and unrecorded; the next batch records the *replacement's* creation time (its digest and holdability match)
 * and the FETCH is decided as the cursor the proxy knew: payroll comes back in clear.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { fe, firstColumns, RawClient, type RawMessage } from '../support/raw-client.js';

const cells = firstColumns;
const PAYROLL = '12000000';
const DECLARE = 'DECLARE victim CURSOR WITH HOLD FOR SELECT amount_cents FROM orders';
const ORDERS = ['12900', '4500', '99900', '2500'];
const SHADOW = 'CREATE VIEW payroll.orders AS SELECT amount_cents FROM payroll.salaries';
const UNSHADOW = 'DROP VIEW payroll.orders';
const ONE_QUERY = `INSERT INTO rs2_log2 VALUES (1); ${DECLARE}`;

describe('review stale 2: code run by an implicit commit (deferred triggers, WITH HOLD queries) replaces a fresh cursor (real PostgreSQL)', function () {
  let s: LocalStack;
  let raw: RawClient;
  before(async () => {
    // Tables denied by rule, values masked by detectors only (no column rules: an unknown origin is not redacted).
    s = await startLocalStack({ editPolicy: (p) => void (p.spec.masking!.columns = []) });
    const d = await s.direct();
    await d.query('CREATE TABLE rs2_log (x int)');
    // A deferred constraint trigger, with the common hardening of its own search_path.
    await d.query(
      `CREATE FUNCTION rs2_swap() RETURNS trigger LANGUAGE plpgsql SET search_path = payroll, public AS $$
       BEGIN
         IF EXISTS (SELECT 1 FROM pg_catalog.pg_cursors WHERE name = 'victim') THEN
           EXECUTE '${SHADOW}'; EXECUTE 'CLOSE victim'; EXECUTE '${DECLARE}'; EXECUTE '${UNSHADOW}';
         END IF;
         RETURN NULL;
       END $$`,
    );
    await d.query(
      'CREATE CONSTRAINT TRIGGER rs2_t AFTER INSERT ON rs2_log DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION rs2_swap()',
    );
    // The same swap run by a view's column: the query of a WITH HOLD cursor runs when the commit keeps it.
    await d.query(
      `CREATE FUNCTION rs2_swap_fn() RETURNS int LANGUAGE plpgsql SET search_path = payroll, public AS $$
       BEGIN
         IF EXISTS (SELECT 1 FROM pg_catalog.pg_cursors WHERE name = 'victim') THEN
           EXECUTE '${SHADOW}'; EXECUTE 'CLOSE victim'; EXECUTE '${DECLARE}'; EXECUTE '${UNSHADOW}';
         END IF;
         RETURN 1;
       END $$`,
    );
    await d.query('CREATE VIEW rs2_counts AS SELECT rs2_swap_fn() AS n');
    // For one Query: the cursor's known text is the whole Query message, which the trigger runs again (once).
    await d.query('CREATE TABLE rs2_log2 (x int)');
    await d.query(
      `CREATE FUNCTION rs2_swap_query() RETURNS trigger LANGUAGE plpgsql SET search_path = payroll, public AS $$
       BEGIN
         IF current_setting('rs2.swapped', true) IS DISTINCT FROM 'yes'
            AND EXISTS (SELECT 1 FROM pg_catalog.pg_cursors WHERE name = 'victim') THEN
           PERFORM set_config('rs2.swapped', 'yes', true);
           EXECUTE '${SHADOW}'; EXECUTE 'CLOSE victim'; EXECUTE '${ONE_QUERY}'; EXECUTE '${UNSHADOW}';
         END IF;
         RETURN NULL;
       END $$`,
    );
    await d.query(
      'CREATE CONSTRAINT TRIGGER rs2_t2 AFTER INSERT ON rs2_log2 DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION rs2_swap_query()',
    );
    await d.end();
  });
  after(async () => s?.stop());
  beforeEach(async () => {
    raw = await RawClient.connect(s.host, s.port, await s.token());
  });
  afterEach(() => raw?.end());

  const query = async (sql: string): Promise<RawMessage[]> => {
    raw.send(fe.query(sql));
    return raw.until('Z');
  };

  it('an INSERT then a WITH HOLD DECLARE in one pipeline: the trigger fired at Sync reopens the cursor; its FETCH must not read payroll', async () => {
    raw.send(
      fe.parse({ name: '', text: 'INSERT INTO rs2_log VALUES (1)' }),
      fe.bind({ portal: '', statement: '' }),
      fe.execute({ portal: '' }),
      fe.parse({ name: 'rs2_decl', text: DECLARE }),
      fe.bind({ portal: '', statement: 'rs2_decl' }),
      fe.execute({ portal: '' }),
      fe.sync(),
    );
    const setup = await raw.until('Z');
    expect(setup.filter((m) => m.type === 'E').map((m) => m.error?.message)).to.deep.equal([]);
    const r = await query('FETCH ALL FROM victim');
    await query('CLOSE victim');
    expect(cells(r)).to.not.include(PAYROLL);
    // Refused, or rows of the cursor the proxy decided — not payroll's rows.
    for (const c of cells(r)) expect(ORDERS).to.include(c);
  });

  it('two WITH HOLD DECLAREs in one pipeline: the query of the first, run by the commit at Sync, reopens the second; its FETCH must not read payroll', async () => {
    raw.send(
      fe.parse({ name: '', text: 'DECLARE keeper CURSOR WITH HOLD FOR SELECT n FROM rs2_counts' }),
      fe.bind({ portal: '', statement: '' }),
      fe.execute({ portal: '' }),
      fe.parse({ name: 'rs2_decl2', text: DECLARE }),
      fe.bind({ portal: '', statement: 'rs2_decl2' }),
      fe.execute({ portal: '' }),
      fe.sync(),
    );
    const setup = await raw.until('Z');
    expect(setup.filter((m) => m.type === 'E').map((m) => m.error?.message)).to.deep.equal([]);
    const r = await query('FETCH ALL FROM victim');
    await query('CLOSE victim');
    await query('CLOSE keeper');
    expect(cells(r)).to.not.include(PAYROLL);
    for (const c of cells(r)) expect(ORDERS).to.include(c);
  });

  it('an INSERT then a WITH HOLD DECLARE in one Query: the trigger fired as the Query commits reopens the cursor; its FETCH must not read payroll', async () => {
    const setup = await query(ONE_QUERY);
    expect(setup.filter((m) => m.type === 'E').map((m) => m.error?.message)).to.deep.equal([]);
    const r = await query('FETCH ALL FROM victim');
    await query('CLOSE victim');
    expect(cells(r)).to.not.include(PAYROLL);
    for (const c of cells(r)) expect(ORDERS).to.include(c);
  });
});
