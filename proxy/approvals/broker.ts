/** What the data path needs from the approval system (implemented on Kubernetes by kube-approvals.ts). */
import type { ApprovalPhase, ApprovalRequest } from '../../operator/approvals/types.js';

export interface ApprovalBroker {
  /** An approved, unused (or still valid) grant for exactly this command by this requester. */
  findGrant(sha256: string, requester: string, ttlSeconds: number): ApprovalRequest | undefined;
  /** Creates an ApprovalRequest; resolves with its namespace/name. */
  request(spec: ApprovalRequest['spec']): Promise<{ namespace: string; name: string }>;
  /** Resolves when the request is decided or expires (with the request as decided), or with 'Timeout'. */
  waitFor(name: string, timeoutMs: number): Promise<{ phase: ApprovalPhase | 'Timeout'; request?: ApprovalRequest }>;
  /** Records that a one-shot grant was used (it cannot be used again). */
  markUsed(name: string): Promise<void>;
}
