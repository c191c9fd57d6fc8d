/**
 * The proxy's CPU per statement and TPS under `pgbench -S` for two or more builds side by side, alternating,
 * so a change to the hot path is measured against the build before it in the same invocation (the machine's
 * noise hits every build alike). Each build is a git revision compiled as the image compiles it
 * (scripts/image/rootfs.ts) into dist/ab-<rev>; the word `worktree` is the working tree as it is. A build may
 * carry extra node flags after a `+` and extra `agentgate proxy` flags after a `%`, e.g.
 * `HEAD+--max-semi-space-size=16` or `HEAD%--no-recordings`.
 *
 *   AB_REVS=HEAD,worktree AB_ROUNDS=3 AB_CLIENTS=8 AB_SECONDS=5 npx tsx test/bench/cpu-ab.ts
 *
 * AB_SCRIPT=<file> runs that pgbench script instead of the built-in `-S` (e.g. test/bench/bigint-select.sql:
 * the same select with a bigint id past 32 bits); AB_MODES (default simple,prepared) and AB_WARMUP (seconds
 * per build and protocol before the rounds, default 5) as named.
 *
 * Prints, per build, protocol and client count: the median of the rounds' TPS, and the proxy's CPU (all
 * threads, user + kernel) per statement in the same runs, with each build's CPU over the first build's.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../proxy/local/embedded-postgres.js';
import { AGENT_DB_PASSWORD, startLocalStack } from '../../proxy/local/stack.js';
import { imageRuntimeEnv } from '../../scripts/image/rootfs.js';
import { buildRevision, cpuSeconds, pgbenchArgs, waitForPort } from './builds.js';

const revs = (process.env.AB_REVS ?? 'HEAD,worktree').split(',').filter(Boolean);
const rounds = Number(process.env.AB_ROUNDS ?? 3);
const clientCounts = (process.env.AB_CLIENTS ?? '8').split(',').map(Number);
const seconds = Number(process.env.AB_SECONDS ?? 5);
const modes = (process.env.AB_MODES ?? 'simple,prepared').split(',');
/** Unmeasured seconds per build and protocol before the rounds: V8 optimizes the hot functions meanwhile. */
const warmup = Number(process.env.AB_WARMUP ?? 5);

interface Build {
  label: string;
  entry: string;
  nodeArgs: string[];
  proxyArgs: string[];
}
interface Sample {
  tps: number;
  cpuUs: number;
}

const entries = new Map<string, string>();
const builds: Build[] = revs.map((spec) => {
  const [head, ...proxyArgs] = spec.split('%');
  const [rev, ...nodeArgs] = head!.split('+');
  if (!entries.has(rev!)) entries.set(rev!, buildRevision(rev!, process.execPath));
  return { label: spec, entry: entries.get(rev!)!, nodeArgs, proxyArgs };
});

const stack = await startLocalStack();

async function pgbench(port: number, mode: string, clients: number, secs: number): Promise<SpawnSyncReturns<string>> {
  // Tokens live at most the policy's 15 minutes; a fresh one per run.
  const password = await stack.token('ab-agent', { ttlSeconds: 600 });
  const workload = process.env.AB_SCRIPT ? ['-f', resolve(process.env.AB_SCRIPT)] : ['-S'];
  return spawnSync('pgbench', pgbenchArgs({ port, mode, clients, seconds: secs, workload }), {
    env: { ...process.env, PGPASSWORD: password },
    encoding: 'utf8',
  });
}
const children: ChildProcess[] = [];
try {
  const init = spawnSync(
    'pgbench',
    ['-i', '-q', '-s', '10', '-h', '127.0.0.1', '-p', String(stack.postgres.port), '-U', 'agent', 'billing'],
    { env: { ...process.env, PGPASSWORD: AGENT_DB_PASSWORD }, encoding: 'utf8' },
  );
  if (init.status !== 0) throw new Error(`pgbench -i failed: ${init.stderr}`);
  await stack.proxy.stop();
  const running: { build: Build; port: number; pid: number }[] = [];
  for (const [i, b] of builds.entries()) {
    const port = await freePort();
    const policy = structuredClone(stack.policy);
    policy.spec.targets[0]!.listen = `127.0.0.1:${port}`;
    const file = join(stack.dir, `ab-policy-${i}.yaml`);
    writeFileSync(file, stringify(policy));
    const child = spawn(
      process.execPath,
      [
        ...b.nodeArgs,
        b.entry,
        'proxy',
        '--policy',
        file,
        '--audit-file',
        join(stack.dir, `ab-audit-${i}.log`),
        '--no-audit-stdout',
        ...b.proxyArgs,
      ],
      {
        env: {
          ...process.env,
          BILLING_DB_PASSWORD: AGENT_DB_PASSWORD,
          AGENTGATE_LOG_LEVEL: 'warn',
          ...imageRuntimeEnv(),
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    children.push(child);
    await waitForPort(port, child, `proxy ${b.label}`);
    running.push({ build: b, port, pid: child.pid! });
  }
  console.log(`builds: ${builds.map((b) => `${b.label} (${b.entry})`).join(', ')}`);
  for (const clients of clientCounts) {
    for (const mode of modes) {
      for (const p of running) if (warmup > 0) await pgbench(p.port, mode, clients, warmup);
      const samples = new Map<string, Sample[]>(builds.map((b) => [b.label, []]));
      for (let r = 0; r < rounds; r++) {
        for (let k = 0; k < running.length; k++) {
          const p = running[(k + r) % running.length]!;
          const cpu0 = cpuSeconds(p.pid);
          const out = await pgbench(p.port, mode, clients, seconds);
          const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(out.stdout);
          const count = /number of transactions actually processed: (\d+)/.exec(out.stdout);
          if (!tps || !count) throw new Error(`pgbench against ${p.build.label} failed:\n${out.stdout}\n${out.stderr}`);
          samples.get(p.build.label)!.push({
            tps: Number(tps[1]),
            cpuUs: ((cpuSeconds(p.pid) - cpu0) * 1e6) / Number(count[1]),
          });
        }
      }
      const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const base = median(samples.get(builds[0]!.label)!.map((s) => s.cpuUs));
      console.log(`\n-M ${mode}, ${clients} client(s), median of ${rounds} rounds of ${seconds}s`);
      for (const b of builds) {
        const s = samples.get(b.label)!;
        const cpu = median(s.map((x) => x.cpuUs));
        console.log(
          `  ${b.label.padEnd(36)} ${median(s.map((x) => x.tps))
            .toFixed(0)
            .padStart(
              7,
            )} tps   CPU ${cpu.toFixed(0).padStart(4)} µs/statement (${(cpu / base).toFixed(3)} × ${builds[0]!.label})   rounds: ${s.map((x) => x.cpuUs.toFixed(0)).join(' ')}`,
        );
      }
    }
  }
} finally {
  // Each proxy stops on its own (its --cpu-prof profile, if asked for, is written as it exits).
  await Promise.all(
    children.map((c) =>
      c.exitCode !== null ? undefined : new Promise((done) => (c.once('exit', done), c.kill('SIGTERM'))),
    ),
  );
  await stack.stop();
}
