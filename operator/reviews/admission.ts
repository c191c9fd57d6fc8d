/**
 * Admission for DeviationReview objects, as pure functions (the ApprovalRequest pattern). Only the
 * operator creates items and writes their status. A reviewer sets spec.decision (state, comment or
 * ticket); this stamps reviewedBy, reviewedGroups and reviewedAt from the API server's userInfo
 * (whatever the request said) and refuses: the agent's own service account, anyone who triggered a run
 * among the item's deviations (no self-review), anyone outside the policy's spec.review.reviewers, a
 * second or changed decision (decisions are final), and any other change to the spec.
 */
import { isDeepStrictEqual } from 'node:util';
import type { UserInfo } from '../approvals/admission.js';
import { TOO_MANY_TRIGGERERS } from './grouping.js';
import { REVIEW_POLICY_LABEL, type DeviationReview } from './types.js';

export type ReviewAdmission = { allowed: false; message: string } | { allowed: true; mutated?: DeviationReview };

export interface ReviewersSpec {
  users?: string[];
  groups?: string[];
}

export function admitReviewCreate(
  obj: DeviationReview,
  user: UserInfo,
  operatorUser: string | undefined,
): ReviewAdmission {
  if (operatorUser === undefined || user.username !== operatorUser) {
    return {
      allowed: false,
      message: `DeviationReviews are created by the agentgate operator only (from what a proxy reports with its own pod token), not by ${user.username ?? 'an anonymous user'}`,
    };
  }
  if (obj.spec.decision !== undefined)
    return { allowed: false, message: 'a DeviationReview cannot be created with a decision' };
  return { allowed: true };
}

export function admitReviewStatus(user: UserInfo, operatorUser: string | undefined): ReviewAdmission {
  if (operatorUser !== undefined && user.username === operatorUser) return { allowed: true };
  return {
    allowed: false,
    message: `the status of a DeviationReview (its count, deviations and state) is written by the agentgate operator only, not by ${user.username ?? 'an anonymous user'}; reviewers set spec.decision`,
  };
}

/**
 * `reviewers` is the policy's spec.review.reviewers (undefined: the policy or its review section is
 * missing, and nobody can decide). `now` is stamped as reviewedAt.
 */
export function admitReviewUpdate(
  oldObj: DeviationReview,
  newObj: DeviationReview,
  user: UserInfo,
  reviewers: ReviewersSpec | undefined,
  now: number,
): ReviewAdmission {
  const { decision, ...rest } = newObj.spec;
  const { decision: oldDecision, ...oldRest } = oldObj.spec;
  if (!isDeepStrictEqual(rest, oldRest))
    return {
      allowed: false,
      message: 'only spec.decision may be set on a DeviationReview; what it reviews cannot be changed',
    };
  // Reports select items by this label: nobody may move an item out of its policy's view.
  if (newObj.metadata.labels?.[REVIEW_POLICY_LABEL] !== oldObj.metadata.labels?.[REVIEW_POLICY_LABEL])
    return {
      allowed: false,
      message: `the ${REVIEW_POLICY_LABEL} label of a DeviationReview cannot be changed or removed`,
    };
  if (oldDecision !== undefined) {
    if (isDeepStrictEqual(decision, oldDecision)) return { allowed: true };
    return {
      allowed: false,
      message: `this item was already ${oldDecision.state} by ${oldDecision.reviewedBy ?? 'someone'} at ${oldDecision.reviewedAt ?? 'an unknown time'}; a review decision is final`,
    };
  }
  if (decision === undefined) return { allowed: true };
  if (decision.state !== 'Acknowledged' && decision.state !== 'Escalated')
    return { allowed: false, message: 'spec.decision.state must be Acknowledged or Escalated' };
  if (decision.state === 'Escalated' && !decision.comment && !decision.ticket)
    return {
      allowed: false,
      message: 'an escalation needs a comment or a ticket (spec.decision.comment / spec.decision.ticket)',
    };
  const name = user.username ?? '';
  const groups = user.groups ?? [];
  const namespace = newObj.metadata.namespace ?? oldObj.metadata.namespace ?? '';
  if (name === `system:serviceaccount:${namespace}:${oldObj.spec.agent.serviceAccount}`) {
    return {
      allowed: false,
      message: `${name} is the agent whose deviations these are and cannot review them: no self-review`,
    };
  }
  const triggerers = oldObj.status?.triggeredByUsernames ?? [];
  if (triggerers.includes(TOO_MANY_TRIGGERERS))
    return {
      allowed: false,
      message:
        "too many people triggered runs among this item's deviations to rule out self-review; an administrator must review it outside agentgate",
    };
  if (triggered(name, triggerers))
    return {
      allowed: false,
      message: `${name} triggered a run among these deviations and cannot review them: no self-review`,
    };
  if (!reviewers)
    return {
      allowed: false,
      message: `policy ${oldObj.spec.policyRef.name} names no reviewers (spec.review.reviewers), so nobody can review its deviations`,
    };
  if (!(reviewers.users ?? []).includes(name) && !(reviewers.groups ?? []).some((g) => groups.includes(g))) {
    return {
      allowed: false,
      message: `${name} is not a reviewer for policy ${oldObj.spec.policyRef.name} (spec.review.reviewers)`,
    };
  }
  const mutated = structuredClone(newObj);
  mutated.spec.decision = {
    state: decision.state,
    ...(decision.comment ? { comment: decision.comment } : {}),
    ...(decision.ticket ? { ticket: decision.ticket } : {}),
    reviewedBy: name,
    ...(groups.length ? { reviewedGroups: groups } : {}),
    // To the millisecond, as the audit records' times: cut to the second, a deviation earlier in the same
    // second as the review read as one after it (open, never seen by the reviewer).
    reviewedAt: new Date(now).toISOString().replace('.000Z', 'Z'),
  };
  return { allowed: true, mutated };
}

/**
 * Is `username` one of the triggering people? Exact names, and, failing closed as for approvals
 * (trigger-username.ts), any name equal to a remembered sub or email or ending in `#<it>` or `:<it>`,
 * case-insensitively.
 */
function triggered(username: string, names: string[]): boolean {
  const u = username.toLowerCase();
  return names.some((n) => {
    const v = n.toLowerCase();
    return u === v || u.endsWith(`#${v}`) || u.endsWith(`:${v}`);
  });
}
