/**
 * What the side-by-side benches share: a git revision (or the working tree) compiled as the image
 * compiles it (scripts/image/rootfs.ts), a process's CPU time, waiting for a child to listen, and
 * pgbench's arguments.
 */
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { compileApp } from '../../scripts/image/rootfs.js';

const repo = resolve(import.meta.dirname, '../..');
const git = (...args: string[]): string => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();

/**
 * A revision compiled into dist/ab-<short sha> (`worktree`: the working tree as it is, into dist/ab-worktree);
 * its packages resolve from this repository's node_modules. Returns the entry script.
 */
export function buildRevision(rev: string, nodePath?: string): string {
  if (rev === 'worktree') {
    const app = join(repo, 'dist', 'ab-worktree');
    rmSync(app, { recursive: true, force: true });
    compileApp(repo, app, 'worktree', nodePath);
    return join(app, 'bin/agentgate.js');
  }
  const sha = git('rev-parse', '--short', rev);
  const src = join(repo, 'dist', `ab-src-${sha}`);
  const app = join(repo, 'dist', `ab-${sha}`);
  rmSync(src, { recursive: true, force: true });
  rmSync(app, { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  execFileSync('sh', ['-c', `git -C "${repo}" archive ${sha} | tar -x -C "${src}"`], { stdio: 'inherit' });
  symlinkSync(join(repo, 'node_modules'), join(src, 'node_modules'));
  const version = (JSON.parse(readFileSync(join(src, 'package.json'), 'utf8')) as { version: string }).version;
  compileApp(src, app, version, nodePath);
  rmSync(src, { recursive: true, force: true });
  return join(app, 'bin/agentgate.js');
}

const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** utime + stime of a process (all its threads), or stime alone, in seconds. */
export function cpuSeconds(pid: number, part: 'all' | 'sys' = 'all'): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return ((part === 'all' ? Number(fields[11]) : 0) + Number(fields[12])) / TICKS;
}

export async function waitForPort(port: number, child: ChildProcess, name: string): Promise<void> {
  const net = await import('node:net');
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((done) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.end();
        done(true);
      });
      s.on('error', () => done(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${name} did not listen on ${port}`);
}

/** pgbench against the stack's `billing` database as `agent` on 127.0.0.1:port: `workload` is `['-S']` or `['-f', script]`. */
export function pgbenchArgs(o: {
  port: number;
  mode: string;
  clients: number;
  seconds: number;
  workload?: string[];
}): string[] {
  const threads = String(Math.min(o.clients, 2));
  return [
    '-n',
    ...(o.workload ?? ['-S']),
    '-M',
    o.mode,
    '-c',
    String(o.clients),
    '-j',
    threads,
    '-T',
    String(o.seconds),
  ].concat(['-h', '127.0.0.1', '-p', String(o.port), '-U', 'agent', 'billing']);
}
