/**
 * The proxy's prepared statements and portals must be exactly the server's: a name is decided as what
 * the server will run under it. Neighbours of review10 findings 1 and 2 (refused or skipped creates,
 * unnamed statement/portal semantics, portals ended by the transaction or by SQL cursors, responses
 * matched to the portal they belong to).
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { fe, RawClient, type RawMessage } from '../support/raw-client.js';

const NOTES = 'PREFERS INVOICES BY MAIL';
const UPPER_NOTES = 'SELECT upper(notes) AS u FROM customers WHERE id = 2';
const rows = (ms: RawMessage[]): string =>
  ms
    .filter((m) => m.type === 'D')
    .map((m) => m.body.toString('latin1'))
    .join('|');
const errors = (ms: RawMessage[]): (string | undefined)[] => ms.filter((m) => m.type === 'E').map((m) => m.error?.code);

describe('attack: session state (prepared statements and portals) follows the server', function () {
  let s: LocalStack;
  let raw: RawClient;
  const q = async (sql: string): Promise<RawMessage[]> => {
    raw.send(fe.query(sql));
    return raw.until('Z');
  };
  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => void p.spec.masking!.columns!.push({ name: 'notes', strategy: 'redact' }),
    });
  });
  after(async () => s?.stop());
  beforeEach(async () => {
    raw = await RawClient.connect(s.host, s.port, await s.token());
  });
  afterEach(() => raw.end());

  it('a refused Bind onto an existing protocol portal: the proxy no longer runs that name as the new statement', async () => {
    await q('BEGIN');
    raw.send(fe.parse({ name: 'secret', text: UPPER_NOTES }), fe.bind({ portal: 'p', statement: 'secret' }), fe.sync());
    await raw.until('Z');
    await q('SAVEPOINT s');
    // 42P03: the server keeps the first portal p
    raw.send(
      fe.parse({ name: 'harmless', text: `SELECT 'x'::text AS u` }),
      fe.bind({ portal: 'p', statement: 'harmless' }),
      fe.sync(),
    );
    expect(errors(await raw.until('Z'))).to.deep.equal(['42P03']);
    await q('ROLLBACK TO SAVEPOINT s');
    raw.send(fe.execute({ portal: 'p' }), fe.sync());
    const out = await raw.until('Z');
    await q('ROLLBACK');
    expect(rows(out)).to.not.contain(NOTES);
    expect(errors(out)).to.deep.equal(['34000']);
  });

  it('a portal ends with its implicit transaction: a WITH HOLD cursor of the same name is not run as the old portal', async () => {
    raw.send(
      fe.parse({ name: 'h', text: `SELECT 'x'::text AS u` }),
      fe.bind({ portal: 'p', statement: 'h' }),
      fe.sync(),
    );
    await raw.until('Z'); // Sync commits: the server drops portal p
    expect(errors(await q(`DECLARE p CURSOR WITH HOLD FOR ${UPPER_NOTES}`))).to.deep.equal([]);
    raw.send(fe.execute({ portal: 'p' }), fe.sync());
    const out = await raw.until('Z');
    await q('CLOSE p');
    expect(rows(out)).to.not.contain(NOTES);
    expect(errors(out)).to.deep.equal(['34000']);
  });

  it("SQL CLOSE and DECLARE under a protocol portal's name: Execute does not run the cursor as the old portal", async () => {
    await q('BEGIN');
    raw.send(
      fe.parse({ name: 'h2', text: `SELECT 'x'::text AS u` }),
      fe.bind({ portal: 'p2', statement: 'h2' }),
      fe.sync(),
    );
    await raw.until('Z');
    await q('CLOSE p2');
    await q(`DECLARE p2 CURSOR FOR ${UPPER_NOTES}`);
    raw.send(fe.describe({ type: 'P', name: 'p2' }), fe.execute({ portal: 'p2' }), fe.sync());
    const out = await raw.until('Z');
    await q('ROLLBACK');
    expect(rows(out)).to.not.contain(NOTES);
    expect(errors(out)).to.deep.equal(['34000']);
  });

  it('FETCH of a DECLAREd cursor is still masked (the SQL path classifies cursors)', async () => {
    await q('BEGIN');
    await q(`DECLARE f CURSOR FOR ${UPPER_NOTES}`);
    const out = await q('FETCH ALL FROM f');
    await q('ROLLBACK');
    expect(rows(out)).to.not.contain(NOTES);
  });

  it('SQL FETCH from a protocol portal is masked', async () => {
    await q('BEGIN');
    raw.send(fe.parse({ name: 'pf', text: UPPER_NOTES }), fe.bind({ portal: 'pf', statement: 'pf' }), fe.sync());
    await raw.until('Z');
    const out = await q('FETCH ALL FROM pf');
    await q('ROLLBACK');
    expect(rows(out)).to.not.contain(NOTES);
  });

  it('the unnamed portal re-bound in one pipeline: each Execute is masked as its own statement', async () => {
    raw.send(
      fe.parse({ name: '', text: UPPER_NOTES }),
      fe.bind({}),
      fe.execute({}),
      fe.parse({ name: '', text: `SELECT 'x'::text AS u` }),
      fe.bind({}),
      fe.execute({}),
      fe.sync(),
    );
    const out = await raw.until('Z');
    expect(errors(out)).to.deep.equal([]);
    expect(rows(out)).to.not.contain(NOTES);
    expect(rows(out)).to.contain('[redacted:notes]');
  });

  it('a failed Parse of the unnamed statement drops the previous one, as in the server', async () => {
    raw.send(fe.parse({ name: '', text: 'SELECT 1' }), fe.sync());
    await raw.until('Z');
    raw.send(fe.parse({ name: '', text: 'SELECT * FROM no_such_table' }), fe.sync());
    expect(errors(await raw.until('Z'))).to.deep.equal(['42P01']);
    raw.send(fe.bind({}), fe.execute({}), fe.sync());
    const out = await raw.until('Z');
    expect(out.find((m) => m.type === 'E')?.error?.message).to.contain('agentgate');
  });

  it('a simple Query drops the unnamed statement, as in the server', async () => {
    raw.send(fe.parse({ name: '', text: 'SELECT 1' }), fe.sync());
    await raw.until('Z');
    await q('SELECT 2');
    raw.send(fe.bind({}), fe.execute({}), fe.sync());
    const out = await raw.until('Z');
    expect(out.find((m) => m.type === 'E')?.error?.message).to.contain('agentgate');
  });

  it('a statement skipped after an error in its batch is not recorded; the earlier one still runs as itself', async () => {
    await q(`PREPARE k AS ${UPPER_NOTES}`);
    // the first message fails; the server skips DEALLOCATE-free re-Parse of k and everything to Sync
    raw.send(
      fe.parse({ name: '', text: 'SELECT * FROM no_such_table' }),
      fe.parse({ name: 'k', text: `SELECT 'x'::text AS u` }),
      fe.sync(),
    );
    expect(errors(await raw.until('Z'))).to.deep.equal(['42P01']);
    const out = await q('EXECUTE k');
    expect(rows(out)).to.not.contain(NOTES);
    expect(rows(out)).to.contain('[redacted:notes]');
  });

  it('a parsed EXECUTE runs as what its prepared statement is at Execute, not at Parse', async () => {
    await q(`PREPARE ip AS SELECT 'x'::text AS u`);
    raw.send(fe.parse({ name: 'e', text: 'EXECUTE ip' }), fe.sync());
    expect(errors(await raw.until('Z'))).to.deep.equal([]);
    await q('DEALLOCATE ip');
    await q(`PREPARE ip AS ${UPPER_NOTES}`);
    raw.send(fe.bind({ statement: 'e' }), fe.execute({}), fe.sync());
    const out = await raw.until('Z');
    expect(rows(out)).to.not.contain(NOTES);
  });

  it('EXECUTE after DEALLOCATE and PREPARE in the same query runs as the new statement', async () => {
    await q(`PREPARE m AS SELECT 'x'::text AS u`);
    const out = await q(`DEALLOCATE m; PREPARE m AS ${UPPER_NOTES}; EXECUTE m`);
    expect(rows(out)).to.not.contain(NOTES);
    expect(rows(out)).to.contain('[redacted:notes]');
  });

  it('DEALLOCATE then PREPARE in one query: the new statement is what runs', async () => {
    await q(`PREPARE d AS ${UPPER_NOTES}`);
    await q(`DEALLOCATE d; PREPARE d AS SELECT 'x'::text AS u`);
    const out = await q('EXECUTE d');
    expect(rows(out)).to.contain('x');
    expect(errors(out)).to.deep.equal([]);
  });
});
