/**
 * The one approval flow, for every protocol: a matching grant lets the operation through; otherwise an
 * ApprovalRequest is created and the operation is held until it is decided (mode Hold) or refused
 * naming the request (mode Reject); after the wait the policy in force decides again; a one-shot grant
 * runs once, recorded Used first. The adapter supplies what the approval is bound to (ApprovalBinding);
 * the flow answers with an outcome the gate records and words (approvals.ts).
 */
import type { ApprovalBroker, GrantContext } from '../approvals/broker.js';
import type { AuditFields } from '../audit/record.js';
import type { Principal } from '../identity/verify.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import { NO_RUN } from '../../shared/contract/approval-request.js';
import type { Decision } from './verdict.js';

/** What an approval is bound to and what approvers read: supplied by the protocol adapter. */
export interface ApprovalBinding {
  /** The hash a grant must match (SQL: of the statement text; HTTP: method + path + canonical body; MCP: the call). */
  sha256: string;
  /** What approvers read, masked. */
  text: string;
  /** One line for lists, masked. */
  summary: string;
  /** What it does, in the protocol's terms (SQL effects; read or write for a request). */
  effects: string[];
  tables?: string[];
  /** The audit's query text of the approval.requested record, masked. */
  line: string;
}

export interface ApprovalCase {
  broker: ApprovalBroker;
  rt: PolicyRuntime;
  /** The decision that requires the approval. */
  d: Decision;
  principal: Principal;
  target: string;
  binding: ApprovalBinding;
  /** The agent's stated reason, shown to approvers. */
  reason?: string;
  /** Appends an audit record of this session (approval.requested, .decided, .grant-used). */
  audit(fields: AuditFields): void;
  /** True once the agent is gone or the answer no longer wanted (the flow then ends without one, its grant unspent). */
  closed?(): boolean;
  /**
   * After the wait: whether the request, decided again as a whole under the policy in force (every
   * operation and the request's guards), still goes to this approval and nothing else blocks it.
   */
  stillHeld(): boolean;
  /** Called once the operation is held, waiting on `approval` (namespace/name). */
  onHold?(approval: string): void;
  /** Aborted when the client cancels the held operation: the hold ends unanswered, its grant unspent. */
  cancelled?: AbortSignal;
}

export type ApprovalResult =
  /** Run under this grant: `used` records whether the request, decided again, runs under it. */
  | { kind: 'granted'; namespace: string; name: string; used: (forwarded: boolean) => void }
  /** A one-shot grant another operation already ran. */
  | { kind: 'already-used'; namespace: string; name: string }
  /** A one-shot grant whose use could not be recorded: not run. */
  | { kind: 'use-unrecorded'; namespace: string; name: string; error: string }
  /** The ApprovalRequest could not be created. */
  | { kind: 'not-requested'; error: string }
  /** Mode Reject: the request is filed and pending. */
  | { kind: 'pending'; namespace: string; name: string }
  /** After the wait, the policy in force blocks the request otherwise than by this approval. */
  | { kind: 'redecided' }
  /** Rejected, expired, not decided in time or not honoured: `what` says which. */
  | { kind: 'not-approved'; namespace: string; name: string; what: string }
  /** The client cancelled the operation while it was held (the grant, if any, is unspent). */
  | { kind: 'cancelled'; namespace: string; name: string; spent?: true }
  /** The agent went away meanwhile. */
  | undefined;

export async function awaitApproval(a: ApprovalCase): Promise<ApprovalResult> {
  const { broker, rt, d, principal: p, binding: b } = a;
  const approval = rt.policy.spec.approval;
  const ttl = approval?.grant?.ttlSeconds ?? 0;
  const runId = p.runId ?? NO_RUN;
  const triggerIssuers = rt.policy.spec.identity.triggerIssuers;
  const grantFor: GrantContext = {
    sha256: b.sha256,
    commandText: b.text,
    target: a.target,
    policy: rt.policy.metadata.name,
    principal: p,
    runId,
    approval,
    ...(triggerIssuers ? { triggerIssuers } : {}),
  };

  // A one-shot grant runs only once the operator has recorded it Used (a restart cannot run it again).
  const runUnder = async (namespace: string, name: string): Promise<ApprovalResult> => {
    // An agent that went away (or a request no longer wanted) leaves the grant for its retry.
    if (a.closed?.()) return undefined;
    if (a.cancelled?.aborted) return { kind: 'cancelled', namespace, name };
    if (ttl === 0) {
      if (!broker.claim(name)) return { kind: 'already-used', namespace, name };
      try {
        await broker.markUsed(name);
      } catch (e) {
        return { kind: 'use-unrecorded', namespace, name, error: (e as Error).message };
      }
      // Spent now: if it will not run, the record says so (the operator's Used has an explanation).
      const gone = a.closed?.() ? 'agent gone' : a.cancelled?.aborted ? 'cancelled by the client' : undefined;
      if (gone) {
        a.audit(spent(namespace, name, gone));
        return gone === 'agent gone' ? undefined : { kind: 'cancelled', namespace, name, spent: true };
      }
    }
    return {
      kind: 'granted',
      namespace,
      name,
      // Recorded once the request, decided again, is known to run (or not) under it.
      used: (forwarded) => {
        if (forwarded)
          a.audit({
            event: { action: 'approval.grant-used', outcome: 'success' },
            rule: { name: d.rule },
            message: `executed under ApprovalRequest ${namespace}/${name}`,
            detail: { approvalRequest: name, sha256: b.sha256 },
          });
        else if (ttl === 0) a.audit(spent(namespace, name, 'refused under the policy in force'));
      },
    };
  };
  const spent = (namespace: string, name: string, why: string): AuditFields => ({
    event: { action: 'approval.grant-spent', outcome: 'failure' },
    rule: { name: d.rule },
    message: `one-shot grant ApprovalRequest ${namespace}/${name} spent, not executed: ${why}`,
    detail: { approvalRequest: name, sha256: b.sha256 },
  });

  const grant = broker.findGrant(grantFor, ttl);
  if (grant) return runUnder(grant.metadata.namespace ?? '', grant.metadata.name!);

  let ref: { namespace: string; name: string };
  try {
    // The operator names the pod, its service account and policy, and the expiry (from that policy).
    ref = await broker.request({
      rule: d.rule,
      requester: {
        subject: p.sub,
        issuer: p.iss,
        runId,
        ...(p.triggeredBy
          ? {
              triggeredBy: p.triggeredBy.sub,
              triggeredByIssuer: p.triggeredBy.iss,
              ...(p.triggeredBy.email ? { triggeredByEmail: p.triggeredBy.email } : {}),
              ...(p.triggeredBy.groups?.length ? { triggeredByGroups: p.triggeredBy.groups } : {}),
            }
          : {}),
      },
      target: a.target,
      command: {
        text: b.text,
        summary: b.summary,
        sha256: b.sha256,
        effects: b.effects,
        ...(b.tables ? { tables: b.tables } : {}),
      },
      ...(a.reason ? { reason: a.reason } : {}),
    });
  } catch (e) {
    return { kind: 'not-requested', error: (e as Error).message };
  }
  a.audit({
    event: { action: 'approval.requested' },
    rule: { name: d.rule },
    db: { query: { text: b.line } },
    detail: { approvalRequest: `${ref.namespace}/${ref.name}`, sha256: b.sha256, mode: approval?.mode ?? 'Hold' },
  });
  if (approval?.mode === 'Reject') return { kind: 'pending', ...ref };
  if (a.cancelled?.aborted) return { kind: 'cancelled', ...ref };
  a.onHold?.(`${ref.namespace}/${ref.name}`);
  const decided = await untilCancelled(
    broker.waitFor(ref.name, (approval?.timeoutSeconds ?? 300) * 1000 + 3000, grantFor),
    a.cancelled,
  );
  // Cancelled by the client: the hold ends now, unanswered; a later approval finds no one to run.
  if (decided === CANCELLED) return { kind: 'cancelled', ...ref };
  const { phase, request, reason } = decided;
  // Evidence: who decided, when, and why (as the admission webhook stamped it).
  a.audit({
    event: { action: 'approval.decided', outcome: phase === 'Approved' ? 'success' : 'failure' },
    rule: { name: d.rule },
    message: phase,
    detail: { approvalRequest: `${ref.namespace}/${ref.name}`, decisions: request?.spec.decisions ?? [] },
  });
  if (a.closed?.()) return undefined;
  // The policy may have changed, or become unavailable, while the operation was held.
  if (!a.stillHeld()) return { kind: 'redecided' };
  // Retries wait on the same request: a one-shot grant runs one of them only.
  if (phase === 'Approved') return runUnder(ref.namespace, ref.name);
  return {
    kind: 'not-approved',
    ...ref,
    what:
      phase === 'Timeout'
        ? 'not decided in time'
        : phase === 'Unverified'
          ? `not honoured (${reason})`
          : phase.toLowerCase(),
  };
}

const CANCELLED = Symbol('cancelled');

/** `p`, or CANCELLED as soon as `signal` is aborted. */
function untilCancelled<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T | typeof CANCELLED> {
  if (!signal) return p;
  if (signal.aborted) return Promise.resolve(CANCELLED);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(CANCELLED);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
