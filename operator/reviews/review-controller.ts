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
import { mergePatch, statusOf } from '../../shared/kube/client.js';
import { GROUP, POLICY_PLURAL, VERSION } from '../../shared/contract/api.js';
import { ObjectQueue } from '../../shared/kube/object-queue.js';
import type { Clock } from '../../shared/kube/workqueue.js';
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
  private readonly loop: ObjectQueue<DeviationReview & KubernetesObject>;
  private readonly clock: Clock;

  constructor(private readonly o: ReviewControllerOptions) {
    this.loop = new ObjectQueue({
      kc: o.kc,
      path: `/apis/${GROUP}/${VERSION}/${REVIEW_PLURAL}`,
      list: () => o.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: REVIEW_PLURAL }) as never,
      what: 'review',
      reconcile: (key) => this.reconcile(key),
      ...(o.clock ? { clock: o.clock } : {}),
      ...(o.relistMs ? { relistMs: o.relistMs } : {}),
      ...(o.log ? { log: o.log } : {}),
    });
    this.clock = this.loop.clock;
  }

  get informer(): ObjectQueue<DeviationReview & KubernetesObject>['informer'] {
    return this.loop.informer;
  }

  start(): Promise<void> {
    return this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
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
    this.loop.later(key, atMs);
  }

  /** Re-checks every cached item now (an injected clock moved on). */
  resync(): void {
    this.loop.resync();
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
