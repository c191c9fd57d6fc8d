/**
 * A controller manager (controller-runtime's shape): runnables that every replica runs, and
 * leader-only runnables, made fresh for each term of leadership (started when this replica becomes
 * leader, stopped when it steps down or shuts down). Leadership is a Lease (leader-election.ts).
 */
import { LeaderElector, type LeaderElectionOptions } from './leader-election.js';

export interface Runnable {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ManagerOptions extends Omit<LeaderElectionOptions, 'onStartedLeading' | 'onStoppedLeading'> {
  /** Called as leadership is gained and lost (before the leader-only runnables start, after they stop). */
  onLeadership?: (leading: boolean) => void;
}

interface LeaderRunnable {
  name: string;
  make: () => Runnable;
  running?: Runnable;
}

export class Manager {
  private readonly elector: LeaderElector;
  private readonly leaderOnly: LeaderRunnable[] = [];
  /** Serializes start and stop of the leader-only runnables across quick changes of leadership. */
  private transition: Promise<void> = Promise.resolve();

  constructor(private readonly o: ManagerOptions) {
    this.elector = new LeaderElector({
      ...o,
      onStartedLeading: () => void this.lead(),
      onStoppedLeading: () => void this.follow(),
    });
  }

  get isLeader(): boolean {
    return this.elector.isLeader;
  }

  /** A runnable only the leader runs; `make` builds a fresh one for each term. */
  addLeaderOnly(name: string, make: () => Runnable): void {
    this.leaderOnly.push({ name, make });
  }

  /** The leader-only runnable of this name while this replica leads. */
  running<T extends Runnable>(name: string): T | undefined {
    return this.leaderOnly.find((r) => r.name === name)?.running as T | undefined;
  }

  start(): void {
    this.elector.start();
  }

  async stop(): Promise<void> {
    await this.follow();
    await this.elector.stop();
  }

  private lead(): Promise<void> {
    return this.next(async () => {
      this.o.onLeadership?.(true);
      for (const r of this.leaderOnly) {
        r.running = r.make();
        await r.running.start();
      }
    });
  }

  private follow(): Promise<void> {
    return this.next(async () => {
      const running = this.leaderOnly.filter((r) => r.running);
      if (!running.length) return;
      this.o.onLeadership?.(false);
      for (const r of running) {
        const it = r.running!;
        r.running = undefined;
        await it.stop();
      }
    });
  }

  /** Runs one transition after the previous one; a failed one is logged and does not block the next. */
  private next(step: () => Promise<void>): Promise<void> {
    this.transition = this.transition
      .then(step)
      .catch((e: unknown) =>
        this.o.log?.('warn', 'leader-only runnables failed to start or stop', { error: (e as Error).message }),
      );
    return this.transition;
  }
}
