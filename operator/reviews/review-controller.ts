/**
 * The review items' lifecycle (level-triggered, keyed by namespace/name, idempotent): status.state
 * (Open → Acknowledged / Escalated by a reviewer's decision, or Exception once undecided past the
 * policy's spec.review.maxOpenHours), conditions with observedGeneration, Events for the queue, and the
 * queue's size by namespace and state for Prometheus. Time is injectable (the Exception deadline).
 */
import type { CoreV1Api, CustomObjectsApi, KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import type { EventRecorder } from '../../shared/kube/events.js';
import { mergePatch, messageOf, statusOf } from '../../shared/kube/client.js';
import { GROUP, POLICY_PLURAL, VERSION } from '../../shared/contract/api.js';
import { ResilientInformer } from '../../shared/kube/resilient-informer.js';
import { realClock, WorkQueue, type Clock } from '../../shared/kube/workqueue.js';
import { DEFAULT_MAX_OPEN_HOURS, reviewConditions, reviewState } from './state.js';
import { REVIEW_PLURAL, type DeviationReview, type ReviewState } from './types.js';

export interface ReviewControllerOptions {
  kc: KubeConfig;
  custom: CustomObjectsApi;
  core: CoreV1Api;
  events: EventRecorder;
  clock?: Clock;
  relistMs?: number;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

export class ReviewController {
  readonly informer: ResilientInformer<DeviationReview & KubernetesObject>;
  private readonly queue: WorkQueue;
  private readonly clock: Clock;
  private readonly timers = new Map<string, unknown>();

  constructor(private readonly o: ReviewControllerOptions) {
    this.clock = o.clock ?? realClock;
    this.informer = new ResilientInformer({
      kc: o.kc,
      path: `/apis/${GROUP}/${VERSION}/${REVIEW_PLURAL}`,
      list: () => o.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: REVIEW_PLURAL }) as never,
      clock: this.clock,
      ...(o.relistMs ? { relistMs: o.relistMs } : {}),
      onRestart: (reason, delayMs) => o.log?.('warn', 'review informer restarting', { reason, delayMs }),
    });
    this.queue = new WorkQueue((key) => this.reconcile(key), {
      clock: this.clock,
      onError: (key, e) => o.log?.('error', 'review reconcile failed', { key, error: messageOf(e) }),
    });
    const enqueue = (d: DeviationReview): void => this.queue.add(`${d.metadata.namespace}/${d.metadata.name}`);
    this.informer.on('add', enqueue);
    this.informer.on('update', enqueue);
    this.informer.onSync(() => this.informer.list().forEach(enqueue));
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  async stop(): Promise<void> {
    this.queue.stop();
    for (const t of this.timers.values()) this.clock.clearTimeout(t);
    await this.informer.stop();
  }

  /** Review items by namespace and state, from the informer's cache (the metric for the queue). */
  queueSizes(): { namespace: string; state: ReviewState; count: number }[] {
    const sizes = new Map<string, number>();
    for (const d of this.informer.list()) {
      const k = `${d.metadata.namespace}\0${d.status?.state ?? 'Open'}`;
      sizes.set(k, (sizes.get(k) ?? 0) + 1);
    }
    return [...sizes].map(([k, count]) => {
      const [namespace, state] = k.split('\0') as [string, ReviewState];
      return { namespace, state, count };
    });
  }

  private later(key: string, atMs: number): void {
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

  /** Re-checks every cached item now (an injected clock moved on). */
  resync(): void {
    for (const d of this.informer.list()) this.queue.add(`${d.metadata.namespace}/${d.metadata.name}`);
  }

  async reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    let dr: DeviationReview;
    try {
      dr = (await this.o.custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: REVIEW_PLURAL,
        name,
      })) as DeviationReview;
    } catch (e) {
      if (statusOf(e) === 404) return;
      throw e;
    }
    let policy: AgentAccessPolicy | undefined;
    try {
      policy = (await this.o.custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: POLICY_PLURAL,
        name: dr.spec.policyRef.name,
      })) as AgentAccessPolicy;
    } catch (e) {
      if (statusOf(e) !== 404) throw e;
    }
    const maxOpenHours = policy?.spec.review?.maxOpenHours ?? DEFAULT_MAX_OPEN_HOURS;
    const now = this.clock.now();
    const { state, exceptionAt } = reviewState(dr, maxOpenHours, now);
    const conditions = reviewConditions(dr, state, maxOpenHours, now);
    const old = dr.status;
    const firstReconcile = old?.observedGeneration === undefined;
    if (
      old?.state !== state ||
      old?.observedGeneration !== dr.metadata.generation ||
      !isDeepStrictEqual(old?.conditions, conditions)
    ) {
      // resourceVersion: a count the endpoint adds meanwhile is never overwritten (the retry sees it).
      await this.o.custom.patchNamespacedCustomObjectStatus(
        {
          group: GROUP,
          version: VERSION,
          namespace,
          plural: REVIEW_PLURAL,
          name,
          body: {
            metadata: { resourceVersion: dr.metadata.resourceVersion },
            status: { state, observedGeneration: dr.metadata.generation, conditions },
          },
        },
        mergePatch,
      );
      await this.event(dr, firstReconcile ? undefined : old?.state, state, maxOpenHours);
    }
    if (exceptionAt !== undefined) this.later(key, exceptionAt);
  }

  private async event(
    dr: DeviationReview,
    from: ReviewState | undefined,
    to: ReviewState,
    maxOpenHours: number,
  ): Promise<void> {
    const what = `${dr.spec.kind} by ${dr.spec.agent.serviceAccount} (rule "${dr.spec.rule}") on ${dr.spec.day}`;
    const d = dr.spec.decision;
    const emit = (type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> =>
      this.o.events.emit(dr as never, type, reason, message).catch(() => undefined);
    if (from === undefined && to === 'Open')
      return emit('Normal', 'ReviewOpened', `${what}: awaiting review by the policy's reviewers`);
    if (from === to) return;
    if (to === 'Exception')
      return emit(
        'Warning',
        'ReviewOverdue',
        `${what}: still unreviewed after ${maxOpenHours} hour(s); reported as an exception`,
      );
    if (to === 'Acknowledged')
      return emit(
        'Normal',
        'Acknowledged',
        `${what}: acknowledged by ${d?.reviewedBy ?? 'unknown'}${d?.comment ? ` (${d.comment})` : ''}`,
      );
    if (to === 'Escalated')
      return emit(
        'Warning',
        'Escalated',
        `${what}: escalated by ${d?.reviewedBy ?? 'unknown'}${d?.ticket ? ` (ticket ${d.ticket})` : ''}${d?.comment ? `: ${d.comment}` : ''}`,
      );
  }
}
