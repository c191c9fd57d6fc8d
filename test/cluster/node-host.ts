/**
 * The host resources a node run borrows, recorded before they are touched so that teardown puts them
 * back even after a crash: a host-wide lock, the network namespace, one cgroup tree per run (every
 * process of the run lives in it, so teardown finds them all, pods and shims included), and the global
 * sysctls the kubelet and CNI plugins change. Nothing here adds an address or a route on the host.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Host-wide: node runs share host resources (sysctls, /run/netns), so they run one at a time. Root-owned
 * (not under the world-writable /tmp): teardown deletes what it finds here as root.
 */
export const NODE_BASE = process.env.AGENTGATE_NODE_BASE ?? '/var/lib/agentgate-node';

/** Global sysctls a node run changes (kubelet: setupKernelTunables; CNI bridge: ip_forward). */
const SYSCTLS = [
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
  'net/ipv4/ip_forward',
  'net/netfilter/nf_conntrack_max',
];

export interface Hierarchy {
  /** Mount point on the host, e.g. /sys/fs/cgroup/memory. */
  path: string;
  fstype: 'cgroup' | 'cgroup2';
  /** Mount options that select this hierarchy again (for the namespace's fresh /sys). */
  options: string;
}

export interface HostState {
  id: string;
  netns: string;
  dir: string;
  /** Top of the run's cgroup tree in every hierarchy (the kubelet's cgroupRoot). */
  cgroup: string;
  hierarchies: Hierarchy[];
  sysctls: Record<string, string>;
  runNetnsWasMount: boolean;
  runNetnsExisted: boolean;
  lockPid: number;
  /** The process whose exit makes the run stale (0: kept until `cluster:down --node`). */
  ownerPid: number;
}

function alive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function statePath(dir: string): string {
  return join(dir, 'host-state.json');
}

export function writeState(s: HostState): void {
  writeFileSync(statePath(s.dir), JSON.stringify(s, null, 2));
}

/** Every recorded run under NODE_BASE. */
export function recordedRuns(): HostState[] {
  if (!existsSync(NODE_BASE)) return [];
  return readdirSync(NODE_BASE)
    .map((d) => join(NODE_BASE, d))
    .filter((d) => existsSync(statePath(d)))
    .map((d) => JSON.parse(readFileSync(statePath(d), 'utf8')) as HostState);
}

/** Tears down runs whose owner process is gone (a test run that crashed before its teardown). */
export async function reapStaleRuns(): Promise<void> {
  for (const s of recordedRuns()) if (s.ownerPid && !alive(s.ownerPid)) await teardownHost(s);
}

/**
 * Takes the host-wide lock: a detached `flock` holds it until teardown kills it by PID, or until the
 * owner process is gone (then the next run reaps what it left). A run left behind by a dead owner is
 * torn down first; a live one (another test run, or a node started by `npm run cluster:up -- --node`,
 * ownerPid 0) is waited for.
 */
export async function acquireLock(ownerPid: number, timeoutMs = 20 * 60_000): Promise<number> {
  mkdirSync(NODE_BASE, { recursive: true, mode: 0o700 });
  await reapStaleRuns();
  const hold = ownerPid ? `while kill -0 ${ownerPid} 2>/dev/null; do sleep 1; done` : 'exec sleep infinity';
  const holder = spawn(
    'flock',
    ['-x', '-w', String(Math.ceil(timeoutMs / 1000)), join(NODE_BASE, 'lock'), '-c', `echo locked; ${hold}`],
    {
      detached: true,
      // not inheriting stderr: the holder outlives the caller and would keep its output pipe open
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const pid = await new Promise<number>((resolve, reject) => {
    let waitedMsg = false;
    const note = setTimeout(() => {
      waitedMsg = true;
      process.stderr.write(
        `waiting for another node run to finish (lock ${NODE_BASE}/lock; stop a kept one with: npm run cluster:down -- --node)\n`,
      );
    }, 2000);
    holder.stdout!.once('data', () => {
      clearTimeout(note);
      if (waitedMsg) process.stderr.write('lock acquired\n');
      resolve(holder.pid!);
    });
    holder.once('exit', (code) => {
      clearTimeout(note);
      reject(new Error(`could not take the node lock ${NODE_BASE}/lock (flock exited ${code})`));
    });
  });
  holder.stdout!.destroy();
  holder.unref();
  // a run whose owner died while this one waited let go of the lock but left its resources
  await reapStaleRuns();
  return pid;
}

function cgroupHierarchies(): Hierarchy[] {
  // mountinfo: id parent major:minor root mountpoint options ... - fstype source superoptions
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [pre, post] = line.split(' - ');
      const mountPoint = pre!.split(' ')[4]!;
      const [fstype, , superOptions] = post!.split(' ');
      return { mountPoint, fstype: fstype!, superOptions: superOptions ?? '' };
    })
    .filter((m) => (m.fstype === 'cgroup' || m.fstype === 'cgroup2') && m.mountPoint.startsWith('/sys/fs/cgroup'))
    .map((m) => {
      const opts = m.superOptions.split(',').filter((o) => o !== 'rw' && o !== 'ro');
      const named =
        opts.some((o) => o.startsWith('name=')) &&
        opts.every((o) => o.startsWith('name=') || o === 'none' || o === 'xattr');
      return {
        path: m.mountPoint,
        fstype: m.fstype as Hierarchy['fstype'],
        options: (named ? ['none', ...opts.filter((o) => o !== 'none')] : opts).join(',') || 'defaults',
      };
    });
}

function readSysctl(name: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/${name}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function runNetnsIsMount(): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === '/run/netns');
}

/** Records what the run will change, then creates the namespace and the cgroup tree. */
export function prepareHost(id: string, dir: string, lockPid: number, ownerPid: number): HostState {
  const hierarchies = cgroupHierarchies();
  const sysctls: Record<string, string> = {};
  for (const name of SYSCTLS) {
    const v = readSysctl(name);
    if (v !== undefined) sysctls[name] = v;
  }
  const state: HostState = {
    id,
    netns: `agentgate-${id}`,
    dir,
    cgroup: `agentgate-${id}`,
    hierarchies,
    sysctls,
    runNetnsWasMount: runNetnsIsMount(),
    runNetnsExisted: existsSync('/run/netns'),
    lockPid,
    ownerPid,
  };
  writeState(state);

  for (const h of hierarchies) {
    for (const sub of ['', 'daemons']) {
      const p = join(h.path, state.cgroup, sub);
      mkdirSync(p, { recursive: true });
      // cgroup v1 cpuset: a new group has no CPUs or memory nodes until given its parent's
      if (existsSync(join(p, 'cpuset.cpus'))) {
        const parent = join(p, '..');
        writeFileSync(join(p, 'cpuset.cpus'), readFileSync(join(parent, 'cpuset.cpus')));
        writeFileSync(join(p, 'cpuset.mems'), readFileSync(join(parent, 'cpuset.mems')));
      }
    }
  }
  execFileSync('ip', ['netns', 'add', state.netns]);
  return state;
}

/** `cgroup.procs` files a process must be written to so that it (and its children) belong to the run. */
export function daemonCgroupProcs(s: HostState): string[] {
  return s.hierarchies.map((h) => join(h.path, s.cgroup, 'daemons', 'cgroup.procs'));
}

/** Directories of the run's cgroup tree in one hierarchy, deepest first. */
function cgroupDirs(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    out.push(d);
  };
  walk(root);
  return out;
}

function pidsIn(dirs: string[]): number[] {
  const pids = new Set<number>();
  for (const d of dirs) {
    try {
      for (const l of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (l.trim()) pids.add(Number(l));
    } catch {
      /* removed meanwhile */
    }
  }
  return [...pids];
}

/**
 * Stops every process of the run (frozen first, so nothing forks while it is being killed), removes its
 * cgroups and namespace, restores the sysctls, and releases the lock. Idempotent: safe on a partial run.
 */
export async function teardownHost(s: HostState): Promise<void> {
  const freezer = s.hierarchies.find((h) => h.options.split(',').includes('freezer'));
  const tracking = freezer ?? s.hierarchies.find((h) => h.fstype === 'cgroup') ?? s.hierarchies[0];
  if (tracking) {
    const root = join(tracking.path, s.cgroup);
    const freezeFile = join(root, 'freezer.state');
    const canFreeze = freezer !== undefined && existsSync(freezeFile);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const dirs = cgroupDirs(root);
      if (canFreeze) writeFileSync(freezeFile, 'FROZEN');
      const pids = pidsIn(dirs);
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      if (canFreeze) writeFileSync(freezeFile, 'THAWED');
      if (pids.length === 0) break;
      if (Date.now() > deadline) throw new Error(`processes of node run ${s.id} do not exit: ${pids.join(' ')}`);
      await sleep(100);
    }
  }
  for (const h of s.hierarchies) {
    for (const d of cgroupDirs(join(h.path, s.cgroup))) {
      for (let i = 0; ; i++) {
        try {
          rmdirSync(d);
          break;
        } catch (e) {
          // a cgroup whose last task just died is busy for a moment
          if ((e as NodeJS.ErrnoException).code !== 'EBUSY' || i > 50) throw e;
          await sleep(100);
        }
      }
    }
  }
  if (existsSync(`/run/netns/${s.netns}`)) execFileSync('ip', ['netns', 'del', s.netns]);
  if (!s.runNetnsWasMount && runNetnsIsMount() && readdirSync('/run/netns').length === 0) {
    execFileSync('umount', ['/run/netns']);
    if (!s.runNetnsExisted) rmdirSync('/run/netns');
  }
  for (const [name, value] of Object.entries(s.sysctls)) {
    if (readSysctl(name) !== value) writeFileSync(`/proc/sys/${name}`, value);
  }
  unmountUnder(s.dir);
  if (process.env.AGENTGATE_NODE_KEEP_LOGS && existsSync(join(s.dir, 'logs'))) {
    execFileSync('cp', ['-r', join(s.dir, 'logs'), join(NODE_BASE, `logs-${s.id}`)]);
  }
  rmSync(s.dir, { recursive: true, force: true });
  if (alive(s.lockPid)) {
    // the holder is `flock`, whose child (sleep, or the owner-watching shell) keeps it waiting: end both
    const children = spawnSync('pgrep', ['-P', String(s.lockPid)], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .map(Number);
    for (const pid of [...children, s.lockPid]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}

/** Mounts left under the run's directory in the host's mount namespace (none expected: daemons mount privately). */
function unmountUnder(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return;
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => !!p && (p === dir || p.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const p of points) spawnSync('umount', ['-l', p]);
}
