/**
 * Wakes the sidecars' held feed calls (proxy-feeds-endpoint.ts) when an object they follow changes, with
 * one watch per namespace and kind shared by every call held there, instead of one per call: a hundred
 * sidecars held 300 watches, each its own TLS connection, and the operator grew by ~2.7 MiB per sidecar
 * (docs/performance.md, round 8).
 *
 * A call subscribes before it lists, so a change after its list wakes it. A watch that ends (the API server
 * ends it after WATCH_SECONDS, client-node after 30 s without data, or the connection drops) resumes from
 * the last resourceVersion it saw, so nothing in between is missed; only when that version has expired
 * (410) does it start again from a fresh list, and then it wakes every call once it runs, since it cannot
 * know what changed. A call whose change was missed would still list again at the end of its wait. The answers
 * themselves are always fresh lists: this only says when to list.
 */
import { type KubeConfig, type KubernetesObject, Watch } from '@kubernetes/client-node';
import { statusOf } from '../shared/kube/client.js';

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
  /** The last resourceVersion seen (list, event or bookmark): where the next watch resumes. */
  resourceVersion?: string;
  /** The next watch starts from a fresh list and must wake every subscriber once it runs. */
  missed?: boolean;
  failures: number;
  /** Set while the watch waits to be restarted after it ended. */
  backoff?: ReturnType<typeof setTimeout>;
  /** Set while nobody listens: the watch is closed when it fires. */
  idle?: ReturnType<typeof setTimeout>;
}

/** How long a watch nobody listens to is kept (held calls come back at once after each answer). */
const IDLE_MS = 60_000;
/** The API server ends each watch after this long, before client-node's 30 s inactivity timeout would. */
const WATCH_SECONDS = 25;
/** A watch that ends sooner than this after it started failed (backoff); a longer one just ended. */
const HEALTHY_MS = 1_000;

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
      if (!this.stopped) this.channels.set(key, ch);
    }
    const channel = ch;
    const subscriber = { matches, wake };
    channel.subscribers.add(subscriber);
    clearTimeout(channel.idle);
    channel.idle = undefined;
    if (!channel.watch && !channel.starting && !channel.backoff) void this.start(channel);
    return () => {
      channel.subscribers.delete(subscriber);
      if (channel.subscribers.size === 0 && !channel.idle && this.current(channel))
        channel.idle = setTimeout(() => this.close(channel), this.o.idleMs ?? IDLE_MS);
    };
  }

  /** Watches that cover their objects now: running, or resuming where they left off (nothing missed). */
  get open(): number {
    return [...this.channels.values()].filter((c) => c.watch || (c.resourceVersion !== undefined && !c.missed)).length;
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
    let expired = false;
    const startedAt = Date.now();
    try {
      const resourceVersion = ch.resourceVersion ?? (await ch.target.resourceVersion());
      if (!resourceVersion) throw new Error(`no resourceVersion listing ${ch.target.path}`);
      ch.resourceVersion = resourceVersion;
      const watch = await new Watch(this.kc).watch(
        ch.target.path,
        {
          allowWatchBookmarks: true,
          resourceVersion,
          timeoutSeconds: WATCH_SECONDS,
          ...(ch.target.labelSelector ? { labelSelector: ch.target.labelSelector } : {}),
        },
        (phase, obj: KubernetesObject & { code?: number }) => {
          if (phase === 'ERROR') {
            if (obj?.code === 410) expired = true;
            return;
          }
          if (obj?.metadata?.resourceVersion) ch.resourceVersion = obj.metadata.resourceVersion;
          if (phase === 'BOOKMARK') return;
          for (const s of ch.subscribers) if (s.matches(obj)) s.wake();
        },
        (err: unknown) => {
          ended = true;
          ch.watch = undefined;
          this.ended(ch, err, expired || statusOf(err) === 410, Date.now() - startedAt);
        },
      );
      ch.starting = false;
      if (ended || !this.current(ch)) return void watch.abort();
      ch.watch = watch;
      if (ch.missed) {
        ch.missed = false;
        for (const s of ch.subscribers) s.wake();
      }
    } catch (e) {
      ch.starting = false;
      this.ended(ch, e, statusOf(e) === 410, Date.now() - startedAt);
    }
  }

  /**
   * Resumes at once where it left off after a watch that ran; after one that failed, after a backoff; from
   * a fresh list (waking everyone) when its version expired or it kept failing. Closed if nobody listens.
   */
  private ended(ch: Channel, err: unknown, expired: boolean, ranMs: number): void {
    if (!this.current(ch)) return;
    if (ch.subscribers.size === 0) return this.close(ch);
    const failed = !!err && ranMs < HEALTHY_MS;
    ch.failures = failed ? ch.failures + 1 : 0;
    if (expired || ch.failures > 3) {
      ch.resourceVersion = undefined;
      ch.missed = true;
    }
    const delay = failed ? Math.min(500 * 2 ** (ch.failures - 1), this.o.maxBackoffMs ?? 10_000) : 0;
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
    ch.idle = undefined;
    ch.backoff = undefined;
    if (this.channels.get(ch.key) === ch) this.channels.delete(ch.key);
    const watch = ch.watch;
    ch.watch = undefined;
    watch?.abort();
  }
}
