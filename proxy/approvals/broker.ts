/** What the data path needs from the approval system (implemented on Kubernetes by kube-approvals.ts). */
import type { ApprovalAsk, ApprovalPhase, ApprovalRequest } from '../../shared/contract/approval-request.js';
import type { GrantContext } from './verify-grant.js';

export type { GrantContext };

export interface ApprovalBroker {
  /** An approved, verified, unused (or still valid) grant for exactly this statement by this requester. */
  findGrant(grant: GrantContext, ttlSeconds: number): ApprovalRequest | undefined;
  /**
   * Asks the operator for an ApprovalRequest (it derives pod, service account and policy itself);
   * resolves with its namespace/name, the open request when this statement is already pending.
   */
  request(ask: ApprovalAsk): Promise<{ namespace: string; name: string }>;
  /**
   * Resolves when the request is decided or expires (with the request as decided), or with 'Timeout'.
   * 'Approved' only when the approval verifies for this statement (else 'Unverified', with the reason).
   */
  waitFor(
    name: string,
    timeoutMs: number,
    grant: GrantContext,
  ): Promise<{ phase: ApprovalPhase | 'Timeout' | 'Unverified'; request?: ApprovalRequest; reason?: string }>;
  /**
   * Takes a one-shot grant for one execution: false when it was already taken (several held sessions
   * may wait on one request — retries join it — and only one of them runs under it).
   */
  claim(name: string): boolean;
  /**
   * Records a claimed one-shot grant as used, durably (the operator marks it Used), before its statement
   * runs; rejects when that could not be done (the claim is then released and the statement must not run).
   */
  markUsed(name: string): Promise<void>;
}
