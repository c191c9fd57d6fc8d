/**
 * `npm run bench`: pgbench -S against the same PostgreSQL, side by side in one invocation: direct, through
 * Debian's pgbouncer (session mode, if installed) and through agentgate with full enforcement as injected
 * (identity, classification, policy with detectors and a column rule, audit to a file, session recordings,
 * metrics), agentgate running as its own process exactly as `agentgate proxy` does, in local mode (its
 * policy from a file; an injected sidecar is measured by the cluster section). Rounds are interleaved
 * (direct, pgbouncer, agentgate, again in a rotated order), so load from elsewhere on the machine hits all
 * three alike; medians of the rounds are printed. A bare Node TCP relay runs beside them (test/bench/syscalls.ts):
 * the floor any Node proxy pays, before parsing or auditing anything; and the same relay recording each
 * statement's decision with agentgate's audit log before forwarding it (test/bench/audited-relay.mjs): the
 * floor of a Node proxy that keeps the audit guarantee. Prints, with no thresholds:
 *
 *  - syscalls per statement at one client (strace), by kind and destination: server socket, agent socket,
 *    audit file, recordings, wake-ups;
 *  - added latency per statement at one client, simple and extended (-M prepared) protocol, vs direct;
 *  - TPS ratios to direct at 8 clients;
 *  - a scaling table: TPS and RSS at 1, 8, 32, 100 clients for direct, pgbouncer and agentgate;
 *  - the sidecar's RSS idle and with 100 open sessions, in local mode and as injected (cluster mode, against
 *    test/cluster's API server with the operator running: test/bench/cluster-sidecar.ts);
 *  - what the operator pays for 100 sidecars' feeds: CPU, RSS and API server watches, against no feed open
 *    (test/bench/operator-feeds.ts);
 *  - a masking micro-benchmark (µs per DataRow: nothing to mask, every value a card number).
 *
 * BENCH_SECONDS (per pgbench run, default 3), BENCH_ROUNDS (default 3), BENCH_SCALE (pgbench -s, default 10),
 * BENCH_SCALING (client counts, default 1,8,32,100), BENCH_BUSY_POLL_MICROS (the window of a second agentgate
 * with --busy-poll-micros in the latency and TPS sections, default 300; 0 leaves it out), BENCH_ONLY (any of syscalls,latency,tps8,scaling,sessions,cluster,feeds,masking),
 * BENCH_NO_RECORDINGS=1 (agentgate without session recordings), BENCH_PROXY_NODE_ARGS (extra node flags for
 * the proxy process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof": the profile is written when the bench ends),
 * BENCH_HOLD_SECONDS (keep the proxy running this long after the load, e.g. to take a heap snapshot of it with
 * BENCH_PROXY_NODE_ARGS=--heapsnapshot-signal=SIGUSR2 and `kill -USR2 <pid>`), BENCH_PROXY_ENTRY (the script the proxy runs from; default: the app compiled by tsc as the image holds it,
 * built into dist/bench-app, run by this Node with NODE_ENV=production and no loader; BENCH_PROXY_ENTRY=bin/agentgate.js
 * runs the TypeScript sources through tsx instead). The first lines printed say which.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import { freePort } from '../../proxy/local/embedded-postgres.js';
import { AGENT_DB_PASSWORD, startLocalStack } from '../../proxy/local/stack.js';
import { compileApp, imageRuntimeEnv } from '../../scripts/image/rootfs.js';
import { BUSY_POLL_RULE, busyPollMicros } from '../../shared/contract/sidecar.js';
import { releaseTestCluster } from '../e2e/cluster.js';
import { clusterSidecarMemory, SETTLE_SECONDS } from './cluster-sidecar.js';
import { operatorFeedLoad } from './operator-feeds.js';
import { rssMiB, statusMiB } from './rss.js';
import { maskingBench } from './masking.js';
import { cpuSeconds, pgbenchArgs, waitForPort } from './builds.js';
import { auditedRelay, nodeRelay, syscallsSection } from './syscalls.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SCALE = Number(process.env.BENCH_SCALE ?? 10);
const SCALING = (process.env.BENCH_SCALING ?? '1,8,32,100').split(',').map(Number);
const ONLY = new Set(
  (process.env.BENCH_ONLY ?? 'syscalls,latency,tps8,scaling,sessions,cluster,feeds,masking').split(','),
);
const HOLD_SECONDS = Number(process.env.BENCH_HOLD_SECONDS ?? 0);
/** The busy-polled agentgate's window in the latency and TPS sections (0: that column is left out). */
const BUSY_POLL_MICROS: number =
  busyPollMicros(process.env.BENCH_BUSY_POLL_MICROS ?? '300') ??
  (() => {
    throw new Error(`BENCH_BUSY_POLL_MICROS must be ${BUSY_POLL_RULE}`);
  })();
const POLLED = 'agentgate, poll';
const MAX_CLIENTS = Math.max(100, ...SCALING);

type Mode = 'simple' | 'prepared';

interface Endpoint {
  name: string;
  port: number;
  /**
   * The password for the next connection: for agentgate a fresh token each time (a token lives at most
   * the policy's 15 minutes, and a full run takes longer than that).
   */
  password: () => Promise<string>;
  /** The process whose RSS is this endpoint's memory (none for direct). */
  pid?: number;
}

interface Run {
  tps: number;
  /** pgbench's average latency per transaction (one statement with -S), in µs. */
  latencyUs: number;
  /** Highest RSS of the endpoint's process seen during the run, in MiB. */
  rssMiB?: number;
  /** CPU time (user + system, all threads) of the endpoint's process per statement, in µs: robust to other load on the machine. */
  cpuUs?: number;
  /** The system (kernel) part of cpuUs: the syscalls, and the loopback network stack they run. */
  sysUs?: number;
}

async function pgbench(e: Endpoint, mode: Mode, clients: number): Promise<Run> {
  const args = pgbenchArgs({ port: e.port, mode, clients, seconds: SECONDS });
  const child = spawn('pgbench', args, {
    env: { ...process.env, PGPASSWORD: await e.password() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  let rss = e.pid ? rssMiB(e.pid) : undefined;
  const cpu0 = e.pid ? cpuSeconds(e.pid) : 0;
  const sys0 = e.pid ? cpuSeconds(e.pid, 'sys') : 0;
  const sampler = setInterval(() => {
    if (e.pid) rss = Math.max(rss ?? 0, rssMiB(e.pid));
  }, 250);
  await new Promise((resolve) => child.on('close', resolve));
  clearInterval(sampler);
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(out);
  const lat = /latency average = ([\d.]+) ms/.exec(out);
  const count = /number of transactions actually processed: (\d+)/.exec(out);
  if (!tps || !lat || !count) throw new Error(`pgbench against ${e.name} failed:\n${out}\n${err}`);
  const cpu = e.pid ? ((cpuSeconds(e.pid) - cpu0) * 1e6) / Number(count[1]) : undefined;
  const sys = e.pid ? ((cpuSeconds(e.pid, 'sys') - sys0) * 1e6) / Number(count[1]) : undefined;
  return {
    tps: Number(tps[1]),
    latencyUs: Number(lat[1]) * 1000,
    ...(rss !== undefined ? { rssMiB: rss } : {}),
    ...(cpu !== undefined ? { cpuUs: cpu } : {}),
    ...(sys !== undefined ? { sysUs: sys } : {}),
  };
}

/** Every endpoint once per round, in a rotated order; per endpoint the run with the median TPS. */
async function interleaved(
  endpoints: Endpoint[],
  mode: Mode,
  clients: number,
  rounds = ROUNDS,
): Promise<Map<string, Run>> {
  const runs = new Map<string, Run[]>(endpoints.map((e) => [e.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < endpoints.length; k++) {
      const e = endpoints[(k + r) % endpoints.length]!;
      runs.get(e.name)!.push(await pgbench(e, mode, clients));
    }
  }
  return new Map(
    [...runs].map(([name, rs]) => {
      const sorted = [...rs].sort((a, b) => a.tps - b.tps);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      return [name, { ...median, rssMiB: Math.max(...rs.map((x) => x.rssMiB ?? 0)) || undefined } as Run];
    }),
  );
}

/** Time on a CPU of all the process's threads, in seconds, to the nanosecond (schedstat; /proc/<pid>/stat counts 10 ms ticks). */
function onCpuSeconds(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // a thread that ended meanwhile
    }
  }
  return ns / 1e9;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function startPgbouncer(
  dir: string,
  upstreamPort: number,
): Promise<{ child: ChildProcess; port: number } | undefined> {
  const bin = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find(existsSync);
  if (!bin) return undefined;
  const port = await freePort();
  const ini = join(dir, 'pgbouncer.ini');
  writeFileSync(join(dir, 'userlist.txt'), `"agent" "${AGENT_DB_PASSWORD}"\n`);
  writeFileSync(
    ini,
    `[databases]\nbilling = host=127.0.0.1 port=${upstreamPort} dbname=billing\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = ${port}\nauth_type = plain\nauth_file = ${join(dir, 'userlist.txt')}\npool_mode = session\nmax_client_conn = ${MAX_CLIENTS + 10}\ndefault_pool_size = ${MAX_CLIENTS + 2}\nlogfile = ${join(dir, 'pgbouncer.log')}\nunix_socket_dir =\n`,
  );
  for (const f of ['pgbouncer.ini', 'userlist.txt']) chmodSync(join(dir, f), 0o644);
  chmodSync(dir, 0o777);
  // pgbouncer refuses to run as root; embedded-postgres created the "postgres" system user for the server.
  const args = process.getuid?.() === 0 ? ['-u', 'postgres', ini] : [ini];
  const child = spawn(bin, args, { stdio: 'ignore' });
  await waitForPort(port, child, 'pgbouncer');
  return { child, port };
}

/** The proxy's memory by kind, from its /metrics (prom-client's process and Node.js gauges), in MiB. */
async function memoryLine(healthPort: number, pid: number): Promise<string> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
    const g = (name: string): string => {
      const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+]+)$`, 'm').exec(text);
      return m ? (Number(m[1]) / 1048576).toFixed(0) : '?';
    };
    const kb = (field: string): string => statusMiB(pid, field).toFixed(0);
    return `RSS ${kb('VmRSS')} MiB (anonymous ${kb('RssAnon')}, files ${kb('RssFile')}: the node binary, mapped code); V8 heap ${g('nodejs_heap_size_total_bytes')} (used ${g('nodejs_heap_size_used_bytes')}), external ${g('nodejs_external_memory_bytes')} (WASM memory reserved, mostly not resident)`;
  } catch (e) {
    return `RSS ${rssMiB(pid).toFixed(0)} MiB (metrics unavailable: ${(e as Error).message})`;
  }
}

/** Where compiledEntry() builds the app. */
const appDir = resolve(import.meta.dirname, '../../dist/bench-app');

/** The sidecar as the image runs it: the sources compiled by tsc (scripts/image/rootfs.ts), in dist/bench-app. */
function compiledEntry(): string {
  const repo = resolve(import.meta.dirname, '../..');
  rmSync(appDir, { recursive: true, force: true });
  const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;
  // Packages resolve from the repository's node_modules, the parent directory's.
  compileApp(repo, appDir, version, process.execPath);
  return join(appDir, 'bin/agentgate.js');
}

const f0 = (v: number | undefined, w = 8): string => (v === undefined ? '—' : v.toFixed(0)).padStart(w);
const f3 = (v: number): string => v.toFixed(3);

async function latencySection(endpoints: Endpoint[]): Promise<void> {
  console.log(
    `\n== added latency per statement, 1 client (pgbench -S; median of ${ROUNDS} interleaved rounds of ${SECONDS}s)`,
  );
  for (const mode of ['simple', 'prepared'] as const) {
    const runs = await interleaved(endpoints, mode, 1);
    const direct = runs.get('direct')!.latencyUs;
    const added = (name: string): number | undefined =>
      runs.has(name) ? runs.get(name)!.latencyUs - direct : undefined;
    console.log(`-M ${mode.padEnd(8)} direct ${direct.toFixed(0)} µs/statement`);
    for (const e of endpoints.slice(1))
      console.log(
        `  ${e.name.padEnd(15)} +${added(e.name)!.toFixed(0)} µs   (${runs.get(e.name)!.latencyUs.toFixed(0)} µs; its process's CPU ${runs.get(e.name)!.cpuUs!.toFixed(0)} µs/statement, ${runs.get(e.name)!.sysUs!.toFixed(0)} of it in the kernel)`,
      );
    const b = added('pgbouncer');
    if (b !== undefined) {
      console.log(
        `  agentgate added / pgbouncer added: ${f3(added('agentgate')! / b)} (goal ≤ 1); CPU per statement agentgate / pgbouncer: ${f3(runs.get('agentgate')!.cpuUs! / runs.get('pgbouncer')!.cpuUs!)}`,
      );
      if (runs.has('audited relay'))
        console.log(
          `  audited relay added / pgbouncer added: ${f3(added('audited relay')! / b)} (the audit guarantee alone)`,
        );
      if (runs.has(POLLED))
        console.log(
          `  ${POLLED} added / pgbouncer added: ${f3(added(POLLED)! / b)} (--busy-poll-micros ${BUSY_POLL_MICROS}: up to a core while traffic flows)`,
        );
    }
  }
}

async function tps8Section(endpoints: Endpoint[]): Promise<void> {
  console.log(`\n== TPS at 8 clients, ratio to direct (median of ${ROUNDS} interleaved rounds of ${SECONDS}s)`);
  for (const mode of ['simple', 'prepared'] as const) {
    const runs = await interleaved(endpoints, mode, 8);
    const direct = runs.get('direct')!.tps;
    console.log(`-M ${mode}`);
    for (const [name, r] of runs)
      console.log(
        `  ${name.padEnd(15)} ${f0(r.tps)} tps   ratio to direct ${f3(r.tps / direct)}${r.cpuUs !== undefined ? `   CPU ${r.cpuUs.toFixed(0)} µs/statement` : ''}`,
      );
    if (runs.has('pgbouncer')) {
      const a = runs.get('agentgate')!.tps / direct;
      const b = runs.get('pgbouncer')!.tps / direct;
      console.log(`  agentgate ratio / pgbouncer ratio: ${f3(a / b)} (goal ≥ 0.8)`);
      if (runs.has('audited relay'))
        console.log(
          `  audited relay ratio / pgbouncer ratio: ${f3(runs.get('audited relay')!.tps / direct / b)} (the audit guarantee alone)`,
        );
      if (runs.has(POLLED))
        console.log(`  ${POLLED} ratio / pgbouncer ratio: ${f3(runs.get(POLLED)!.tps / direct / b)}`);
    }
  }
}

async function scalingSection(endpoints: Endpoint[]): Promise<void> {
  console.log(
    `\n== scaling, pgbench -S -M simple, ${SECONDS}s per cell, one round (TPS; RSS = highest during the run, MiB)`,
  );
  const header = ['clients', ...endpoints.flatMap((e) => [`${e.name} tps`, ...(e.pid ? [`${e.name} RSS`] : [])])];
  const rows: string[][] = [];
  for (const clients of SCALING) {
    const runs = await interleaved(endpoints, 'simple', clients, 1);
    rows.push([
      String(clients),
      ...endpoints.flatMap((e) => [
        runs.get(e.name)!.tps.toFixed(0),
        ...(e.pid ? [(runs.get(e.name)!.rssMiB ?? 0).toFixed(0)] : []),
      ]),
    ]);
  }
  console.log(`| ${header.join(' | ')} |\n|${header.map(() => '---:').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

/** RSS with `n` sessions open (each has run one statement), then with them closed again. */
async function sessionsSection(proxy: Endpoint, n: number): Promise<void> {
  const clients: pg.Client[] = [];
  for (let i = 0; i < n; i++) {
    const c = new pg.Client({
      host: '127.0.0.1',
      port: proxy.port,
      user: 'agent',
      database: 'billing',
      password: await proxy.password(),
    });
    await c.connect();
    await c.query('SELECT abalance FROM pgbench_accounts WHERE aid = $1', [i + 1]);
    clients.push(c);
  }
  await sleep(1000);
  const open = rssMiB(proxy.pid!);
  await Promise.all(clients.map((c) => c.end()));
  await sleep(1500);
  console.log(
    `agentgate RSS with ${n} open sessions: ${open.toFixed(0)} MiB (goal ≤ 160); after they closed: ${rssMiB(proxy.pid!).toFixed(0)} MiB`,
  );
}

async function main(): Promise<void> {
  if (spawnSync('pgbench', ['--version']).status !== 0)
    throw new Error('pgbench is not installed (Debian: postgresql-contrib / postgresql-client)');
  if (ONLY.has('masking')) maskingBench();
  if ([...ONLY].every((s) => s === 'masking')) return;
  // Room for every endpoint's connections at the largest client count: pgbouncer keeps its server connections open between runs.
  const stack = await startLocalStack({
    postgres: { postgresFlags: ['-c', `max_connections=${2 * MAX_CLIENTS + 50}`] },
  });
  const children: ChildProcess[] = [];
  try {
    const init = spawnSync(
      'pgbench',
      ['-i', '-q', '-s', String(SCALE), '-h', '127.0.0.1', '-p', String(stack.postgres.port), '-U', 'agent', 'billing'],
      { env: { ...process.env, PGPASSWORD: AGENT_DB_PASSWORD }, encoding: 'utf8' },
    );
    if (init.status !== 0) throw new Error(`pgbench -i failed: ${init.stderr}`);

    await stack.proxy.stop();
    const proxyPort = await freePort();
    /** The stack's policy, listening on `port`, written to `<stack dir>/<name>.yaml`. */
    const policyOn = (port: number, name: string): string => {
      const policy = structuredClone(stack.policy);
      policy.spec.targets[0]!.listen = `127.0.0.1:${port}`;
      const file = join(stack.dir, `${name}.yaml`);
      writeFileSync(file, stringify(policy));
      return file;
    };
    const policyFile = policyOn(proxyPort, 'bench-policy');
    const healthPort = await freePort();
    const nodeArgs = (process.env.BENCH_PROXY_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const entry = process.env.BENCH_PROXY_ENTRY ?? compiledEntry();
    console.log(
      `agentgate runs: ${
        process.env.BENCH_PROXY_ENTRY
          ? ''
          : `${Object.entries(imageRuntimeEnv())
              .map(([k, v]) => `${k}=${v} `)
              .join('')}`
      }node ${process.version} ${[...nodeArgs, entry].join(' ')}${process.env.BENCH_PROXY_ENTRY ? '' : ' (tsc-compiled, with the image’s environment)'}`,
    );
    const spawnProxy = (policyPath: string, auditPath: string, extra: string[] = []): ChildProcess =>
      spawn(
        process.execPath,
        [
          ...nodeArgs,
          entry,
          'proxy',
          '--policy',
          policyPath,
          '--audit-file',
          auditPath,
          '--no-audit-stdout',
          ...(process.env.BENCH_NO_RECORDINGS ? ['--no-recordings'] : []),
          ...extra,
        ],
        {
          env: {
            ...process.env,
            BILLING_DB_PASSWORD: AGENT_DB_PASSWORD,
            AGENTGATE_LOG_LEVEL: 'warn',
            ...(process.env.BENCH_PROXY_ENTRY ? {} : imageRuntimeEnv()),
          },
          stdio: ['ignore', 'ignore', 'inherit'],
        },
      );
    const proxy = spawnProxy(policyFile, join(stack.dir, 'bench-audit.log'), [
      '--health-address',
      `127.0.0.1:${healthPort}`,
    ]);
    children.push(proxy);
    await waitForPort(proxyPort, proxy, 'agentgate proxy');
    const startedAt = Date.now();
    await sleep(1000);
    const rssIdle = rssMiB(proxy.pid!);
    const idleCpu0 = onCpuSeconds(proxy.pid!);
    await sleep(3000);
    const idleCpuMsPerS = ((onCpuSeconds(proxy.pid!) - idleCpu0) * 1000) / 3;

    const databasePassword = async (): Promise<string> => AGENT_DB_PASSWORD;
    const endpoints: Endpoint[] = [{ name: 'direct', port: stack.postgres.port, password: databasePassword }];
    const bouncer = await startPgbouncer(stack.dir, stack.postgres.port);
    if (bouncer) {
      children.push(bouncer.child);
      endpoints.push({ name: 'pgbouncer', port: bouncer.port, password: databasePassword, pid: bouncer.child.pid! });
    } else {
      console.log(
        'pgbouncer not installed (scripts/bench-prereqs.sh installs it; npm run bench runs that): its column is skipped',
      );
    }
    // What Node itself costs a proxy: a bare relay of the bytes, no parsing, no audit.
    const relay = await nodeRelay(stack.postgres.port);
    children.push(relay.child);
    endpoints.push({ name: 'node relay', port: relay.port, password: databasePassword, pid: relay.child.pid! });
    // The same relay keeping agentgate's audit guarantee with its own audit log, and a cached decision: the
    // least a Node proxy that records each decision before forwarding it does per statement.
    if (!process.env.BENCH_PROXY_ENTRY) {
      const audited = await auditedRelay(stack.postgres.port, appDir, join(stack.dir, 'bench-relay-audit.log'));
      children.push(audited.child);
      endpoints.push({
        name: 'audited relay',
        port: audited.port,
        password: databasePassword,
        pid: audited.child.pid!,
      });
    } else console.log('audited relay: runs from the compiled app only (without BENCH_PROXY_ENTRY); skipped');
    const agentgate: Endpoint = {
      name: 'agentgate',
      port: proxyPort,
      password: () => stack.token('bench-agent', { ttlSeconds: 900 }),
      pid: proxy.pid!,
    };
    endpoints.push(agentgate);
    // The same build with busy polling (proxy/busy-poll.ts), for the latency and TPS sections only.
    const polledEndpoints = [...endpoints];
    if (BUSY_POLL_MICROS > 0 && (ONLY.has('latency') || ONLY.has('tps8'))) {
      const polledPort = await freePort();
      // With metrics, as the other: the same work per statement but for the polling.
      const polled = spawnProxy(
        policyOn(polledPort, 'bench-policy-polled'),
        join(stack.dir, 'bench-audit-polled.log'),
        ['--health-address', `127.0.0.1:${await freePort()}`, '--busy-poll-micros', String(BUSY_POLL_MICROS)],
      );
      children.push(polled);
      await waitForPort(polledPort, polled, `${POLLED} proxy`);
      polledEndpoints.push({ ...agentgate, name: POLLED, port: polledPort, pid: polled.pid! });
    }

    console.log(
      `\npgbench -S, scale ${SCALE}; every run against the same server${process.env.BENCH_NO_RECORDINGS ? '; agentgate without session recordings' : ''}`,
    );
    // Left alone as long as the injected sidecar's settled figure: the proxy gives memory back after 10
    // quiet seconds, and V8's memory reducer follows its collections (proxy/idle-memory.ts).
    await sleep(startedAt + SETTLE_SECONDS * 1000 - Date.now());
    const rssSettled = rssMiB(proxy.pid!);
    console.log(
      `agentgate RSS idle: ${rssSettled.toFixed(0)} MiB left alone ${SETTLE_SECONDS} s after start (goal ≤ 80), ${rssIdle.toFixed(0)} MiB 1 s after start; CPU while idle: ${idleCpuMsPerS.toFixed(1)} ms/s`,
    );
    const memory = async (after: string): Promise<void> =>
      console.log(`agentgate memory ${after}: ${await memoryLine(healthPort, proxy.pid!)}`);
    await memory(`idle ${SETTLE_SECONDS} s after start`);
    const sections: [string, () => Promise<void>][] = [
      [
        'syscalls',
        async () =>
          syscallsSection(
            await Promise.all(
              endpoints
                .filter((e) => e.pid)
                .map(async (e) => ({
                  name: e.name,
                  pid: e.pid!,
                  listenPort: e.port,
                  serverPort: stack.postgres.port,
                  password: await e.password(),
                })),
            ),
          ),
      ],
      ['sessions', () => sessionsSection(agentgate, 100)],
      ['latency', () => latencySection(polledEndpoints)],
      ['tps8', () => tps8Section(polledEndpoints)],
      ['scaling', () => scalingSection(endpoints)],
    ];
    for (const [name, run] of sections) {
      if (!ONLY.has(name)) continue;
      await run();
      await memory(`after ${name}`);
    }
    await sleep(1500);
    const afterLoad = rssMiB(proxy.pid!);
    await sleep((SETTLE_SECONDS - 1.5) * 1000);
    console.log(
      `\nagentgate RSS idle after the load: ${afterLoad.toFixed(0)} MiB 1.5 s after, ${rssMiB(proxy.pid!).toFixed(0)} MiB ${SETTLE_SECONDS} s after`,
    );
    if (HOLD_SECONDS) {
      console.log(`agentgate pid ${proxy.pid} kept running ${HOLD_SECONDS}s (BENCH_HOLD_SECONDS)`);
      await sleep(HOLD_SECONDS * 1000);
      await memory('at the end of the hold');
    }
    if (ONLY.has('cluster')) {
      const m = await clusterSidecarMemory({
        entry,
        nodeArgs,
        env: process.env.BENCH_PROXY_ENTRY ? {} : imageRuntimeEnv(),
        sessions: 100,
        atIdle: async (pid, port) =>
          console.log(
            `\nagentgate as injected, memory idle at the end of the idle window: ${await memoryLine(port, pid)}`,
          ),
      }).finally(releaseTestCluster);
      console.log(
        `agentgate as injected (the injector's container spec: cluster mode against test/cluster's API server, the operator's URLs, witness and proxy token; ${m.memory}), same build and environment:\n` +
          `  RSS idle (goal ≤ 80): ${m.idleWindow.meanMiB.toFixed(1)} MiB on average over the next ${m.idleWindow.seconds} s, probed as the kubelet does, ${m.idleWindow.maxMiB.toFixed(1)} at most; ${m.settledMiB.toFixed(0)} MiB left alone ${SETTLE_SECONDS} s after start, ${m.idleMiB.toFixed(0)} MiB 1 s after it said ready\n` +
          `  RSS with 100 open sessions: ${m.sessionsMiB.toFixed(0)} MiB (goal ≤ 160); after they closed: ${m.afterMiB.toFixed(0)} MiB, ${m.afterSettledMiB.toFixed(0)} MiB ${SETTLE_SECONDS} s later`,
      );
    }
    if (ONLY.has('feeds')) {
      const l = await operatorFeedLoad({ sidecars: 100, seconds: 30 }).finally(releaseTestCluster);
      console.log(
        `\nthe operator serving ${l.sidecars} sidecars' feeds (3 each, the sidecar's waits), this process (operator in it), ${l.seconds} s windows side by side:\n` +
          `  no feed open: CPU ${l.idle.cpuMsPerSecond.toFixed(1)} ms/s, RSS ${l.idle.rssMiB.toFixed(0)} MiB (V8 heap used ${l.idle.heapUsedMiB.toFixed(0)}), API server watches ${l.idleWatches}\n` +
          `  all held:     CPU ${l.feeds.cpuMsPerSecond.toFixed(1)} ms/s, RSS ${l.feeds.rssMiB.toFixed(0)} MiB (V8 heap used ${l.feeds.heapUsedMiB.toFixed(0)}), API server watches ${l.feeds.watches}; ${l.feeds.answersPerSecond.toFixed(1)} feed answers/s\n` +
          `  held / none: CPU ${(l.feeds.cpuMsPerSecond / l.idle.cpuMsPerSecond).toFixed(1)} ×, RSS +${(l.feeds.rssMiB - l.idle.rssMiB).toFixed(0)} MiB (${(l.feeds.rssMiB / l.idle.rssMiB).toFixed(2)} ×)`,
      );
    }
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    await stack.postgres.stop();
  }
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exitCode = 1;
});
