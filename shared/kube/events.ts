/**
 * Kubernetes Events, de-duplicated and rate-limited: the same reason and message on the same object
 * is one Event whose count goes up (a series), and its updates are sent at most once per interval, so
 * a flapping object or a looping agent cannot flood the API server.
 */
import { type CoreV1Api, type KubernetesObject } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { mergePatch } from './client.js';
import { realClock, type Clock } from './workqueue.js';

export type EventType = 'Normal' | 'Warning';

interface Series {
  name: string;
  namespace: string;
  count: number;
  /** Count the API server has. */
  sent: number;
  sentAt: number;
  timer?: unknown;
  /** API calls for this series, in order. */
  chain: Promise<void>;
}

export interface EventRecorderOptions {
  component?: string;
  /** At most one API call per series this often; repeats in between are counted and sent together. */
  minIntervalMs?: number;
  clock?: Clock;
}

export class EventRecorder {
  private readonly series = new Map<string, Series>();
  private readonly component: string;
  private readonly clock: Clock;

  constructor(
    private readonly core: CoreV1Api,
    o: EventRecorderOptions | string = {},
  ) {
    const opts = typeof o === 'string' ? { component: o } : o;
    this.component = opts.component ?? 'agentgate-operator';
    this.clock = opts.clock ?? realClock;
    this.minIntervalMs = opts.minIntervalMs ?? 10_000;
  }

  private readonly minIntervalMs: number;

  /** API calls made (for tests and metrics). */
  calls = 0;

  emit(obj: KubernetesObject, type: EventType, reason: string, message: string): Promise<void> {
    const ns = obj.metadata?.namespace ?? 'default';
    const key = `${obj.metadata?.uid ?? obj.metadata?.name}|${type}|${reason}|${message}`;
    const existing = this.series.get(key);
    if (existing) {
      existing.count++;
      const wait = existing.sentAt + this.minIntervalMs - this.clock.now();
      if (wait > 0) {
        // A looping agent cannot flood the API server: the count goes out with the next flush.
        existing.timer ??= this.clock.setTimeout(() => {
          existing.timer = undefined;
          void this.enqueueFlush(key, existing);
        }, wait);
        return existing.chain;
      }
      return this.enqueueFlush(key, existing);
    }
    // The series exists before the API call returns, so concurrent repeats join it instead of
    // creating Events of their own; API calls for one series run in order.
    const name = `${obj.metadata?.name}.${randomBytes(6).toString('hex')}`;
    const series: Series = {
      name,
      namespace: ns,
      count: 1,
      sent: 1,
      sentAt: this.clock.now(),
      chain: Promise.resolve(),
    };
    this.series.set(key, series);
    if (this.series.size > 10_000) this.series.delete(this.series.keys().next().value!);
    const time = new Date(this.clock.now()).toISOString();
    this.calls++;
    series.chain = this.core
      .createNamespacedEvent({
        namespace: ns,
        body: {
          metadata: { name, namespace: ns },
          involvedObject: {
            apiVersion: obj.apiVersion,
            kind: obj.kind,
            name: obj.metadata?.name,
            namespace: ns,
            uid: obj.metadata?.uid,
            resourceVersion: obj.metadata?.resourceVersion,
          },
          type,
          reason,
          message: message.slice(0, 1024),
          source: { component: this.component },
          reportingComponent: this.component,
          reportingInstance: this.component,
          firstTimestamp: time as unknown as Date,
          lastTimestamp: time as unknown as Date,
          count: 1,
        },
      })
      .then(
        () => undefined,
        () => {
          this.series.delete(key);
        },
      );
    return series.chain;
  }

  private enqueueFlush(key: string, s: Series): Promise<void> {
    s.sentAt = this.clock.now();
    s.chain = s.chain
      .then(() => this.flush(key))
      .catch(() => {
        this.series.delete(key); // expired or deleted: the next repeat starts a new one
      });
    return s.chain;
  }

  private async flush(key: string): Promise<void> {
    const s = this.series.get(key);
    if (!s || s.count === s.sent) return;
    s.sent = s.count;
    this.calls++;
    await this.core.patchNamespacedEvent(
      {
        name: s.name,
        namespace: s.namespace,
        body: { count: s.count, lastTimestamp: new Date(s.sentAt).toISOString() as unknown as Date },
      },
      mergePatch,
    );
  }
}
