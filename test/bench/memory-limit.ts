/**
 * A memory cgroup for one bench child, with the limit its container would have. Node sizes V8's heap
 * from the limit it finds (`process.constrainedMemory()`): a sidecar measured without its container's
 * limit runs with a heap configured for the whole machine, which a pod never gives it. The cgroup is a
 * child of this process's own memory cgroup (v1, or v2 where the memory controller is enabled there);
 * the child process moves itself into it before Node starts, and `remove()` deletes it once empty.
 */
import { mkdirSync, readFileSync, rmdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export interface MemoryLimit {
  /** The cgroup's directory. */
  dir: string;
  /** The command and arguments that run `command args` inside the cgroup. */
  wrap(command: string, args: string[]): [string, string[]];
  remove(): void;
}

/** A Kubernetes memory quantity in bytes (the forms the injector writes: Ki, Mi, Gi or plain bytes). */
export function quantityBytes(q: string): number {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(q);
  if (!m) throw new Error(`unsupported memory quantity ${q}`);
  return Number(m[1]) * { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[m[2] ?? '']!;
}

/** The cgroup, or why it cannot be made here (then the caller says so and measures without it). */
export function memoryLimit(name: string, bytes: number): MemoryLimit | { unavailable: string } {
  const own = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
  const v1 = own.map((l) => l.split(':')).find(([, controllers]) => controllers!.split(',').includes('memory'));
  let dir: string;
  let limitFile: string;
  if (v1 && existsSync('/sys/fs/cgroup/memory')) {
    dir = join('/sys/fs/cgroup/memory', v1[2]!, name);
    limitFile = 'memory.limit_in_bytes';
  } else {
    const v2 = own.find((l) => l.startsWith('0::'))?.slice(3);
    const base = v2 === undefined ? undefined : join('/sys/fs/cgroup', v2);
    if (!base || !readFileSync(join(base, 'cgroup.subtree_control'), 'utf8').includes('memory'))
      return { unavailable: 'no memory cgroup controller this process can use' };
    dir = join(base, name);
    limitFile = 'memory.max';
  }
  try {
    mkdirSync(dir);
    writeFileSync(join(dir, limitFile), String(bytes));
  } catch (e) {
    return { unavailable: `cannot make the cgroup ${dir}: ${(e as Error).message}` };
  }
  return {
    dir,
    wrap: (command, args) => ['/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', dir, command, ...args]],
    remove: () => rmdirSync(dir),
  };
}
