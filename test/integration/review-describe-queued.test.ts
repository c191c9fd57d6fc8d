/**
 * A hostile review of an Execute that gets no Describe of its own because the agent's (or an earlier one)
 * is queued (session.ts describeSentLast), and of stale portal reads in Audit mode. Probes, against a real PostgreSQL, whether a ruled column reaches the agent
 * unmasked, or a plan made for another object is applied to an Execute's rows. Each test asserts the secure
 * behaviour.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { rawPerTest } from '../support/vetted-functions.js';
import { fe, type RawMessage } from '../support/raw-client.js';
import { capPreparedBytes, wideColumns } from '../support/wide-table.js';

const SECRET = 'plain-secret-77';
const NOTES = 'prefers-invoices-by-mail';
const rows = (ms: RawMessage[]): string[] => ms.filter((m) => m.type === 'D').map((m) => m.body.toString('latin1'));
const leaked = (ms: RawMessage[], secret = SECRET): boolean => rows(ms).some((r) => r.includes(secret));

async function seed(s: LocalStack): Promise<void> {
  const d = await s.direct();
  await d.query('CREATE TABLE rv_people (id int, ssn text, notes text)');
  await d.query(`INSERT INTO rv_people VALUES (1, '${SECRET}', '${NOTES}')`);
  // Code the proxy cannot see (through a view): closes the portal named r, opens a cursor of that name
  // whose first column is the ruled one.
  await d.query(
    `CREATE FUNCTION rv_reopen(r refcursor) RETURNS int LANGUAGE plpgsql AS $$ BEGIN CLOSE r; OPEN r FOR SELECT ssn AS a, notes AS b FROM rv_people; RETURN 1; END $$`,
  );
  await d.query(`CREATE VIEW rv_view AS SELECT rv_reopen('victim') AS n`);
  await d.query(`GRANT SELECT ON rv_people, rv_view TO agent`).catch(() => undefined);
  await d.end();
}

/** A portal over (notes, ssn): its plan leaves column 0 in clear and redacts column 1. */
const victim = (): Buffer[] => [
  fe.parse({ name: 'sv', text: 'SELECT notes, ssn FROM rv_people' }),
  fe.bind({ portal: 'victim', statement: 'sv' }),
];
/** Runs the view (replacing victim on the server), then reads victim by MOVE 0 (the name is marked fresh again). */
const replaceThenMove = (): Buffer[] => [
  fe.parse({ name: 'sq', text: 'SELECT * FROM rv_view' }),
  fe.bind({ portal: 'pq', statement: 'sq' }),
  fe.execute({ portal: 'pq' }),
  fe.parse({ name: 'sm', text: 'MOVE 0 IN victim' }),
  fe.bind({ portal: 'pm', statement: 'sm' }),
  fe.execute({ portal: 'pm' }),
];

describe('review: a queued Describe standing in for the proxy’s own (mode: Audit, real PostgreSQL)', function () {
  this.timeout(60_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({ editPolicy: (p) => void (p.spec.mode = 'Audit') });
    await seed(s);
  });
  after(async () => s?.stop());
  const session = rawPerTest(() => s);
  const query = session.query;

  it('control: ssn masked, through the replaced cursor read by SQL FETCH', async () => {
    expect(leaked(await query('SELECT ssn FROM rv_people'))).to.equal(false);
  });

  it('A1 Bind, Describe victim, [view replaces victim], MOVE 0 IN victim, Execute victim, Sync (one pipeline)', async () => {
    await query('BEGIN');
    session
      .raw()
      .send(
        ...victim(),
        fe.describe({ type: 'P', name: 'victim' }),
        ...replaceThenMove(),
        fe.execute({ portal: 'victim' }),
        fe.sync(),
      );
    const r = await session.raw().until('Z');
    await query('ROLLBACK');
    expect(leaked(r), 'ssn in clear through a plan made for the replaced portal').to.equal(false);
  });

  it('A2 (no Describe of the agent) Bind, [view], MOVE 0, Execute victim, Sync', async () => {
    await query('BEGIN');
    session.raw().send(...victim(), ...replaceThenMove(), fe.execute({ portal: 'victim' }), fe.sync());
    const r = await session.raw().until('Z');
    await query('ROLLBACK');
    expect(leaked(r)).to.equal(false);
  });

  it('A3 Bind, Describe, Sync (plan made); then [view], Execute victim, Sync', async () => {
    await query('BEGIN');
    session.raw().send(...victim(), fe.describe({ type: 'P', name: 'victim' }), fe.sync());
    await session.raw().until('Z');
    session
      .raw()
      .send(
        fe.parse({ name: 'sq', text: 'SELECT * FROM rv_view' }),
        fe.bind({ portal: 'pq', statement: 'sq' }),
        fe.execute({ portal: 'pq' }),
        fe.execute({ portal: 'victim' }),
        fe.sync(),
      );
    const r = await session.raw().until('Z');
    await query('ROLLBACK');
    expect(leaked(r), 'a described portal read stale in Audit mode keeps its old plan').to.equal(false);
  });

  it('A4 Bind, Execute victim maxRows=1 (proxy Describe queued), [view], MOVE 0, Execute victim, Sync', async () => {
    await query('BEGIN');
    session
      .raw()
      .send(
        fe.parse({ name: 'sv2', text: 'SELECT notes, ssn FROM rv_people, generate_series(1,2)' }),
        fe.bind({ portal: 'victim', statement: 'sv2' }),
        fe.execute({ portal: 'victim', rows: 1 }),
        ...replaceThenMove(),
        fe.execute({ portal: 'victim' }),
        fe.sync(),
      );
    const r = await session.raw().until('Z');
    await query('ROLLBACK');
    expect(leaked(r)).to.equal(false);
  });
});

describe('review: a queued Describe standing in for the proxy’s own (mode: Enforce, real PostgreSQL)', function () {
  this.timeout(60_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({ editPolicy: (p) => void (p.spec.mode = 'Enforce') });
    await seed(s);
  });
  after(async () => s?.stop());
  const session = rawPerTest(() => s);
  const query = session.query;

  it('E1 same pipeline as A1 under Enforce', async () => {
    await query('BEGIN');
    session
      .raw()
      .send(
        ...victim(),
        fe.describe({ type: 'P', name: 'victim' }),
        ...replaceThenMove(),
        fe.execute({ portal: 'victim' }),
        fe.sync(),
      );
    const r = await session.raw().until('Z');
    await query('ROLLBACK');
    expect(leaked(r)).to.equal(false);
  });

  it('E2 Bind victim(id,ssn), Describe victim, Close victim, Bind victim(ssn,id), Execute victim, Sync', async () => {
    session
      .raw()
      .send(
        ...victim(),
        fe.describe({ type: 'P', name: 'victim' }),
        fe.close({ type: 'P', name: 'victim' }),
        fe.parse({ name: 'sw', text: 'SELECT ssn AS a, notes AS b FROM rv_people' }),
        fe.bind({ portal: 'victim', statement: 'sw' }),
        fe.execute({ portal: 'victim' }),
        fe.sync(),
      );
    const r = await session.raw().until('Z');
    expect(leaked(r)).to.equal(false);
  });

  it('E3 unnamed: Bind ""(id,ssn), Describe "", Bind ""(ssn,id), Execute "", Sync', async () => {
    session
      .raw()
      .send(
        fe.parse({ name: 'sv', text: 'SELECT notes, ssn FROM rv_people' }),
        fe.bind({ portal: '', statement: 'sv' }),
        fe.describe({ type: 'P', name: '' }),
        fe.parse({ name: 'sw', text: 'SELECT ssn AS a, notes AS b FROM rv_people' }),
        fe.bind({ portal: '', statement: 'sw' }),
        fe.execute({ portal: '' }),
        fe.sync(),
      );
    const r = await session.raw().until('Z');
    expect(leaked(r)).to.equal(false);
  });

  it('E4 Describe S of the statement (not the portal), Execute, Sync', async () => {
    session
      .raw()
      .send(
        fe.parse({ name: 'sw', text: 'SELECT ssn AS a FROM rv_people' }),
        fe.describe({ type: 'S', name: 'sw' }),
        fe.bind({ portal: 'pw', statement: 'sw' }),
        fe.execute({ portal: 'pw' }),
        fe.sync(),
      );
    const r = await session.raw().until('Z');
    expect(leaked(r)).to.equal(false);
  });

  it('E5 Bind, Describe, Execute maxRows=1, Execute maxRows=1, Execute, Sync (suspended portal)', async () => {
    await query('BEGIN');
    session
      .raw()
      .send(
        fe.parse({ name: 'sx', text: 'SELECT ssn FROM rv_people, generate_series(1,3)' }),
        fe.bind({ portal: 'px', statement: 'sx' }),
        fe.describe({ type: 'P', name: 'px' }),
        fe.execute({ portal: 'px', rows: 1 }),
        fe.execute({ portal: 'px', rows: 1 }),
        fe.execute({ portal: 'px' }),
        fe.sync(),
      );
    const r = await session.raw().until('Z');
    await query('ROLLBACK');
    expect(rows(r)).to.have.length(3);
    expect(leaked(r)).to.equal(false);
  });

  it('E6 Bind, Describe, Flush, [T read], Execute, Sync', async () => {
    session
      .raw()
      .send(
        fe.parse({ name: 'sx', text: 'SELECT ssn FROM rv_people' }),
        fe.bind({ portal: 'px', statement: 'sx' }),
        fe.describe({ type: 'P', name: 'px' }),
        fe.flush(),
      );
    await session.raw().until('T');
    session.raw().send(fe.execute({ portal: 'px' }), fe.sync());
    const r = await session.raw().until('Z');
    expect(leaked(r)).to.equal(false);
  });

  it('E7 policy reload between the proxy forwarding Describe and the Execute (notes rule added)', async () => {
    await query('BEGIN');
    session
      .raw()
      .send(
        fe.parse({ name: 'sn', text: 'SELECT notes FROM rv_people' }),
        fe.bind({ portal: 'pn', statement: 'sn' }),
        fe.describe({ type: 'P', name: 'pn' }),
      );
    await new Promise((r) => setTimeout(r, 500)); // the proxy has forwarded the Describe (no Flush: no answer yet)
    const before = structuredClone(s.policy);
    const p = structuredClone(s.policy);
    p.spec.masking!.columns!.push({ name: 'notes', strategy: 'redact' });
    s.proxy.updatePolicy(p);
    try {
      session.raw().send(fe.execute({ portal: 'pn' }), fe.sync());
      const r = await session.raw().until('Z');
      await query('ROLLBACK');
      expect(leaked(r, NOTES)).to.equal(false);
    } finally {
      s.proxy.updatePolicy(before);
    }
  });

  it('E8 policy reload after the Describe answer (Flush), Execute in the same batch', async () => {
    await query('BEGIN');
    session
      .raw()
      .send(
        fe.parse({ name: 'sn', text: 'SELECT notes FROM rv_people' }),
        fe.bind({ portal: 'pn', statement: 'sn' }),
        fe.describe({ type: 'P', name: 'pn' }),
        fe.flush(),
      );
    await session.raw().until('T');
    const before = structuredClone(s.policy);
    const p = structuredClone(s.policy);
    p.spec.masking!.columns!.push({ name: 'notes', strategy: 'redact' });
    s.proxy.updatePolicy(p);
    try {
      session.raw().send(fe.execute({ portal: 'pn' }), fe.sync());
      const r = await session.raw().until('Z');
      await query('ROLLBACK');
      expect(leaked(r, NOTES)).to.equal(false);
    } finally {
      s.proxy.updatePolicy(before);
    }
  });
});

describe('review: queued Describes and plans trimmed past maxPreparedBytes (real PostgreSQL)', function () {
  this.timeout(120_000);
  const LIMIT = 131072;
  const COLUMNS = 1599;
  const SSN = '123-45-6789';
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({
      editPolicy: capPreparedBytes(LIMIT),
    });
    const d = await s.direct();
    await d.query(`CREATE TABLE r37_wide (ssn text, ${wideColumns(COLUMNS)})`);
    await d.query(`INSERT INTO r37_wide (ssn) SELECT '${SSN}' FROM generate_series(1,3)`);
    await d.end();
  });
  after(async () => s?.stop());
  const session = rawPerTest(() => s, { timeoutMs: 60_000 });
  const query = session.query;
  const bad = (ms: RawMessage[]): boolean => ms.some((m) => m.type === 'D' && m.body.toString('latin1').includes(SSN));

  const prepare = async (): Promise<void> => {
    await query('BEGIN');
    session.raw().send(fe.parse({ name: 'wide', text: 'SELECT * FROM r37_wide' }), fe.sync());
    await session.raw().until('Z');
  };
  const done = async (r: RawMessage[], n: number): Promise<void> => {
    await query('ROLLBACK');
    expect(r.filter((m) => m.type === 'D')).to.have.length(n);
    expect(bad(r)).to.equal(false);
  };

  it('T1 (one plan over the limit) Bind q0, Describe q0, Execute rows=1, Execute rows=1, Execute, Sync', async () => {
    await prepare();
    session
      .raw()
      .send(
        fe.bind({ portal: 'q0', statement: 'wide' }),
        fe.describe({ type: 'P', name: 'q0' }),
        fe.execute({ portal: 'q0', rows: 1 }),
        fe.execute({ portal: 'q0', rows: 1 }),
        fe.execute({ portal: 'q0' }),
        fe.sync(),
      );
    await done(await session.raw().until('Z', 60_000), 3);
  });

  it('T2 Bind q0, Describe q0, Execute rows=1, Sync (plan trimmed); then Describe q0, Execute q0, Sync', async () => {
    await prepare();
    session
      .raw()
      .send(
        fe.bind({ portal: 'q0', statement: 'wide' }),
        fe.describe({ type: 'P', name: 'q0' }),
        fe.execute({ portal: 'q0', rows: 1 }),
        fe.sync(),
      );
    const first = await session.raw().until('Z', 60_000);
    expect(bad(first)).to.equal(false);
    session.raw().send(fe.describe({ type: 'P', name: 'q0' }), fe.execute({ portal: 'q0' }), fe.sync());
    await done(await session.raw().until('Z', 60_000), 2);
  });

  it('T3 Bind q0, Describe q0, Describe q0, Execute q0 rows=1, Describe q0, Execute q0, Sync', async () => {
    await prepare();
    session
      .raw()
      .send(
        fe.bind({ portal: 'q0', statement: 'wide' }),
        fe.describe({ type: 'P', name: 'q0' }),
        fe.describe({ type: 'P', name: 'q0' }),
        fe.execute({ portal: 'q0', rows: 1 }),
        fe.describe({ type: 'P', name: 'q0' }),
        fe.execute({ portal: 'q0' }),
        fe.sync(),
      );
    await done(await session.raw().until('Z', 60_000), 3);
  });
});
