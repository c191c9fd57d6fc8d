/** A process's memory from /proc/<pid>/status, in MiB (0 once it has exited). */
import { readFileSync } from 'node:fs';

/** One field of /proc/<pid>/status counted in kB (VmRSS, RssAnon, RssFile, ...), in MiB. */
export function statusMiB(pid: number, field: string): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** The resident set size. */
export function rssMiB(pid: number): number {
  return statusMiB(pid, 'VmRSS');
}
