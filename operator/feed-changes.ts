/**
 * Wakes the sidecars' held feed calls (proxy-feeds-endpoint.ts) when an object they follow changes, with
 * one watch per namespace and kind shared by every call held there, instead of one per call: a hundred
 * sidecars held 300 watches, each its own TLS connection, and the operator grew by ~2.7 MiB per sidecar
 * (docs/performance.md, round 8).
 *
 * A call subscribes before it lists, so a change after its list wakes it once the watch runs; a change the
 * watch cannot see (while it starts or restarts) only delays the call to the end of its wait, after which it
 * lists again. The answers
 * themselves are always fresh lists: this only says when to list.
 */
import { type KubeConfig, type KubernetesObject, Watch } from '@kubernetes/client-node';

export interface WatchTarget {
  /** The collection's API path (namespaced). */
  path: string;
  labelSelector?: string;
  /**
   * The collection's current resourceVersion (a list of one): the watch starts there, so it reports
   * changes only, not every object as ADDED the way a watch from no version does.
   */
  resourceVersion: () => Promise<string | undefined>;
}

interface Subscriber {
  matches: (o: KubernetesObject) => boolean;
  wake: () => void;
}

interface Channel {
  key: string;
  target: WatchTarget;
  subscribers: Set<Subscriber>;
  watch?: AbortController;
  starting?: boolean;
  failures: number;
  /** Set while the watch waits to be restarted after it ended. */
  backoff?: ReturnType<typeof setTimeout>;
  /** Set while nobody listens: the watch is closed when it fires. */
  idle?: ReturnType<typeof setTimeout>;
}

/** How long a watch nobody listens to is kept (held calls come back at once after each answer). */
const IDLE_MS = 60_000;

export class FeedChanges {
  private readonly channels = new Map<string, Channel>();
  private stopped = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly o: { idleMs?: number; maxBackoffMs?: number } = {},
  ) {}

  /** Calls `wake` on each change to an object `matches` accepts, until the returned function is called. */
  subscribe(target: WatchTarget, matches: Subscriber['matches'], wake: () => void): () => void {
    const key = `${target.path}?${target.labelSelector ?? ''}`;
    let ch = this.channels.get(key);
    if (!ch) {
      ch = { key, target, subscribers: new Set(), failures: 0 };
      this.channels.set(key, ch);
    }
    const channel = ch;
    const subscriber = { matches, wake };
    channel.subscribers.add(subscriber);
    clearTimeout(channel.idle);
    channel.idle = undefined;
    if (!channel.watch && !channel.starting && !channel.backoff) void this.start(channel);
    return () => {
      channel.subscribers.delete(subscriber);
      if (channel.subscribers.size === 0 && !channel.idle)
        channel.idle = setTimeout(() => this.close(channel), this.o.idleMs ?? IDLE_MS);
    };
  }

  /** How many watches are open now. */
  get open(): number {
    return [...this.channels.values()].filter((c) => c.watch).length;
  }

  stop(): void {
    this.stopped = true;
    for (const ch of [...this.channels.values()]) this.close(ch);
  }

  private current(ch: Channel): boolean {
    return !this.stopped && this.channels.get(ch.key) === ch;
  }

  private async start(ch: Channel): Promise<void> {
    if (!this.current(ch)) return;
    ch.starting = true;
    let ended = false;
    try {
      const resourceVersion = await ch.target.resourceVersion();
      if (!resourceVersion) throw new Error(`no resourceVersion listing ${ch.target.path}`);
      const watch = await new Watch(this.kc).watch(
        ch.target.path,
        {
          allowWatchBookmarks: true,
          resourceVersion,
          ...(ch.target.labelSelector ? { labelSelector: ch.target.labelSelector } : {}),
        },
        (phase, obj: KubernetesObject) => {
          if (phase === 'BOOKMARK' || phase === 'ERROR') return;
          ch.failures = 0;
          for (const s of ch.subscribers) if (s.matches(obj)) s.wake();
        },
        (err: unknown) => {
          ended = true;
          ch.watch = undefined;
          this.ended(ch, err);
        },
      );
      ch.starting = false;
      if (ended || !this.current(ch)) watch.abort();
      else ch.watch = watch;
    } catch (e) {
      ch.starting = false;
      this.ended(ch, e);
    }
  }

  /** Again at once after a clean end, after a backoff after an error; closed if nobody listens. */
  private ended(ch: Channel, err: unknown): void {
    if (!this.current(ch)) return;
    if (ch.subscribers.size === 0) return this.close(ch);
    if (err) ch.failures++;
    const delay = err ? Math.min(500 * 2 ** (ch.failures - 1), this.o.maxBackoffMs ?? 10_000) : 0;
    clearTimeout(ch.backoff);
    ch.backoff = setTimeout(() => {
      ch.backoff = undefined;
      void this.start(ch);
    }, delay);
  }

  private close(ch: Channel): void {
    if (ch.subscribers.size > 0 && !this.stopped) return;
    clearTimeout(ch.idle);
    clearTimeout(ch.backoff);
    if (this.channels.get(ch.key) === ch) this.channels.delete(ch.key);
    const watch = ch.watch;
    ch.watch = undefined;
    watch?.abort();
  }
}
