/**
 * Approval requests that expire or are denied under `approval.mode: Reject`: the agent was refused at
 * once and no sidecar waits for the outcome, so the proxy's chain never records it; the operator, which
 * moves the phase, files the deviation itself (without an audit hash; the chain has the request's
 * `approval.requested` record, which names it). Under Hold the waiting sidecar reports it from its chain.
 */
import type { ApprovalRequest } from '../../shared/contract/approval-request.js';
import type { GroupedDeviation } from './grouping.js';
import { utcDay, type ReviewKey } from './naming.js';

export function approvalDeviation(
  apr: ApprovalRequest,
  phase: 'Expired' | 'Denied',
): { key: ReviewKey; grouped: GroupedDeviation } | undefined {
  const r = apr.spec.requester;
  const [, serviceAccount] = (r.serviceAccount ?? '').split('/');
  if (!serviceAccount) return undefined;
  const denials = (apr.spec.decisions ?? []).filter((d) => d.decision === 'Denied');
  // Times from the request itself, so a repeated filing is the same deviation.
  const time = phase === 'Expired' ? apr.spec.expiresAt : (denials[0]?.time ?? apr.spec.expiresAt);
  const by = denials.map((d) => `${d.user}${d.comment ? ` (${d.comment})` : ''}`);
  const reason = `ApprovalRequest ${apr.metadata.namespace}/${apr.metadata.name} ${phase === 'Expired' ? 'expired undecided' : `was denied by ${by.join(', ') || 'an approver'}`} (mode Reject: the agent was refused at once)`;
  const usernames = r.triggeredByUsernames ?? [];
  return {
    key: {
      policy: apr.spec.policy,
      serviceAccount,
      kind: phase === 'Expired' ? 'ApprovalExpired' : 'ApprovalDenied',
      rule: apr.spec.rule,
      day: utcDay(time),
    },
    grouped: {
      entry: {
        time,
        ...(r.pod ? { pod: r.pod } : {}),
        statement: apr.spec.command.text.slice(0, 4096),
        reason,
        ...(usernames.length ? { triggeredBy: usernames.at(-1)! } : {}),
      },
      triggerers: [
        ...usernames,
        ...(r.triggeredBy ? [r.triggeredBy] : []),
        ...(r.triggeredByEmail ? [r.triggeredByEmail] : []),
      ],
    },
  };
}
