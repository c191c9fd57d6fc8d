/** A process's resident set size in MiB, from /proc (0 once it has exited). */
import { readFileSync } from 'node:fs';

export function rssMiB(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}
