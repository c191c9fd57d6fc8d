/**
 * A feed through the operator (shared/contract/feeds.ts): long polls with the proxy's own token, each
 * answer the complete set of objects, turned into add/update/delete events against the last one. An
 * answer is a sync (the control plane was reachable just now); a failure is retried with backoff, and
 * the cache is kept meanwhile — the sources decide, by their staleness bound, when that is too old.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { FEED_AFTER, FEED_WAIT, FEEDS, type FeedKind } from '../../shared/contract/feeds.js';
import { realClock, type Clock } from '../../shared/kube/workqueue.js';
import { getFromOperator, type OperatorEndpoint } from '../approvals/operator-client.js';
import type { FeedEvent, FeedFactory, FeedOptions, ObjectFeed } from './object-feed.js';

/** The longest the operator is asked to hold an answer (it cuts at FEED_MAX_WAIT_SECONDS). */
const MAX_WAIT_SECONDS = 25;
/** How much longer than the wait an answer may take in transit before the call is given up. */
const TRANSIT_MS = 15_000;

export interface OperatorFeedOptions {
  endpoint: OperatorEndpoint;
  kind: FeedKind;
  /** Answers at least this often (the operator holds a long poll at most about this long). */
  relistMs: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  clock?: Clock;
  onRestart?: (reason: string, delayMs: number) => void;
}

export function operatorFeeds(endpoint: OperatorEndpoint): FeedFactory {
  return <T extends KubernetesObject>(kind: FeedKind, o: FeedOptions) =>
    new OperatorFeed<T>({
      endpoint,
      kind,
      relistMs: o.relistMs,
      ...(o.clock ? { clock: o.clock } : {}),
      ...(o.onRestart ? { onRestart: o.onRestart } : {}),
    });
}

export class OperatorFeed<T extends KubernetesObject> implements ObjectFeed<T> {
  private readonly handlers: Record<FeedEvent, ((o: T) => void)[]> = { add: [], update: [], delete: [] };
  private readonly syncHandlers: (() => void)[] = [];
  private cache = new Map<string, T>();
  private token?: string;
  private failures = 0;
  private stopped = true;
  private inFlight?: AbortController;
  private timer?: unknown;
  private readonly clock: Clock;
  private readonly waitSeconds: number;
  synced = false;

  constructor(private readonly o: OperatorFeedOptions) {
    this.clock = o.clock ?? realClock;
    this.waitSeconds = Math.max(1, Math.min(MAX_WAIT_SECONDS, Math.floor(o.relistMs / 1000)));
  }

  on(event: FeedEvent, cb: (o: T) => void): void {
    this.handlers[event].push(cb);
  }

  onSync(cb: () => void): void {
    this.syncHandlers.push(cb);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.poll();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    this.inFlight?.abort();
  }

  /** One call; then the next is scheduled (at once after an answer, after a backoff after a failure). */
  private async poll(): Promise<void> {
    if (this.stopped) return;
    const query = new URLSearchParams();
    if (this.token !== undefined) {
      query.set(FEED_AFTER, this.token);
      query.set(FEED_WAIT, String(this.waitSeconds));
    }
    const call = new AbortController();
    this.inFlight = call;
    let delay = 0;
    try {
      const answer = await getFromOperator(this.o.endpoint, `${FEEDS[this.o.kind]}?${query}`, {
        timeoutMs: (this.token === undefined ? 0 : this.waitSeconds * 1000) + TRANSIT_MS,
        signal: call.signal,
      });
      if (this.stopped) return;
      this.apply(answer);
      this.failures = 0;
    } catch (e) {
      if (this.stopped) return;
      this.failures++;
      delay = Math.min((this.o.initialBackoffMs ?? 500) * 2 ** (this.failures - 1), this.o.maxBackoffMs ?? 10_000);
      this.o.onRestart?.(`operator feed ${this.o.kind}: ${(e as Error).message}`, delay);
    }
    this.timer = this.clock.setTimeout(() => void this.poll(), delay);
  }

  private apply(answer: unknown): void {
    const { token, items } = (answer ?? {}) as { token?: unknown; items?: unknown };
    if (typeof token !== 'string' || !Array.isArray(items) || !items.every(isObject))
      throw new Error('the operator answered a feed without {token, items}');
    const next = new Map<string, T>();
    for (const item of items as T[]) next.set(item.metadata!.name!, item);
    const before = this.cache;
    this.cache = next;
    this.token = token;
    this.synced = true;
    for (const [name, item] of next) {
      const was = before.get(name);
      if (!was) this.emit('add', item);
      else if (was.metadata?.resourceVersion !== item.metadata?.resourceVersion) this.emit('update', item);
    }
    for (const [name, item] of before) if (!next.has(name)) this.emit('delete', item);
    this.syncHandlers.forEach((h) => h());
  }

  private emit(event: FeedEvent, item: T): void {
    this.handlers[event].forEach((h) => h(item));
  }
}

function isObject(i: unknown): boolean {
  const name = (i as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  return typeof i === 'object' && i !== null && typeof name === 'string';
}
