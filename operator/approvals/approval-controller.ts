/**
 * The ApprovalRequest lifecycle: Pending → Approved / Denied (from the stamped decisions and the
 * policy's requiredApprovals) or Expired (at expiresAt); Used is recorded by the proxy when a one-shot
 * grant runs. Emits an Event at every transition and deletes closed requests after the retention.
 */
import type { CoreV1Api, CustomObjectsApi, KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import type { EventRecorder } from '../../shared/kube/events.js';
import { APPROVAL_PLURAL, GROUP, POLICY_PLURAL, VERSION } from '../../shared/contract/api.js';
import { mergePatch, statusOf } from '../../shared/kube/client.js';
import { ObjectQueue } from '../../shared/kube/object-queue.js';
import type { Clock } from '../../shared/kube/workqueue.js';
import { phaseOf, type ApprovalRequest } from '../../shared/contract/approval-request.js';
import { approvalDeviation } from '../reviews/approval-deviations.js';
import { fileDeviations } from '../reviews/file-deviations.js';

export interface ApprovalControllerOptions {
  kc: KubeConfig;
  custom: CustomObjectsApi;
  core: CoreV1Api;
  events: EventRecorder;
  clock?: Clock;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

export class ApprovalController {
  private readonly loop: ObjectQueue<ApprovalRequest & KubernetesObject>;
  private readonly clock: Clock;

  constructor(private readonly o: ApprovalControllerOptions) {
    this.loop = new ObjectQueue({
      kc: o.kc,
      path: `/apis/${GROUP}/${VERSION}/${APPROVAL_PLURAL}`,
      list: () =>
        o.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: APPROVAL_PLURAL }) as never,
      what: 'approval',
      reconcile: (key) => this.reconcile(key),
      ...(o.clock ? { clock: o.clock } : {}),
      ...(o.log ? { log: o.log } : {}),
    });
    this.clock = this.loop.clock;
  }

  get informer(): ObjectQueue<ApprovalRequest & KubernetesObject>['informer'] {
    return this.loop.informer;
  }

  start(): Promise<void> {
    return this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private later(key: string, atMs: number): void {
    this.loop.later(key, atMs);
  }

  async reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    let apr: ApprovalRequest;
    try {
      apr = (await this.o.custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: APPROVAL_PLURAL,
        name,
      })) as ApprovalRequest;
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
        name: apr.spec.policy,
      })) as AgentAccessPolicy;
    } catch (e) {
      if (statusOf(e) !== 404) throw e;
    }
    const now = this.clock.now();
    const required = policy?.spec.approval?.requiredApprovals ?? 1;
    const phase = phaseOf(apr, required, now);
    const approvals = new Set((apr.spec.decisions ?? []).filter((d) => d.decision === 'Approved').map((d) => d.user))
      .size;
    const old = apr.status?.phase;
    // Under Reject nobody waits for the outcome: it is filed for review before the phase moves (a failure
    // retries the reconcile; a repeat is not counted twice: approval-deviations.ts).
    if (old !== phase && (phase === 'Expired' || phase === 'Denied') && policy?.spec.approval?.mode === 'Reject') {
      const d = approvalDeviation(apr, phase);
      if (d) await fileDeviations(this.o.custom, namespace, d.key, [d.grouped], this.o.log);
    }
    if (old !== phase || apr.status?.approvals !== approvals) {
      const decidedAt =
        phase === 'Approved' || phase === 'Denied'
          ? (apr.status?.decidedAt ?? new Date(now).toISOString())
          : apr.status?.decidedAt;
      const status = { ...apr.status, phase, approvals, ...(decidedAt ? { decidedAt } : {}) };
      // resourceVersion makes this conditional: a concurrent "Used" from the proxy is never overwritten.
      await this.o.custom.patchNamespacedCustomObjectStatus(
        {
          group: GROUP,
          version: VERSION,
          namespace,
          plural: APPROVAL_PLURAL,
          name,
          body: { metadata: { resourceVersion: apr.metadata.resourceVersion }, status },
        },
        mergePatch,
      );
      if (old !== phase) await this.event(apr, phase, required);
    }
    if (phase === 'Pending') return this.later(key, Date.parse(apr.spec.expiresAt));
    // Closed: keep it for the retention period, then delete.
    const closedAt = Date.parse(apr.status?.usedAt ?? apr.status?.decidedAt ?? apr.spec.expiresAt);
    const retention = (policy?.spec.approval?.retentionSeconds ?? 7 * 86_400) * 1000;
    if (now - closedAt >= retention) {
      await this.o.custom
        .deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: APPROVAL_PLURAL, name })
        .catch((e) => {
          if (statusOf(e) !== 404) throw e;
        });
      this.o.log?.('info', 'approval request garbage-collected', { key, phase });
    } else this.later(key, closedAt + retention);
  }

  private async event(apr: ApprovalRequest, phase: string, required: number): Promise<void> {
    const decisions = apr.spec.decisions ?? [];
    const message =
      phase === 'Pending'
        ? `${apr.spec.requester.subject} asks to run on ${apr.spec.target}: ${apr.spec.command.summary ?? apr.spec.command.text.slice(0, 100)} (rule ${apr.spec.rule}; ${required} approval(s) needed)`
        : phase === 'Expired'
          ? `expired undecided at ${apr.spec.expiresAt}`
          : phase === 'Used'
            ? 'the approved command was executed (one-shot grant used)'
            : `${phase.toLowerCase()} by ${decisions.map((d) => `${d.user}${d.comment ? ` (${d.comment})` : ''}`).join(', ')}`;
    await this.o.events
      .emit(
        apr as never,
        phase === 'Denied' || phase === 'Expired' ? 'Warning' : 'Normal',
        phase === 'Pending' ? 'Requested' : phase,
        message,
      )
      .catch(() => undefined);
  }
}
