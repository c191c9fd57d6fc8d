/**
 * What a proxy's ApprovalRequest feed shows. A statement runs under a grant once its proxy's feed has
 * seen the decision, a moment after the API server has it: waited for, not slept for.
 */
import { readFileSync } from 'node:fs';
import type { KubeApprovals } from '../../proxy/approvals/kube-approvals.js';
import type { ApprovalRequest } from '../../shared/contract/approval-request.js';
import { eventually } from './cluster.js';

export const watchShows = (broker: KubeApprovals, name: string, phase = 'Approved'): Promise<boolean> =>
  eventually(`the proxy's watch to show ${name} ${phase}`, async () =>
    (broker as unknown as { informer: { list(): ApprovalRequest[] } }).informer
      .list()
      .some((a) => a.metadata?.name === name && a.status?.phase === phase),
  );

/** Sessions of a proxy (its audit file) holding for the request `name`: its `approval.requested` records. */
export const holding = (auditFile: string, name: string): number =>
  readFileSync(auditFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"approval.requested"'))
    .filter((l) =>
      (JSON.parse(l) as { detail?: { approvalRequest?: string } }).detail?.approvalRequest?.endsWith(`/${name}`),
    ).length;
