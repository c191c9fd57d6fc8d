/**
 * ApprovalRequests on the API server, for one policy: created by the operator when the proxy asks
 * (POST /approvals, with the proxy's own token; the pod's service account cannot create them), followed
 * through a feed (the operator's long poll, or a watch; cluster/object-feed.ts) so a held statement is released or refused as soon as the operator records the decision. A request
 * releases a statement only if it verifies (verify-grant.ts); a one-shot grant is recorded Used by
 * the operator before its statement runs, asked with the proxy's own token (the pod's service account
 * cannot write status), and is not honoured after its use-by time.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { FeedFactory, ObjectFeed } from '../cluster/object-feed.js';
import { type ApprovalAsk, type ApprovalPhase, type ApprovalRequest } from '../../shared/contract/approval-request.js';

export type { ApprovalPhase };
import type { ApprovalBroker } from './broker.js';
import { approvedAt, grantRefusal, oneShotUseWithinSeconds, type GrantContext } from './verify-grant.js';
import { postToOperator, type OperatorEndpoint } from './operator-client.js';

type Obj = ApprovalRequest & KubernetesObject;

export class KubeApprovals implements ApprovalBroker {
  private readonly informer: ObjectFeed<Obj>;
  private readonly waiters = new Map<string, ((a: Obj) => void)[]>();
  /** Grants used by this proxy, before the watch shows it: a grant never runs twice. */
  private readonly used = new Set<string>();
  private podUid: string | undefined;

  constructor(
    private readonly o: {
      /** Where the requests are read: the operator's feeds (this pod's only), or the API server (the policy's). */
      feeds: FeedFactory;
      namespace: string;
      policy: string;
      now?: () => number;
      /** Where requests are asked for and used grants recorded (without it no request can be made). */ operator?: OperatorEndpoint;
      /** This proxy's pod uid (POD_UID); else learnt from the operator's first answer. */ podUid?: string;
      log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
    },
  ) {
    this.podUid = o.podUid;
    this.informer = o.feeds<Obj>('approvals', { namespace: o.namespace, policy: o.policy, relistMs: 60_000 });
    const changed = (a: Obj): void => {
      const phase = a.status?.phase;
      if (!phase || phase === 'Pending') return;
      const w = this.waiters.get(a.metadata!.name!);
      this.waiters.delete(a.metadata!.name!);
      w?.forEach((f) => f(a));
    };
    this.informer.on('add', changed);
    this.informer.on('update', changed);
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }

  /** A grant binds the pod: while this proxy does not know its pod uid, no request is its own. */
  private bound(grant: GrantContext): GrantContext {
    return { ...grant, podUid: this.podUid ?? '' };
  }

  findGrant(unbound: GrantContext, ttlSeconds: number): ApprovalRequest | undefined {
    const grant = this.bound(unbound);
    const now = this.o.now?.() ?? Date.now();
    return this.informer.list().find((a) => {
      if (grantRefusal(a, grant) !== undefined) return false;
      if (ttlSeconds > 0) return approvedAt(a, grant) + ttlSeconds * 1000 > now;
      return (
        approvedAt(a, grant) + oneShotUseWithinSeconds(grant.approval) * 1000 > now && !this.used.has(a.metadata!.name!)
      );
    });
  }

  async request(ask: ApprovalAsk): Promise<{ namespace: string; name: string }> {
    if (!this.o.operator) throw new Error('no operator endpoint: approval requests are created by the operator');
    const r = (await postToOperator(this.o.operator, '/approvals', ask)) as {
      namespace?: unknown;
      name?: unknown;
      podUid?: unknown;
    };
    if (typeof r.name !== 'string' || typeof r.namespace !== 'string')
      throw new Error("the operator answered without the request's name");
    if (typeof r.podUid === 'string') this.podUid ??= r.podUid;
    return { namespace: r.namespace, name: r.name };
  }

  waitFor(
    name: string,
    timeoutMs: number,
    unbound: GrantContext,
  ): Promise<{ phase: ApprovalPhase | 'Timeout' | 'Unverified'; request?: ApprovalRequest; reason?: string }> {
    const grant = this.bound(unbound);
    const decided = (
      a: ApprovalRequest,
    ): { phase: ApprovalPhase | 'Unverified'; request: ApprovalRequest; reason?: string } => {
      const refusal = a.status!.phase === 'Approved' ? grantRefusal(a, grant) : undefined;
      return refusal ? { phase: 'Unverified', request: a, reason: refusal } : { phase: a.status!.phase!, request: a };
    };
    const known = this.informer.list().find((a) => a.metadata?.name === name);
    if (known?.status?.phase && known.status.phase !== 'Pending') return Promise.resolve(decided(known));
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ phase: 'Timeout' }), timeoutMs);
      const list = this.waiters.get(name) ?? [];
      list.push((a) => {
        clearTimeout(timer);
        resolve(decided(a));
      });
      this.waiters.set(name, list);
    });
  }

  claim(name: string): boolean {
    if (this.used.has(name)) return false;
    this.used.add(name);
    return true;
  }

  async markUsed(name: string): Promise<void> {
    this.used.add(name);
    try {
      if (!this.o.operator) throw new Error('no operator endpoint to record the use with');
      await postToOperator(this.o.operator, '/approvals/used', { name });
    } catch (e) {
      // Not recorded, so not run: the claim is released for a later attempt. If the operator did record
      // it (an answer lost), it now refuses a second use (409), and the watch shows it Used.
      this.used.delete(name);
      this.o.log?.('warn', 'the operator did not record a one-shot grant as used; the statement was not run', {
        name,
        error: (e as Error).message,
      });
      throw e;
    }
  }
}
