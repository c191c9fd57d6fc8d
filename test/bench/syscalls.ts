/**
 * Syscalls per statement of a proxy process, by kind and by where they go, counted with strace over
 * `pgbench -S -c 1 -t N` and `-t 8N` (the difference over 7N statements: connection setup cancels out).
 * Counts do not depend on other load on the machine, unlike times.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export type Mode = 'simple' | 'prepared';

export interface SyscallTarget {
  name: string;
  pid: number;
  /** The port the proxy listens on (its client sockets' local port). */
  listenPort: number;
  /** PostgreSQL's port (its server sockets' remote port). */
  serverPort: number;
  password: string;
}

const TRACED = [
  'write',
  'writev',
  'pwrite64',
  'sendmsg',
  'sendto',
  'read',
  'readv',
  'recvfrom',
  'recvmsg',
  'epoll_wait',
  'epoll_pwait',
  'epoll_pwait2',
  'futex',
];

export const straceAvailable = (): boolean => spawnSync('strace', ['-V']).status === 0;

/** Counts by category ("write → client", "read ← server", "write → audit file", "futex", …). */
function classify(trace: string, t: SyscallTarget): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (k: string): void => void counts.set(k, (counts.get(k) ?? 0) + 1);
  for (const line of trace.split('\n')) {
    const m = /^\d+\s+(?:<\.\.\. )?(\w+)(?:\(| resumed>)(.*)$/.exec(line);
    if (!m) continue;
    // An interrupted call shows twice ("unfinished" then "resumed"): count its start only.
    if (line.includes(' resumed>')) continue;
    const call = m[1]!;
    if (!TRACED.includes(call)) continue;
    const dir = /^(write|writev|pwrite64|sendmsg|sendto)$/.test(call)
      ? 'write'
      : /^(read|readv|recv)/.test(call)
        ? 'read'
        : call.startsWith('epoll')
          ? 'epoll_wait'
          : call;
    if (dir !== 'write' && dir !== 'read') {
      const thread = Number(/^(\d+)/.exec(line)![1]) === t.pid ? 'main thread' : 'other threads';
      const idle = dir === 'epoll_wait' && / = 0$/.test(line) ? ', returned nothing' : '';
      add(`${dir}, ${thread}${idle}`);
      continue;
    }
    const fd = /^\d+<(.*?)>(?:,|\)| <unfinished)/.exec(m[2]!)?.[1] ?? '';
    const tcp = /TCP(?:v6)?:\[[^:]*:(\d+)->[^:]*:(\d+)\]/.exec(fd);
    let where: string;
    if (tcp && Number(tcp[1]) === t.listenPort) where = 'client socket';
    else if (tcp && Number(tcp[2]) === t.serverPort) where = 'server socket';
    else if (fd.endsWith('audit.log')) where = 'audit file';
    else if (fd.endsWith('.jsonl')) where = 'recordings';
    else if (fd.startsWith('anon_inode:[eventfd]') || fd.startsWith('anon_inode:[eventpoll]'))
      where = 'eventfd (thread wake-up)';
    else if (fd.startsWith('pipe:')) where = 'pipe';
    else where = fd.replace(/[0-9]+/g, '#') || 'other';
    add(`${dir} ${where}`);
  }
  return counts;
}

async function tracedRun(t: SyscallTarget, mode: Mode, transactions: number): Promise<Map<string, number>> {
  const out = `/tmp/agentgate-strace-${process.pid}-${t.name}.txt`;
  rmSync(out, { force: true });
  const strace = spawn(
    'strace',
    ['-f', '-qq', '-yy', '-s', '0', '-e', `trace=${TRACED.join(',')}`, '-o', out, '-p', String(t.pid)],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  await new Promise((r) => setTimeout(r, 1000));
  const run = spawnSync(
    'pgbench',
    [
      '-n',
      '-S',
      '-M',
      mode,
      '-c',
      '1',
      '-t',
      String(transactions),
      '-h',
      '127.0.0.1',
      '-p',
      String(t.listenPort),
      '-U',
      'agent',
      'billing',
    ],
    { env: { ...process.env, PGPASSWORD: t.password }, encoding: 'utf8' },
  );
  await new Promise((r) => setTimeout(r, 500));
  strace.kill('SIGINT');
  await new Promise((r) => strace.once('exit', r));
  if (run.status !== 0) throw new Error(`pgbench against ${t.name} failed: ${run.stderr}`);
  const counts = classify(readFileSync(out, 'utf8'), t);
  rmSync(out, { force: true });
  return counts;
}

/** Per statement: (counts over 8N − counts over N) / 7N, for each category. */
export async function syscallsPerStatement(t: SyscallTarget, mode: Mode, n = 400): Promise<Map<string, number>> {
  const small = await tracedRun(t, mode, n);
  const large = await tracedRun(t, mode, 8 * n);
  const keys = new Set([...small.keys(), ...large.keys()]);
  return new Map([...keys].sort().map((k) => [k, ((large.get(k) ?? 0) - (small.get(k) ?? 0)) / (7 * n)]));
}

/**
 * The floor of any Node proxy: a bare TCP relay (each chunk read from one socket written to the other),
 * in its own process, for comparison with agentgate's syscalls and CPU.
 */
export async function nodeRelay(serverPort: number): Promise<{ child: ChildProcess; port: number }> {
  const code = `
    const net = require('node:net');
    const srv = net.createServer((c) => {
      const u = net.connect(${serverPort}, '127.0.0.1');
      c.on('data', (d) => u.write(d));
      u.on('data', (d) => c.write(d));
      c.on('close', () => u.destroy());
      u.on('close', () => c.destroy());
      c.on('error', () => u.destroy());
      u.on('error', () => c.destroy());
    });
    srv.listen(0, '127.0.0.1', () => console.log(srv.address().port));`;
  return relayProcess(['-e', code]);
}

/**
 * The bare relay plus agentgate's audit guarantee and a cached decision per statement, nothing else
 * (test/bench/audited-relay.mjs), its modules taken from `appDir`: the compiled app, or the repository
 * with `nodeArgs` ['--import', 'tsx'].
 */
export function auditedRelay(
  serverPort: number,
  appDir: string,
  auditFile: string,
  nodeArgs: string[] = [],
): Promise<{ child: ChildProcess; port: number }> {
  const script = join(import.meta.dirname, 'audited-relay.mjs');
  return relayProcess([...nodeArgs, script, String(serverPort), appDir, auditFile]);
}

async function relayProcess(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (c) => reject(new Error(`the relay exited with ${c}`)));
  });
  return { child, port };
}

export async function syscallsSection(targets: SyscallTarget[]): Promise<void> {
  if (!straceAvailable()) {
    console.log('\n== syscalls per statement: strace is not installed, skipped');
    return;
  }
  console.log('\n== syscalls per statement, 1 client (strace -f over pgbench -S -t N and -t 8N; the difference / 7N)');
  for (const mode of ['simple', 'prepared'] as const) {
    const results: (readonly [string, Map<string, number>])[] = [];
    for (const t of targets) results.push([t.name, await syscallsPerStatement(t, mode)] as const);
    // Calls that round to 0.00 for every proxy (files read once at start, a log line) are not per statement.
    const perStatement = (k: string): boolean => results.some(([, c]) => Math.abs(c.get(k) ?? 0) >= 0.005);
    const keys = [...new Set(results.flatMap(([, c]) => [...c.keys()]))].filter(perStatement).sort();
    console.log(
      `-M ${mode}\n| syscall | ${results.map(([n]) => n).join(' | ')} |\n|---|${results.map(() => '---:').join('|')}|`,
    );
    for (const k of keys) console.log(`| ${k} | ${results.map(([, c]) => (c.get(k) ?? 0).toFixed(2)).join(' | ')} |`);
  }
}
