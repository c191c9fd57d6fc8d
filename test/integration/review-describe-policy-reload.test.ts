/**
 * A hostile review of the agent's Describe standing in for the proxy's own (session.ts describeSentLast):
 * a policy reloaded while the server is slow to answer (a lock holds it) must mask the rows of that very
 * answer. The RowDescription made the plan under the session's old policy and described() -> trimPlans()
 * adopted the new one, so the rows went out under the new masker with the old plan: R1 and C1 leaked where
 * the proxy's own Describe, answered later, had made the plan again; R2 (no Describe of the agent) leaked
 * before this change too. The RowDescription now adopts the policy in force first. The other probes held:
 * an approval hold, NoData answers, the uninspectable-columns notice.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { rawPerTest } from '../support/vetted-functions.js';
import { fe, type RawMessage } from '../support/raw-client.js';
import { MemoryBroker } from '../support/memory-broker.js';

const SECRET = 'plain-secret-77';
const NOTES = 'prefers-invoices-by-mail';
const rows = (ms: RawMessage[]): string[] => ms.filter((m) => m.type === 'D').map((m) => m.body.toString('latin1'));
const leaked = (ms: RawMessage[], secret = SECRET): boolean => rows(ms).some((r) => r.includes(secret));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Prepares `sn` (id, notes), then sends `batch` while a direct session locks r39_people (the server waits at
 * Bind, everything forwarded), adds a `notes` column rule, releases the lock: the answers to `batch`.
 */
async function reloadWhileLocked(
  s: LocalStack,
  session: ReturnType<typeof rawPerTest>,
  batch: Buffer[],
): Promise<RawMessage[]> {
  session.raw().send(fe.parse({ name: 'sn', text: 'SELECT id, notes FROM r39_people' }), fe.sync());
  await session.raw().until('Z');
  const d = await s.direct();
  await d.query('BEGIN');
  await d.query('LOCK TABLE r39_people IN ACCESS EXCLUSIVE MODE');
  const before = structuredClone(s.policy);
  try {
    session.raw().send(...batch);
    await sleep(700); // everything forwarded; the server waits on the lock at Bind
    const p = structuredClone(s.policy);
    p.spec.masking!.columns!.push({ name: 'notes', strategy: 'redact' });
    s.proxy.updatePolicy(p);
    await sleep(200);
    await d.query('COMMIT');
    return await session.raw().until('Z');
  } finally {
    await d.end();
    s.proxy.updatePolicy(before);
  }
}

describe('review: policy reload while the agent’s Describe is unanswered (lock holds the server)', function () {
  this.timeout(60_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({ editPolicy: (p) => void (p.spec.mode = 'Enforce') });
    await seedPeople(s);
  });
  after(async () => s?.stop());
  const session = rawPerTest(() => s);

  it('R1 Bind, Describe P, Execute, Sync (libpq shape) — [reload: notes rule added] — answers', async () => {
    const r = await reloadWhileLocked(s, session, [
      fe.bind({ portal: 'pn', statement: 'sn' }),
      fe.describe({ type: 'P', name: 'pn' }),
      fe.execute({ portal: 'pn' }),
      fe.sync(),
    ]);
    expect(rows(r)).to.have.length(1);
    expect(leaked(r, NOTES), 'notes in clear: plan made under the old policy, rows under the new').to.equal(false);
  });

  it('R2 (no Describe of the agent) Bind, Execute, Sync — [reload] — answers', async () => {
    const r = await reloadWhileLocked(s, session, [
      fe.bind({ portal: 'pn', statement: 'sn' }),
      fe.execute({ portal: 'pn' }),
      fe.sync(),
    ]);
    expect(rows(r)).to.have.length(1);
    expect(leaked(r, NOTES)).to.equal(false);
  });
});

async function seedPeople(s: LocalStack): Promise<void> {
  const d = await s.direct();
  await d.query('CREATE TABLE r39_people (id int, ssn text, notes text)');
  await d.query(`INSERT INTO r39_people VALUES (1, '${SECRET}', '${NOTES}')`);
  await d.query(`GRANT SELECT ON r39_people TO agent`).catch(() => undefined);
  await d.end();
}

describe('review: approval hold between the agent’s Describe and Execute', function () {
  this.timeout(60_000);
  let s: LocalStack;
  const broker = new MemoryBroker();
  before(async () => {
    s = await startLocalStack({
      proxyOptions: { approvals: broker },
      editPolicy: (p) => {
        p.spec.rules!.unshift({
          name: 'people-approval',
          when: { sql: { tables: ['r39_people'] } },
          action: 'RequireApproval',
        });
        p.spec.approval = { mode: 'Hold', timeoutSeconds: 60, approvers: { users: ['alice'] } } as never;
      },
    });
    await seedPeople(s);
  });
  after(async () => s?.stop());
  const session = rawPerTest(() => s);

  it('H1 Parse, Bind, Describe P, Execute (held), Sync — [reload: notes rule added; pg_stat_activity seen], approve', async () => {
    broker.asks.length = 0;
    session
      .raw()
      .send(
        fe.parse({ name: 'sn', text: 'SELECT id, notes FROM r39_people' }),
        fe.bind({ portal: 'pn', statement: 'sn' }),
        fe.describe({ type: 'P', name: 'pn' }),
        fe.execute({ portal: 'pn' }),
        fe.sync(),
      );
    while (broker.asks.length === 0) await sleep(20);
    const name = `apr-${broker.asks[0]!.command.sha256.slice(0, 8)}`;
    const before = structuredClone(s.policy);
    const p = structuredClone(s.policy);
    p.spec.masking!.columns!.push({ name: 'notes', strategy: 'redact' });
    s.proxy.updatePolicy(p);
    try {
      await sleep(300);
      await broker.settle(name, 'Approved');
      const r = await session.raw().until('Z');
      expect(rows(r)).to.have.length(1);
      expect(leaked(r, NOTES)).to.equal(false);
    } finally {
      s.proxy.updatePolicy(before);
    }
  });
});

describe('review: row caps (maxRowsReturned) and the binary notice', function () {
  this.timeout(60_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => void (p.spec.runtimeLimits = { maxRowsReturned: 5 } as never),
    });
    await seedPeople(s);
  });
  after(async () => s?.stop());
  const session = rawPerTest(() => s);

  it('C1 caps: Parse; Bind, Describe P, Execute, Sync — [lock; reload: notes rule] — answers', async () => {
    const r = await reloadWhileLocked(s, session, [
      fe.bind({ portal: 'pn', statement: 'sn' }),
      fe.describe({ type: 'P', name: 'pn' }),
      fe.execute({ portal: 'pn' }),
      fe.sync(),
    ]);
    expect(rows(r)).to.have.length(1);
    expect(leaked(r, NOTES)).to.equal(false);
  });

  for (const describe of [true, false]) {
    it(`N${describe ? 1 : 2} binary int4[]: Parse, Bind (binary), ${describe ? 'Describe P, ' : ''}Execute, Sync: notice once`, async () => {
      session
        .raw()
        .send(
          fe.parse({ name: 'sb', text: 'SELECT ARRAY[id] AS arr, notes FROM r39_people' }),
          fe.bind({ portal: 'pb', statement: 'sb', binary: true }),
          ...(describe ? [fe.describe({ type: 'P', name: 'pb' })] : []),
          fe.execute({ portal: 'pb' }),
          fe.sync(),
        );
      const r = await session.raw().until('Z');
      expect(leaked(r)).to.equal(false);
      expect(r.filter((m) => m.type === 'N' && /binary-format/.test(m.error?.message ?? ''))).to.have.length(
        describe ? 1 : 0,
      );
    });
  }
});

describe('review: Describe answered NoData, Execute sends rows (rule action SELECT)', function () {
  this.timeout(60_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({ editPolicy: (p) => void (p.spec.mode = 'Enforce') });
    await seedPeople(s);
    const d = await s.direct();
    await d.query('CREATE TABLE r39_t (id int)');
    await d.query('INSERT INTO r39_t VALUES (1)');
    await d.query('CREATE RULE r39_also AS ON UPDATE TO r39_t DO ALSO SELECT ssn FROM r39_people');
    await d.query(`GRANT SELECT, UPDATE ON r39_t TO agent`).catch(() => undefined);
    await d.end();
  });
  after(async () => s?.stop());
  const session = rawPerTest(() => s);

  for (const describe of [true, false])
    it(`D${describe ? 1 : 2} Parse UPDATE, Bind, ${describe ? 'Describe P (NoData), ' : ''}Execute, Sync`, async () => {
      session
        .raw()
        .send(
          fe.parse({ name: 'su', text: 'UPDATE r39_t SET id = id WHERE id = 1' }),
          fe.bind({ portal: 'pu', statement: 'su' }),
          ...(describe ? [fe.describe({ type: 'P', name: 'pu' })] : []),
          fe.execute({ portal: 'pu' }),
          fe.sync(),
        );
      const r = await session.raw().until('Z');
      expect(leaked(r)).to.equal(false);
    });

  it('D3 simple Query of the same UPDATE', async () => {
    const r = await session.query('UPDATE r39_t SET id = id WHERE id = 1');
    expect(leaked(r)).to.equal(false);
  });
});
