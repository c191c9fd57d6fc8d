/**
 * `SP_REVS=HEAD~1,worktree npx tsx test/bench/session-path.ts`: CPU µs per statement of one whole Postgres
 * session in one process, without sockets or a server: the proxy's `PgSession` with in-memory sockets,
 * the example policy (detectors, a pattern, a column rule), a real audit file and session recordings,
 * metrics, and what PostgreSQL answers `pgbench -S` (simple and prepared) replayed for each statement.
 * It measures the proxy's own work per statement (framing, queue, classification, gate, record,
 * masking, completion) apart from the socket I/O and wake-ups that make `npm run bench`'s figures noisy.
 * Each revision (default: the working tree) is compiled as the image compiles it (builds.ts) and loaded
 * into this process; rounds alternate between them, so they share the machine's load. No thresholds.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { MemorySocket } from '../support/memory-socket.js';
import { fe } from '../support/raw-client.js';
import { buildRevision } from './builds.js';

const N = Number(process.env.BENCH_N ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

interface Variant {
  name: string;
  prepared: () => Promise<void>;
  simple: (i: number) => Promise<void>;
  close: () => void;
}

const ACCOUNTS_OID = 16_400;

async function variant(name: string, root: string): Promise<Variant> {
  const imp = (p: string) => import(join(root, p));
  const { AuditLog } = await imp('proxy/audit/audit-log.js');
  const { Gate } = await imp('proxy/gate/gate.js');
  const { compilePolicy } = await imp('proxy/policy/runtime.js');
  const { loadPolicyFile } = await imp('proxy/policy/load.js');
  const { StatementClassifier } = await imp('proxy/sql/classifier.js');
  const { SqlParser } = await imp('proxy/sql/parser.js');
  const { PgSession } = await imp('proxy/postgres/session.js');
  const { ProxyMetrics } = await imp('proxy/observability/metrics.js');
  const { message, readyForQuery } = await imp('proxy/postgres/protocol.js');
  const { CatalogSnapshot } = await imp('proxy/sql/catalog.js');
  const builtins = JSON.parse(readFileSync(join(root, 'proxy/sql/builtin-functions.json'), 'utf8')) as {
    functions: Record<string, string>;
  };
  const policy = loadPolicyFile(join(here, 'examples/local/policy.yaml')).policy;
  const rt = compilePolicy(policy, { hashKey: Buffer.alloc(32, 1) });
  const dir = mkdtempSync(join(tmpdir(), `agentgate-session-path-${name}-`));
  const audit = new AuditLog({ file: join(dir, 'audit.log'), recordingsDir: join(dir, 'recordings') });
  const metrics = new ProxyMetrics();
  const gate = new Gate({ runtime: () => rt, audit, events: () => undefined, metrics });
  const catalog = new CatalogSnapshot({
    functions: Object.entries(builtins.functions).map(([name, volatility]) => ({
      schema: 'pg_catalog',
      name,
      volatility,
    })),
    relations: [{ schema: 'public', name: 'pgbench_accounts', oid: ACCOUNTS_OID, attributes: 4 }],
    columns: [],
    searchPath: ['pg_catalog', 'public'],
    hiddenWrites: [],
  });
  const parser = SqlParser.create();
  await parser.load();
  const target = policy.spec.targets[0];

  let toServer: Buffer[] = [];
  let toAgent: Buffer[] = [];
  const agent = new MemorySocket((b) => toAgent.push(b));
  const server = new MemorySocket((b) => toServer.push(b));
  const session = new PgSession(
    agent,
    server,
    {
      target,
      runtime: () => rt,
      classifier: new StatementClassifier(parser),
      catalog: () => catalog,
      audit,
      principal: { iss: 'https://issuer.example', sub: 'agent-1', iat: 0, exp: 2 ** 31, claims: {} },
      sessionId: 'session-1',
      connectionId: 'c1',
      gate,
      events: () => undefined,
      metrics,
    },
    0x49,
  );
  session.start();

  const cstr = (s: string) => Buffer.from(`${s}\0`);
  const int16 = (n: number) => Buffer.from([n >> 8, n & 255]);
  const int32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  };
  // abalance: int4 (OID 23), column 3 of pgbench_accounts, text format.
  const rowDescription = message(
    'T',
    Buffer.concat([
      int16(1),
      cstr('abalance'),
      int32(ACCOUNTS_OID),
      int16(3),
      int32(23),
      int16(4),
      int32(-1),
      int16(0),
    ]),
  );
  const dataRow = message('D', Buffer.concat([int16(1), int32(4), Buffer.from('1234')]));
  const selectOne = message('C', cstr('SELECT 1'));
  const ready = readyForQuery(0x49);
  const noBody = Buffer.alloc(0);
  const answers: Record<string, Buffer[]> = {
    P: [message('1', noBody)],
    B: [message('2', noBody)],
    D: [rowDescription],
    E: [dataRow, selectOne],
    S: [ready],
    Q: [rowDescription, dataRow, selectOne, ready],
  };
  /** What PostgreSQL answers to these messages (only the kinds this bench sends). */
  const serverAnswer = (sent: Buffer): Buffer => {
    const out: Buffer[] = [];
    for (let pos = 0; pos < sent.length; pos += 1 + sent.readInt32BE(pos + 1))
      out.push(...answers[String.fromCharCode(sent[pos]!)]!);
    return Buffer.concat(out);
  };

  /** Sends `request` as the agent would, and the server's answer once the request reached the server. */
  const roundTrip = async (request: Buffer): Promise<void> => {
    agent.emit('data', request);
    for (let turns = 0; toServer.length === 0; turns++) {
      if (turns > 100_000) throw new Error('the session sent nothing upstream');
      await new Promise((r) => setImmediate(r));
    }
    const sent = Buffer.concat(toServer);
    toServer = [];
    server.emit('data', serverAnswer(sent));
    for (let turns = 0; toAgent.length === 0; turns++) {
      if (turns > 100_000) throw new Error('the session answered nothing');
      await new Promise((r) => setImmediate(r));
    }
    const last = toAgent[toAgent.length - 1]!;
    if (last[last.length - 6] !== 0x5a)
      throw new Error(`no ReadyForQuery at the end of: ${Buffer.concat(toAgent).toString('latin1')}`);
    toAgent = [];
  };

  // pgbench -M prepared: Parse + Sync once per connection, then Bind, Describe portal, Execute, Sync.
  await roundTrip(
    Buffer.concat([
      fe.parse({ name: 'P0_1', text: 'SELECT abalance FROM pgbench_accounts WHERE aid = $1;' }),
      fe.sync(),
    ]),
  );
  const execute = (aid: number) =>
    Buffer.concat([
      fe.bind({ statement: 'P0_1', values: [String(aid)] }),
      fe.describe({ type: 'P', name: '' }),
      fe.execute({ portal: '' }),
      fe.sync(),
    ]);
  let aid = 1;
  return {
    name,
    prepared: () => roundTrip(execute((aid = (aid % 100_000) + 1))),
    simple: (i) => roundTrip(fe.query(`SELECT abalance FROM pgbench_accounts WHERE aid = ${i};`)),
    close: () => {
      session.close('bench done');
      audit.close();
      void parser.close();
    },
  };
}

async function cpuUs(fn: (i: number) => Promise<void>, from: number): Promise<number> {
  const t0 = process.cpuUsage();
  for (let i = 0; i < N; i++) await fn(from + i);
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / N;
}

const here = resolve(import.meta.dirname, '../..');
const revs = (process.env.SP_REVS ?? 'worktree').split(',');
const variants: Variant[] = [];
for (const rev of revs) variants.push(await variant(rev, dirname(dirname(buildRevision(rev, process.execPath)))));
const results = new Map<string, { prepared: number[]; simple: number[] }>();
let literal = 1;
for (const v of variants) {
  results.set(v.name, { prepared: [], simple: [] });
  await cpuUs(() => v.prepared(), 0);
  await cpuUs((i) => v.simple(i), literal);
  literal += N;
}
const profiler = process.env.BENCH_CPU_PROF ? new Session() : undefined;
if (profiler) {
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.setSamplingInterval', { interval: 100 });
  await profiler.post('Profiler.start');
}
for (let r = 0; r < ROUNDS; r++) {
  for (const v of r % 2 ? [...variants].reverse() : variants) {
    const out = results.get(v.name)!;
    out.prepared.push(await cpuUs(() => v.prepared(), 0));
    // Literals up to 100 000 (pgbench -S at scale 1): after the first rounds every text was seen before.
    out.simple.push(await cpuUs((i) => v.simple(i), (literal % 100_000) + 1));
    literal += N;
  }
}
if (profiler) {
  const { profile } = await profiler.post('Profiler.stop');
  const file = `session-path-${Date.now()}.cpuprofile`;
  writeFileSync(file, JSON.stringify(profile));
  console.log(`CPU profile: ${file}`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const range = (xs: number[]) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;
console.log(`CPU µs per statement (whole session, in memory), ${ROUNDS} rounds of ${N}, median (range):`);
for (const [name, r] of results)
  console.log(
    `  ${name.padEnd(10)} prepared ${median(r.prepared).toFixed(1)} (${range(r.prepared)})   simple ${median(r.simple).toFixed(1)} (${range(r.simple)})`,
  );
const first = results.get(revs[0]!)!;
for (const rev of revs.slice(1)) {
  const r = results.get(rev)!;
  console.log(
    `  ${rev} / ${revs[0]}: prepared ${(median(r.prepared) / median(first.prepared)).toFixed(3)}, simple ${(median(r.simple) / median(first.simple)).toFixed(3)}`,
  );
}
for (const v of variants) v.close();
