/**
 * What the cluster-mode sources (the policy source, the approval broker) follow: a cached set of
 * objects with add/update/delete events, and a sync after each complete answer. Two transports give
 * it: the operator's feeds (operator-feed.ts, what an injected sidecar uses) and, without an operator
 * endpoint, the API server directly through client-node informers (kube-feeds.ts).
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { FeedKind } from '../../shared/contract/feeds.js';
import type { Clock } from '../../shared/kube/workqueue.js';

export type FeedEvent = 'add' | 'update' | 'delete';

export interface ObjectFeed<T> {
  on(event: FeedEvent, cb: (o: T) => void): void;
  /** Called after each complete, successful answer, with every object cached: the source was reachable. */
  onSync(cb: () => void): void;
  list(): T[];
  /** Resolves after the first attempt, successful or not (`synced` tells which); retries go on. */
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly synced: boolean;
}

export interface FeedOptions {
  namespace: string;
  policy: string;
  /** Hear from the source at least this often: a quiet feed is told from a dead one by it. */
  relistMs: number;
  clock?: Clock;
  onRestart?: (reason: string, delayMs: number) => void;
}

export type FeedFactory = <T extends KubernetesObject>(kind: FeedKind, o: FeedOptions) => ObjectFeed<T>;
