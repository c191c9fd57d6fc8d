/**
 * The state of a review item, as a pure function of its decision, its first deviation, the policy's
 * spec.review.maxOpenHours and the clock: Acknowledged or Escalated once a reviewer decided, Exception
 * while still undecided past maxOpenHours, Open before. With the conditions that say the same.
 */
import type { Condition, DeviationReview, ReviewState } from './types.js';

export const DEFAULT_MAX_OPEN_HOURS = 72;

export interface ReviewStateResult {
  state: ReviewState;
  /** When an Open item becomes an Exception (ms). */
  exceptionAt?: number;
}

export function reviewState(dr: DeviationReview, maxOpenHours: number, now: number): ReviewStateResult {
  const decision = dr.spec.decision;
  if (decision) return { state: decision.state };
  const since = Date.parse(dr.status?.firstSeen ?? dr.metadata.creationTimestamp ?? '');
  if (Number.isNaN(since)) return { state: 'Open' };
  const due = since + maxOpenHours * 3_600_000;
  return now >= due ? { state: 'Exception' } : { state: 'Open', exceptionAt: due };
}

/** Reviewed and Exception conditions for a state; a condition keeps its lastTransitionTime while its status holds. */
export function reviewConditions(
  dr: DeviationReview,
  state: ReviewState,
  maxOpenHours: number,
  now: number,
): Condition[] {
  const generation = dr.metadata.generation;
  const d = dr.spec.decision;
  const wanted: Omit<Condition, 'lastTransitionTime'>[] = [
    d
      ? {
          type: 'Reviewed',
          status: 'True',
          reason: d.state,
          message: `${d.state.toLowerCase()} by ${d.reviewedBy ?? 'unknown'} at ${d.reviewedAt ?? 'unknown'}${d.ticket ? ` (ticket ${d.ticket})` : ''}`,
        }
      : { type: 'Reviewed', status: 'False', reason: 'AwaitingReview', message: 'no reviewer has decided yet' },
    state === 'Exception'
      ? {
          type: 'Exception',
          status: 'True',
          reason: 'Overdue',
          message: `undecided for more than ${maxOpenHours} hour(s) (spec.review.maxOpenHours) since the first deviation`,
        }
      : {
          type: 'Exception',
          status: 'False',
          reason: d ? 'Reviewed' : 'WithinMaxOpenHours',
          message: d ? 'reviewed' : `open for less than ${maxOpenHours} hour(s)`,
        },
  ];
  const old = dr.status?.conditions ?? [];
  return wanted.map((c) => {
    const before = old.find((o) => o.type === c.type);
    const lastTransitionTime =
      before && before.status === c.status && before.lastTransitionTime
        ? before.lastTransitionTime
        : new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return { ...c, ...(generation !== undefined ? { observedGeneration: generation } : {}), lastTransitionTime };
  });
}
