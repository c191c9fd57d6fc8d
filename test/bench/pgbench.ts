/**
 * `npm run bench`: pgbench -S (simple and prepared protocol) against the same PostgreSQL, run side by
 * side in one process run: direct, through Debian's pgbouncer (if installed), and through agentgate
 * with full enforcement as injected (identity, classification, policy, masking, audit to a file, session
 * recordings, metrics). Prints TPS, the ratio of each to direct, and the proxy's resident memory. No
 * thresholds: numbers are printed.
 * BENCH_SECONDS, BENCH_CLIENTS, BENCH_SCALE tune the run; BENCH_NO_RECORDINGS=1 measures without session recordings.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../proxy/local/embedded-postgres.js';
import { AGENT_DB_PASSWORD, startLocalStack } from '../../proxy/local/stack.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 4);
const SCALE = Number(process.env.BENCH_SCALE ?? 10);

interface Endpoint {
  name: string;
  port: number;
  password: string;
}

function pgbench(e: Endpoint, mode: 'simple' | 'prepared'): number {
  const r = spawnSync('pgbench', ['-n', '-S', '-M', mode, '-c', String(CLIENTS), '-j', String(Math.min(CLIENTS, 2)), '-T', String(SECONDS), '-h', '127.0.0.1', '-p', String(e.port), '-U', 'agent', 'billing'], {
    env: { ...process.env, PGPASSWORD: e.password },
    encoding: 'utf8',
  });
  const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(r.stdout);
  if (!m) throw new Error(`pgbench against ${e.name} failed:\n${r.stdout}\n${r.stderr}`);
  return Number(m[1]);
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

async function waitForPort(port: number, child: ChildProcess, name: string): Promise<void> {
  const net = await import('node:net');
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not listen on ${port}`);
}

async function startPgbouncer(dir: string, upstreamPort: number): Promise<{ child: ChildProcess; port: number } | undefined> {
  const bin = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find(existsSync);
  if (!bin) return undefined;
  const port = await freePort();
  const ini = join(dir, 'pgbouncer.ini');
  writeFileSync(join(dir, 'userlist.txt'), `"agent" "${AGENT_DB_PASSWORD}"\n`);
  writeFileSync(ini, `[databases]\nbilling = host=127.0.0.1 port=${upstreamPort} dbname=billing\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = ${port}\nauth_type = plain\nauth_file = ${join(dir, 'userlist.txt')}\npool_mode = session\nmax_client_conn = 100\ndefault_pool_size = ${CLIENTS + 2}\nlogfile = ${join(dir, 'pgbouncer.log')}\nunix_socket_dir =\n`);
  for (const f of ['pgbouncer.ini', 'userlist.txt']) chmodSync(join(dir, f), 0o644);
  chmodSync(dir, 0o777);
  // pgbouncer refuses to run as root; embedded-postgres created the "postgres" system user for the server.
  const args = process.getuid?.() === 0 ? ['-u', 'postgres', ini] : [ini];
  const child = spawn(bin, args, { stdio: 'ignore' });
  await waitForPort(port, child, 'pgbouncer');
  return { child, port };
}

async function main(): Promise<void> {
  if (spawnSync('pgbench', ['--version']).status !== 0) throw new Error('pgbench is not installed (Debian: postgresql-contrib / postgresql-client)');
  const stack = await startLocalStack();
  const children: ChildProcess[] = [];
  try {
    const init = spawnSync('pgbench', ['-i', '-q', '-s', String(SCALE), '-h', '127.0.0.1', '-p', String(stack.postgres.port), '-U', 'agent', 'billing'], { env: { ...process.env, PGPASSWORD: AGENT_DB_PASSWORD }, encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`pgbench -i failed: ${init.stderr}`);

    // agentgate runs as its own process, exactly as `agentgate proxy` does, with the example policy.
    await stack.proxy.stop();
    const proxyPort = await freePort();
    const policy = structuredClone(stack.policy);
    policy.spec.targets[0]!.listen = `127.0.0.1:${proxyPort}`;
    const policyFile = join(stack.dir, 'bench-policy.yaml');
    writeFileSync(policyFile, stringify(policy));
    const proxy = spawn(process.execPath, [new URL('../../bin/agentgate.js', import.meta.url).pathname, 'proxy', '--policy', policyFile, '--audit-file', join(stack.dir, 'bench-audit.log'), '--no-audit-stdout', '--health-address', '127.0.0.1:0', ...(process.env.BENCH_NO_RECORDINGS ? ['--no-recordings'] : [])], {
      env: { ...process.env, BILLING_DB_PASSWORD: AGENT_DB_PASSWORD, AGENTGATE_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(proxy);
    await waitForPort(proxyPort, proxy, 'agentgate proxy');
    const rssIdle = rssMiB(proxy.pid!);

    const endpoints: Endpoint[] = [{ name: 'direct', port: stack.postgres.port, password: AGENT_DB_PASSWORD }];
    const bouncer = await startPgbouncer(stack.dir, stack.postgres.port);
    if (bouncer) {
      children.push(bouncer.child);
      endpoints.push({ name: 'pgbouncer', port: bouncer.port, password: AGENT_DB_PASSWORD });
    } else {
      console.log('pgbouncer not installed (apt-get install pgbouncer): its column is skipped');
    }
    endpoints.push({ name: 'agentgate', port: proxyPort, password: await stack.token('bench-agent', { ttlSeconds: 900 }) });

    console.log(`pgbench -S, ${CLIENTS} clients, ${SECONDS}s per run, scale ${SCALE}; every run against the same server, one after another`);
    let rssPeak = rssIdle;
    for (const mode of ['simple', 'prepared'] as const) {
      const tps = new Map<string, number>();
      for (const e of endpoints) {
        tps.set(e.name, pgbench(e, mode));
        if (e.name === 'agentgate') rssPeak = Math.max(rssPeak, rssMiB(proxy.pid!));
      }
      const direct = tps.get('direct')!;
      console.log(`\n-M ${mode}`);
      for (const [name, v] of tps) console.log(`  ${name.padEnd(10)} ${v.toFixed(0).padStart(8)} tps   ratio to direct ${(v / direct).toFixed(3)}`);
      if (tps.has('pgbouncer')) console.log(`  agentgate / pgbouncer ratio ${(tps.get('agentgate')! / tps.get('pgbouncer')!).toFixed(3)}`);
    }
    console.log(`\nagentgate proxy RSS: ${rssIdle.toFixed(0)} MiB idle, ${rssPeak.toFixed(0)} MiB after load`);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await stack.postgres.stop();
  }
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exitCode = 1;
});
