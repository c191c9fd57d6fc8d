/** The ApprovalRequest object as the proxy, the webhook and the operator read it. */
export interface ApprovalDecision {
  user: string;
  groups?: string[];
  decision: 'Approved' | 'Denied';
  comment?: string;
  time: string;
}

export interface ApprovalRequest {
  apiVersion: 'agentgate.dev/v1alpha1';
  kind: 'ApprovalRequest';
  metadata: {
    name?: string;
    generateName?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: {
    policy: string;
    rule: string;
    requester: {
      subject: string;
      issuer?: string;
      serviceAccount?: string;
      pod?: string;
      podUid?: string;
      runId?: string;
      triggeredBy?: string;
      triggeredByIssuer?: string;
      triggeredByEmail?: string;
      triggeredByGroups?: string[];
      triggeredByUsernames?: string[];
    };
    target: string;
    command: { text: string; summary?: string; sha256: string; effects?: string[]; tables?: string[] };
    reason?: string;
    expiresAt: string;
    decision?: 'Approved' | 'Denied';
    comment?: string;
    decisions?: ApprovalDecision[];
  };
  status?: { phase?: ApprovalPhase; decidedAt?: string; usedAt?: string; approvals?: number };
}

export type ApprovalPhase = 'Pending' | 'Approved' | 'Denied' | 'Expired' | 'Used';

/** The run id a request is for when the agent holds no run token. */
export const NO_RUN = 'none';

/**
 * What a proxy sends to the operator's POST /approvals: the held statement as approvers see it and
 * who asked, as the proxy verified it. The operator adds everything that names the pod and the policy.
 */
export interface ApprovalAsk {
  rule: string;
  target: string;
  command: ApprovalRequest['spec']['command'];
  requester: {
    subject: string;
    issuer?: string;
    runId: string;
    triggeredBy?: string;
    triggeredByIssuer?: string;
    triggeredByEmail?: string;
    triggeredByGroups?: string[];
  };
  reason?: string;
}

/** The phase the decisions and the clock imply (Used is recorded by the proxy, never derived). */
export function phaseOf(apr: ApprovalRequest, requiredApprovals: number, now: number): ApprovalPhase {
  if (apr.status?.phase === 'Used') return 'Used';
  const decisions = apr.spec.decisions ?? [];
  if (decisions.some((d) => d.decision === 'Denied')) return 'Denied';
  if (new Set(decisions.filter((d) => d.decision === 'Approved').map((d) => d.user)).size >= requiredApprovals)
    return 'Approved';
  if (Date.parse(apr.spec.expiresAt) <= now) return 'Expired';
  return 'Pending';
}
