/**
 * What a sidecar reports to the operator for one deviation (POST /deviations): proxy/audit/deviation-of.ts
 * derives it from the chained audit record, operator/reviews/ files it into a DeviationReview. Nothing
 * here names the agent, its namespace or its policy: the operator takes those from the authenticated pod.
 */
export const DEVIATION_KINDS = [
  'Denial',
  'IdentityRefused',
  'ApprovalExpired',
  'ApprovalDenied',
  'CapExceeded',
  'AuditFailure',
] as const;
export type DeviationKind = (typeof DEVIATION_KINDS)[number];

export interface DeviationReport {
  /** The hash of the record in the proxy's chain (absent only when the audit log itself could not be written). */
  auditHash?: string;
  time: string;
  kind: DeviationKind;
  rule: string;
  statement?: string;
  reason?: string;
  session?: string;
  /** The person who triggered the run (from the run token the proxy verified). */
  triggeredBy?: { iss: string; sub: string; email?: string };
}
