/**
 * What the proxy checks before an approval releases a statement. It does not take `status.phase` on
 * trust: the request must be for exactly the statement held (hash and the masked text the approver
 * saw), on this target and policy, by this requester in this run from this pod, and its decisions — stamped by the admission
 * webhook from the API server's userInfo — must hold enough distinct approvals from approvers this
 * proxy's policy names, none from the requester (the agent, its service account, the person who
 * triggered the run under any Kubernetes username they may have: trigger-username.ts), and no denial.
 */
import type { ApprovalDecision, ApprovalRequest } from '../../shared/contract/approval-request.js';
import type { Principal } from '../identity/verify.js';
import type { ApprovalSpec, TriggerIssuerSpec } from '../../shared/contract/policy-types.js';
import { isTriggerer, kubernetesUsernamesOf } from '../../shared/identity/trigger-username.js';

export interface GrantContext {
  /** SHA-256 of the statement text as sent. */
  sha256: string;
  /** The statement as the request shows it to approvers (masked). */
  commandText: string;
  target: string;
  policy: string;
  principal: Principal;
  /** The run the statement belongs to (the run token's id, or NO_RUN). */
  runId: string;
  /** This proxy's pod uid, when it knows it: a grant asked for by another pod is not this one's. */
  podUid?: string;
  /** The proxy's own policy's approval settings (approvers, requiredApprovals). */
  approval: ApprovalSpec | undefined;
  /** The proxy's own policy's trigger issuers (how the API server names the person who triggered a run). */
  triggerIssuers?: TriggerIssuerSpec[];
}

/** How long after its approval a one-shot grant (ttlSeconds 0) is honoured. */
export function oneShotUseWithinSeconds(approval: ApprovalSpec | undefined): number {
  return approval?.grant?.useWithinSeconds ?? approval?.timeoutSeconds ?? 300;
}

/** Why this request does not release the statement, or undefined when it does. */
export function grantRefusal(apr: ApprovalRequest, g: GrantContext): string | undefined {
  const s = apr.spec;
  if (s.command.sha256 !== g.sha256 || s.command.text !== g.commandText) return 'it is for another statement';
  if (s.target !== g.target || s.policy !== g.policy) return 'it is for another target or policy';
  if (s.requester.subject !== g.principal.sub) return 'it was requested by someone else';
  if (s.requester.runId !== g.runId) return 'it was requested in another run';
  if (g.podUid !== undefined && s.requester.podUid !== g.podUid) return 'it was requested from another pod';
  if (apr.status?.phase !== 'Approved') return `it is ${apr.status?.phase ?? 'Pending'}`;
  const decisions = s.decisions ?? [];
  const denied = decisions.find((d) => d.decision === 'Denied');
  if (denied) return `${denied.user} denied it`;
  const approvals = countedApprovals(apr, g);
  const required = g.approval?.requiredApprovals ?? 1;
  if (approvals.length < required)
    return `it has ${approvals.length} approval(s) from approvers of policy ${g.policy}; ${required} needed`;
  return undefined;
}

/** When the approval was complete (the required-th distinct approver's decision), for time-limited grants. */
export function approvedAt(apr: ApprovalRequest, g: GrantContext): number {
  const approvals = countedApprovals(apr, g);
  const required = g.approval?.requiredApprovals ?? 1;
  return Date.parse(approvals[Math.max(0, required - 1)]?.time ?? '');
}

/** Approving decisions that count, one per user, in time order. */
function countedApprovals(apr: ApprovalRequest, g: GrantContext): ApprovalDecision[] {
  const users = new Set(g.approval?.approvers?.users ?? []);
  const groups = new Set(g.approval?.approvers?.groups ?? []);
  const self = requesterNames(apr, g.principal);
  const triggerers = triggererNames(apr, g);
  const seen = new Set<string>();
  return (apr.spec.decisions ?? [])
    .filter(
      (d) =>
        d.decision === 'Approved' &&
        !self.has(d.user) &&
        !triggerers.some((t) => isTriggerer(d.user, t)) &&
        (users.has(d.user) || (d.groups ?? []).some((x) => groups.has(x))),
    )
    .sort((a, b) => Date.parse(a.time) - Date.parse(b.time))
    .filter((d) => !seen.has(d.user) && seen.add(d.user));
}

/** The person who triggered the run, from the session's run token and this policy, and as the request records them. */
function triggererNames(
  apr: ApprovalRequest,
  g: GrantContext,
): { sub?: string; email?: string; usernames?: string[] }[] {
  const r = apr.spec.requester;
  const t = g.principal.triggeredBy;
  return [
    ...(t
      ? [{ sub: t.sub, ...(t.email ? { email: t.email } : {}), usernames: kubernetesUsernamesOf(t, g.triggerIssuers) }]
      : []),
    {
      ...(r.triggeredBy ? { sub: r.triggeredBy } : {}),
      ...(r.triggeredByEmail ? { email: r.triggeredByEmail } : {}),
      usernames: r.triggeredByUsernames ?? [],
    },
  ];
}

/** Everyone who is the requester, from the session itself and from what the request says. */
function requesterNames(apr: ApprovalRequest, p: Principal): Set<string> {
  const r = apr.spec.requester;
  const names = [p.sub, r.subject, p.triggeredBy?.sub, r.triggeredBy];
  if (p.kubernetes) names.push(`system:serviceaccount:${p.kubernetes.namespace}:${p.kubernetes.serviceAccount}`);
  if (r.serviceAccount) names.push(`system:serviceaccount:${r.serviceAccount.replace('/', ':')}`);
  return new Set(names.filter((n): n is string => !!n));
}
