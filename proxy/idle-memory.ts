/**
 * Gives memory back to the system while the proxy has nothing to do.
 *
 * V8 keeps its young generation at the size the last busy spell grew it to (twice the image's
 * --max-semi-space-size), and the pages it freed in a pool for reuse, for as long as the process lives.
 * Its own memory reducer did not run in an idle sidecar: 90 s idle after start, nothing moved
 * (docs/performance.md, round 9). A "last resort" collection, the one V8 runs under memory pressure,
 * compacts the heap, shrinks the young generation and releases the pool: 9–10 MiB of an idle sidecar.
 *
 * It stops the event loop while it runs (20–60 ms in an idle sidecar), so it runs once at start (the log
 * line "ready" comes after it; the listeners are already up), and after that only when the event loop was
 * quiet for a whole window and the heap grew by 2 MiB since the last time, at most once a minute. An idle
 * sidecar's own background work (its feeds, checkpoints, probes) grows the young generation back within a
 * minute or two, so it collects that often, for as long as it stays idle: ~0.5 ms of CPU a second.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** What the return needs from the process; the tests give their own. */
export interface RuntimeProbe {
  /** The share of the time since the previous call that the event loop was busy, 0–1. */
  busySinceLast(): number;
  /** Bytes the V8 heap holds from the system. */
  heapCommitted(): number;
  /** Collects all the garbage it can, synchronously, giving freed memory back. */
  collect(): void;
  now(): number;
}

export interface IdleMemoryOptions {
  /** The window: how long the event loop must have been quiet; also how often it is looked at. */
  quietMs: number;
  /** Quiet: busy for less than this share of the window. */
  quietBusyShare?: number;
  /** Only when the heap holds at least this much more than after the last return (one doubling of the young generation). */
  minGrowthBytes?: number;
  /** At most one return per this long (a quiet window after each short burst would otherwise collect each time). */
  minIntervalMs?: number;
}

export interface IdleMemoryReturned {
  reason: 'start' | 'quiet';
  heapBeforeBytes: number;
  heapAfterBytes: number;
  pauseMs: number;
}

export const IDLE_MEMORY_DEFAULTS = {
  quietMs: 10_000,
  quietBusyShare: 0.01,
  minGrowthBytes: 2 * 1024 * 1024,
  minIntervalMs: 60_000,
} as const;

export class IdleMemoryReturn {
  private readonly o: Required<IdleMemoryOptions>;
  private heapAfterLast: number;
  private lastAt = -Infinity;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly probe: RuntimeProbe,
    options: IdleMemoryOptions,
    private readonly onReturn: (r: IdleMemoryReturned) => void,
  ) {
    // Past 2^31 - 1 ms Node's timers fire every 1 ms: a longer window is the longest one.
    this.o = { ...IDLE_MEMORY_DEFAULTS, ...options, quietMs: Math.min(options.quietMs, 2 ** 31 - 1) };
    this.heapAfterLast = probe.heapCommitted();
  }

  /** Collects now; the proxy calls it once at start, before it says it is ready. */
  returnNow(reason: IdleMemoryReturned['reason']): IdleMemoryReturned {
    const heapBeforeBytes = this.probe.heapCommitted();
    const t = this.probe.now();
    this.probe.collect();
    const end = this.probe.now();
    // The interval is between quiet spells' returns; the one at start does not delay the first of them.
    if (reason === 'quiet') this.lastAt = end;
    this.heapAfterLast = this.probe.heapCommitted();
    // The collection's own pause is not the agents' activity.
    this.probe.busySinceLast();
    const r = { reason, heapBeforeBytes, heapAfterBytes: this.heapAfterLast, pauseMs: end - t };
    this.onReturn(r);
    return r;
  }

  /** One look at the window that just ended; returns what it gave back, if it did. */
  check(): IdleMemoryReturned | undefined {
    const busy = this.probe.busySinceLast();
    if (busy >= this.o.quietBusyShare) return undefined;
    if (this.probe.heapCommitted() - this.heapAfterLast < this.o.minGrowthBytes) return undefined;
    if (this.probe.now() - this.lastAt < this.o.minIntervalMs) return undefined;
    return this.returnNow('quiet');
  }

  /** Looks once per window; the timer keeps no process alive. */
  start(): void {
    this.probe.busySinceLast();
    this.timer = setInterval(() => this.check(), this.o.quietMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

let v8Collect: ((options: object) => void) | undefined;

/**
 * V8's `gc()` with the "last resort" flavour (a full, compacting collection that also shrinks the young
 * generation and releases pooled pages). The function is taken from a context of its own with the flag
 * set only for that moment, so no `gc` global appears in the proxy's context or in later ones.
 */
export function collectAllGarbage(): void {
  if (!v8Collect) {
    setFlagsFromString('--expose-gc');
    try {
      v8Collect = runInNewContext('gc') as (options: object) => void;
    } finally {
      setFlagsFromString('--no-expose-gc');
    }
  }
  v8Collect({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}

/** The process as it runs: event-loop utilization, V8's heap statistics and its collector. */
export function processProbe(): RuntimeProbe {
  let last = performance.eventLoopUtilization();
  return {
    busySinceLast: () => {
      const now = performance.eventLoopUtilization();
      const share = performance.eventLoopUtilization(now, last).utilization;
      last = now;
      return share;
    },
    heapCommitted: () => getHeapStatistics().total_heap_size,
    collect: collectAllGarbage,
    now: () => performance.now(),
  };
}
