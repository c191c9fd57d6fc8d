/**
 * The wiring a controller of one custom resource repeats: a cluster-wide ResilientInformer whose adds,
 * updates and every resync enqueue `namespace/name` on a WorkQueue that runs `reconcile` one key at a
 * time, and timers that enqueue a key again at a given time (an expiry, a deadline).
 */
import type { KubeConfig, KubernetesObject, ListPromise } from '@kubernetes/client-node';
import { messageOf } from './client.js';
import { ResilientInformer } from './resilient-informer.js';
import { realClock, WorkQueue, type Clock } from './workqueue.js';

export interface ObjectQueueOptions<T extends KubernetesObject> {
  kc: KubeConfig;
  /** The watch path (`/apis/<group>/<version>/<plural>`). */
  path: string;
  list: ListPromise<T>;
  /** What the log calls the informer and the reconcile (`approval`, `review`). */
  what: string;
  reconcile(key: string): Promise<void>;
  clock?: Clock;
  relistMs?: number;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

export const keyOf = (o: KubernetesObject): string => `${o.metadata?.namespace}/${o.metadata?.name}`;

export class ObjectQueue<T extends KubernetesObject> {
  readonly informer: ResilientInformer<T>;
  readonly clock: Clock;
  private readonly queue: WorkQueue;
  private readonly timers = new Map<string, unknown>();

  constructor(o: ObjectQueueOptions<T>) {
    this.clock = o.clock ?? realClock;
    this.informer = new ResilientInformer<T>({
      kc: o.kc,
      path: o.path,
      list: o.list,
      clock: this.clock,
      ...(o.relistMs ? { relistMs: o.relistMs } : {}),
      onRestart: (reason, delayMs) => o.log?.('warn', `${o.what} informer restarting`, { reason, delayMs }),
    });
    this.queue = new WorkQueue((key) => o.reconcile(key), {
      clock: this.clock,
      onError: (key, e) => o.log?.('error', `${o.what} reconcile failed`, { key, error: messageOf(e) }),
    });
    const enqueue = (x: T): void => this.queue.add(keyOf(x));
    this.informer.on('add', enqueue);
    this.informer.on('update', enqueue);
    this.informer.onSync(() => this.resync());
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  async stop(): Promise<void> {
    this.queue.stop();
    for (const t of this.timers.values()) this.clock.clearTimeout(t);
    this.timers.clear();
    await this.informer.stop();
  }

  add(key: string): void {
    this.queue.add(key);
  }

  /** Every cached object reconciled again. */
  resync(): void {
    for (const x of this.informer.list()) this.queue.add(keyOf(x));
  }

  /** Reconciles `key` again at `atMs` (replacing an earlier timer for it). */
  later(key: string, atMs: number): void {
    this.clock.clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      this.clock.setTimeout(
        () => {
          this.timers.delete(key);
          this.queue.add(key);
        },
        Math.max(0, atMs - this.clock.now()) + 50,
      ),
    );
  }
}
