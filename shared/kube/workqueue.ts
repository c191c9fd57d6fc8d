/**
 * A keyed work queue for level-triggered reconciles: a key queued several times runs once, keys run
 * one at a time, and a failed key is retried with exponential backoff. Time is injectable.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface WorkQueueOptions {
  clock?: Clock;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  onError?: (key: string, err: unknown, retryInMs: number) => void;
}

export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly order: string[] = [];
  private readonly failures = new Map<string, number>();
  private readonly retries = new Map<string, unknown>();
  private running = false;
  private stopped = false;
  private readonly clock: Clock;

  constructor(
    private readonly handler: (key: string) => Promise<void>,
    private readonly opts: WorkQueueOptions = {},
  ) {
    this.clock = opts.clock ?? realClock;
  }

  add(key: string): void {
    if (this.stopped || this.queued.has(key)) return;
    this.queued.add(key);
    this.order.push(key);
    // Start on the next microtask, so a burst of events for one key collapses into one run.
    queueMicrotask(() => void this.drain());
  }

  get length(): number {
    return this.order.length;
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.order.length && !this.stopped) {
        const key = this.order.shift()!;
        this.queued.delete(key);
        try {
          await this.handler(key);
          this.failures.delete(key);
        } catch (e) {
          const n = (this.failures.get(key) ?? 0) + 1;
          this.failures.set(key, n);
          const delay = Math.min((this.opts.initialBackoffMs ?? 500) * 2 ** (n - 1), this.opts.maxBackoffMs ?? 60_000);
          this.opts.onError?.(key, e, delay);
          this.clock.clearTimeout(this.retries.get(key));
          this.retries.set(
            key,
            this.clock.setTimeout(() => this.add(key), delay),
          );
        }
      }
    } finally {
      this.running = false;
    }
  }

  stop(): void {
    this.stopped = true;
    for (const h of this.retries.values()) this.clock.clearTimeout(h);
  }
}
