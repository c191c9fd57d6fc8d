/** The DeviationReview object (crds/deviationreview.yaml) and what a proxy reports to the operator. */
export const REVIEW_PLURAL = 'deviationreviews';
export const REVIEW_POLICY_LABEL = 'agentgate.dev/policy';
/** Deviations kept in an item's status (count says how many there were in all). */
export const MAX_KEPT_DEVIATIONS = 100;
/** Distinct triggering people remembered per item; past it no decision is admitted (self-review cannot be ruled out). */
export const MAX_TRIGGERERS = 256;

import type { DeviationKind } from '../../shared/contract/deviation-report.js';
export { DEVIATION_KINDS, type DeviationKind, type DeviationReport } from '../../shared/contract/deviation-report.js';

export type ReviewState = 'Open' | 'Acknowledged' | 'Escalated' | 'Exception';

export interface ReviewDecision {
  state: 'Acknowledged' | 'Escalated';
  comment?: string;
  ticket?: string;
  reviewedBy?: string;
  reviewedGroups?: string[];
  reviewedAt?: string;
}

/** One deviation as an item's status lists it. */
export interface DeviationEntry {
  time: string;
  auditHash?: string;
  session?: string;
  pod?: string;
  statement?: string;
  reason?: string;
  triggeredBy?: string;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export interface DeviationReviewStatus {
  observedGeneration?: number;
  state?: ReviewState;
  count?: number;
  firstSeen?: string;
  lastSeen?: string;
  deviations?: DeviationEntry[];
  /**
   * Every Kubernetes username the people who triggered runs among this item's deviations may have
   * (not only the last 100): none of them may review it. An addition to the agreed shape.
   */
  triggeredByUsernames?: string[];
  conditions?: Condition[];
}

export interface DeviationReview {
  apiVersion: 'agentgate.dev/v1alpha1';
  kind: 'DeviationReview';
  metadata: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    labels?: Record<string, string>;
  };
  spec: {
    policyRef: { name: string };
    agent: { serviceAccount: string };
    kind: DeviationKind;
    rule: string;
    day: string;
    decision?: ReviewDecision;
  };
  status?: DeviationReviewStatus;
}
