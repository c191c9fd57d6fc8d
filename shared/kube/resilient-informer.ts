/**
 * An informer that does not stay dead. client-node informers stop on non-410 watch errors; this one
 * restarts them with exponential backoff, relists periodically (a watch can die silently: the periodic
 * restart is the watchdog), and reports restarts. Time is injectable.
 */
import { type KubeConfig, type KubernetesObject, type ListPromise, makeInformer } from '@kubernetes/client-node';
import { realClock, type Clock } from './workqueue.js';

export type InformerEvent = 'add' | 'update' | 'delete';

export interface ResilientInformerOptions<T extends KubernetesObject> {
  kc: KubeConfig;
  path: string;
  list: ListPromise<T>;
  labelSelector?: string;
  /** Full relist (stop + start) this often, also catching silently dead watches. */
  relistMs?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  clock?: Clock;
  onRestart?: (reason: string, delayMs: number) => void;
}

export class ResilientInformer<T extends KubernetesObject> {
  private informer?: ReturnType<typeof makeInformer<T>>;
  private readonly handlers: Record<InformerEvent, ((o: T) => void)[]> = { add: [], update: [], delete: [] };
  private readonly syncHandlers: (() => void)[] = [];
  private failures = 0;
  private timer?: unknown;
  private relistTimer?: unknown;
  private stopped = false;
  private readonly clock: Clock;
  synced = false;
  restarts = 0;

  constructor(private readonly o: ResilientInformerOptions<T>) {
    this.clock = o.clock ?? realClock;
  }

  on(event: InformerEvent, cb: (o: T) => void): void {
    this.handlers[event].push(cb);
  }

  /** Called after each successful (re)list, with every cached object. */
  onSync(cb: () => void): void {
    this.syncHandlers.push(cb);
  }

  list(): T[] {
    return [...(this.informer?.list() ?? [])];
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.startInformer();
  }

  private async startInformer(): Promise<void> {
    if (this.stopped) return;
    const inf = makeInformer<T>(this.o.kc, this.o.path, this.o.list, this.o.labelSelector);
    this.informer = inf;
    for (const ev of ['add', 'update', 'delete'] as const)
      inf.on(ev, (obj) => this.handlers[ev].forEach((h) => h(obj)));
    inf.on('error', (err) => this.restart(`watch error: ${(err as Error)?.message ?? String(err)}`));
    try {
      await inf.start();
      // client-node reports a failed list as an 'error' event and resolves start(): that is no sync
      // (an empty cache then would read as "everything was deleted"); the error handler restarted it.
      if (this.informer !== inf) return;
      this.failures = 0;
      this.synced = true;
      this.syncHandlers.forEach((h) => h());
      this.clock.clearTimeout(this.relistTimer);
      this.relistTimer = this.clock.setTimeout(() => this.restart('periodic relist', 0), this.o.relistMs ?? 5 * 60_000);
    } catch (e) {
      this.restart(`list failed: ${(e as Error).message}`);
    }
  }

  private restart(reason: string, delayOverride?: number): void {
    if (this.stopped) return;
    const inf = this.informer;
    this.informer = undefined;
    void inf?.stop().catch(() => undefined);
    if (delayOverride === undefined) this.failures++;
    const delay =
      delayOverride ??
      Math.min((this.o.initialBackoffMs ?? 500) * 2 ** (this.failures - 1), this.o.maxBackoffMs ?? 30_000);
    this.restarts++;
    this.o.onRestart?.(reason, delay);
    this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => void this.startInformer(), delay);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    this.clock.clearTimeout(this.relistTimer);
    await this.informer?.stop().catch(() => undefined);
  }
}
