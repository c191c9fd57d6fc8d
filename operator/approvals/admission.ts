/**
 * Admission for ApprovalRequest updates, as a pure function. Approvers only ever set spec.decision
 * (and a comment); this moves it into spec.decisions stamped with the API server's userInfo, and
 * refuses: self-approval (the requesting agent, or the person who triggered the run under any Kubernetes
 * username they may have: trigger-username.ts), users who are not
 * approvers, any other change after creation, a decision on a request that is already decided or
 * expired, and a second decision by the same user.
 */
import { isDeepStrictEqual } from 'node:util';
import type { ApprovalSpec } from '../../shared/contract/policy-types.js';
import { isTriggerer } from '../../shared/identity/trigger-username.js';
import { phaseOf, type ApprovalRequest } from '../../shared/contract/approval-request.js';

export interface UserInfo {
  username?: string;
  groups?: string[];
}

export type Admission = { allowed: false; message: string } | { allowed: true; mutated?: ApprovalRequest };

export function admitApprovalUpdate(
  oldObj: ApprovalRequest,
  newObj: ApprovalRequest,
  user: UserInfo,
  approval: ApprovalSpec | undefined,
  now: number,
): Admission {
  const { decision, comment, decisions: newDecisions, ...rest } = newObj.spec;
  const { decision: _d, comment: _c, decisions: oldDecisions, ...oldRest } = oldObj.spec;
  if (!isDeepStrictEqual(rest, oldRest))
    return {
      allowed: false,
      message: 'only spec.decision and spec.comment may be set after creation; the request itself cannot be changed',
    };
  if (!isDeepStrictEqual(newDecisions ?? [], oldDecisions ?? []))
    return {
      allowed: false,
      message: 'spec.decisions is written by agentgate from who made each decision; set spec.decision instead',
    };
  if (decision === undefined) {
    if (comment !== undefined && comment !== oldObj.spec.comment)
      return { allowed: false, message: 'a comment goes with a decision: set spec.decision too' };
    return { allowed: true };
  }
  const required = approval?.requiredApprovals ?? 1;
  const phase = phaseOf(oldObj, required, now);
  if (phase !== 'Pending')
    return { allowed: false, message: `this request is already ${phase}; a decision cannot be changed or added` };
  const name = user.username ?? '';
  const groups = user.groups ?? [];
  const r = oldObj.spec.requester;
  const triggerer =
    r.triggeredBy !== undefined &&
    isTriggerer(name, {
      sub: r.triggeredBy,
      ...(r.triggeredByEmail ? { email: r.triggeredByEmail } : {}),
      usernames: r.triggeredByUsernames ?? [],
    });
  if (
    name === r.subject ||
    (r.serviceAccount && name === `system:serviceaccount:${r.serviceAccount.replace('/', ':')}`) ||
    triggerer
  ) {
    return {
      allowed: false,
      message: `${name} requested this (or triggered the run that did) and cannot decide on it: no self-approval`,
    };
  }
  const approvers = approval?.approvers ?? {};
  if (!(approvers.users ?? []).includes(name) && !(approvers.groups ?? []).some((g) => groups.includes(g))) {
    return {
      allowed: false,
      message: `${name} is not an approver for policy ${oldObj.spec.policy} (approval.approvers)`,
    };
  }
  if ((oldDecisions ?? []).some((d) => d.user === name)) {
    return {
      allowed: false,
      message: `${name} has already decided on this request; ${required} distinct approvers are needed`,
    };
  }
  const mutated: ApprovalRequest = structuredClone(newObj);
  delete mutated.spec.decision;
  delete mutated.spec.comment;
  mutated.spec.decisions = [
    ...(oldDecisions ?? []),
    {
      user: name,
      ...(groups.length ? { groups } : {}),
      decision,
      ...(comment ? { comment } : {}),
      time: new Date(now).toISOString(),
    },
  ];
  return { allowed: true, mutated };
}

/**
 * On create: only the operator creates requests (POST /approvals, from the authenticated proxy pod);
 * anyone else — the agent's service account included — could show approvers one statement while
 * carrying another's hash, or name a policy with easier approvers. Nothing may arrive pre-decided.
 */
export function admitApprovalCreate(obj: ApprovalRequest, user: UserInfo, operatorUser: string | undefined): Admission {
  if (operatorUser === undefined || user.username !== operatorUser) {
    return {
      allowed: false,
      message: `ApprovalRequests are created by the agentgate operator only (a proxy asks it with its own pod token), not by ${user.username ?? 'an anonymous user'}`,
    };
  }
  if (obj.spec.decision !== undefined || (obj.spec.decisions ?? []).length)
    return { allowed: false, message: 'an ApprovalRequest cannot be created with a decision' };
  return { allowed: true };
}

/**
 * Status (the phase, Used) is the operator's alone: the proxy's service account is shared with the
 * agent, so anything it could write there the agent could too. `operatorUser` is the operator's own
 * username, as the API server authenticates it (from a SelfSubjectReview at start).
 */
export function admitApprovalStatus(user: UserInfo, operatorUser: string | undefined): Admission {
  if (operatorUser !== undefined && user.username === operatorUser) return { allowed: true };
  return {
    allowed: false,
    message: `the status of an ApprovalRequest is written by the agentgate operator only, not by ${user.username ?? 'an anonymous user'}; approvers set spec.decision`,
  };
}
