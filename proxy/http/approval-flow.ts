/**
 * RequireApproval for a request that is not SQL (an HTTP request, an MCP call): find a grant or file an
 * ApprovalRequest, hold or reject, decide again after the wait, claim one-shot grants. The protocol
 * supplies the binding (sha256, the masked text approvers see) and how a decision is recorded; the
 * verdict is protocol-free.
 */
import type { ApprovalBroker, GrantContext } from '../approvals/broker.js';
import type { AuditFields } from '../audit/record.js';
import type { Principal } from '../identity/verify.js';
import type { Decision } from '../gate/decide.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import { NO_RUN } from '../../shared/contract/approval-request.js';

export interface ApprovalSubject<D extends Decision> {
  broker: ApprovalBroker;
  rt: PolicyRuntime;
  decision: D;
  principal: Principal;
  target: string;
  /** What the approval is bound to. */
  sha256: string;
  /** Masked text approvers read; the line is also the audit's query text. */
  line: string;
  text: string;
  summary: string;
  effects: ('read' | 'write')[];
  /** Appends an audit record of this session. */
  audit(fields: AuditFields): void;
  /** Records the decision and gives the verdict (approval: the ApprovalRequest it runs under). */
  settle(rt: PolicyRuntime, d: D, extra?: Partial<AuditFields>, approval?: string): ApprovalVerdict<D>;
  /** Records the decision only (a refusal the flow words itself). */
  recordDecision(rt: PolicyRuntime, d: D, extra: Partial<AuditFields>): void;
  /** The decision under the policy in force now. */
  decideNow(): { rt: PolicyRuntime; d: D };
  onHold?: (approval: string) => void;
}

export type ApprovalVerdict<D> =
  | { kind: 'forward'; decision: D; decisionSeq: number; approval?: string }
  | { kind: 'refuse'; status: 403 | 503; reason: string; rule: string; decision?: D; approval?: string };

export async function requireApproval<D extends Decision>(s: ApprovalSubject<D>): Promise<ApprovalVerdict<D>> {
  const { broker, rt, decision: d, principal: p } = s;
  const approval = rt.policy.spec.approval;
  const ttl = approval?.grant?.ttlSeconds ?? 0;
  const runId = p.runId ?? NO_RUN;
  const grantFor: GrantContext = { sha256: s.sha256, commandText: s.text, target: s.target, policy: rt.policy.metadata.name, principal: p, runId, approval, ...(rt.policy.spec.identity.triggerIssuers ? { triggerIssuers: rt.policy.spec.identity.triggerIssuers } : {}) };
  const runUnder = async (namespace: string, name: string): Promise<ApprovalVerdict<D>> => {
    if (ttl === 0) {
      if (!broker.claim(name)) return { kind: 'refuse', status: 403, reason: `ApprovalRequest ${namespace}/${name} was approved for one execution, which another request already used`, rule: d.rule, decision: d, approval: name };
      try {
        await broker.markUsed(name);
      } catch (e) {
        return s.settle(rt, d, { message: `one-shot grant ${namespace}/${name} not used: its use could not be recorded: ${(e as Error).message}` });
      }
    }
    s.audit({ event: { action: 'approval.grant-used', outcome: 'success' }, rule: { name: d.rule }, message: `executed under ApprovalRequest ${namespace}/${name}`, detail: { approvalRequest: name, sha256: s.sha256 } });
    return s.settle(rt, d, { enforced: false, detail: { approvalRequest: `${namespace}/${name}` } }, name);
  };
  const grant = broker.findGrant(grantFor, ttl);
  if (grant) return runUnder(grant.metadata.namespace ?? '', grant.metadata.name!);
  let ref: { namespace: string; name: string };
  try {
    ref = await broker.request({
      rule: d.rule,
      requester: { subject: p.sub, issuer: p.iss, runId, ...(p.triggeredBy ? { triggeredBy: p.triggeredBy.sub, triggeredByIssuer: p.triggeredBy.iss, ...(p.triggeredBy.email ? { triggeredByEmail: p.triggeredBy.email } : {}) } : {}) },
      target: s.target,
      command: { text: s.text, summary: s.summary.slice(0, 119), sha256: s.sha256, effects: s.effects },
    });
  } catch (e) {
    return s.settle(rt, d, { message: `approval request could not be created: ${(e as Error).message}` });
  }
  s.audit({ event: { action: 'approval.requested' }, rule: { name: d.rule }, db: { query: { text: s.line } }, detail: { approvalRequest: `${ref.namespace}/${ref.name}`, sha256: s.sha256, mode: approval?.mode ?? 'Hold' } });
  if (approval?.mode === 'Reject') {
    s.recordDecision(rt, d, { detail: { approvalRequest: `${ref.namespace}/${ref.name}` } });
    return { kind: 'refuse', status: 403, reason: `requires approval by rule "${d.rule}": ApprovalRequest ${ref.namespace}/${ref.name} is pending; send the same request again once it is approved`, rule: d.rule, decision: d, approval: `${ref.namespace}/${ref.name}` };
  }
  s.onHold?.(`${ref.namespace}/${ref.name}`);
  const { phase, request, reason } = await broker.waitFor(ref.name, (approval?.timeoutSeconds ?? 300) * 1000 + 3000, grantFor);
  s.audit({ event: { action: 'approval.decided', outcome: phase === 'Approved' ? 'success' : 'failure' }, rule: { name: d.rule }, message: phase, detail: { approvalRequest: `${ref.namespace}/${ref.name}`, decisions: request?.spec.decisions ?? [] } });
  // The policy may have changed, or become unavailable, while the request was held.
  const now = s.decideNow();
  if (now.d.blocked && now.d.action !== 'RequireApproval') return s.settle(now.rt, now.d);
  if (phase === 'Approved') return runUnder(ref.namespace, ref.name);
  const what = phase === 'Timeout' ? 'not decided in time' : phase === 'Unverified' ? `not honoured (${reason})` : phase.toLowerCase();
  s.recordDecision(rt, d, { message: `ApprovalRequest ${ref.namespace}/${ref.name} was ${what}` });
  return { kind: 'refuse', status: 403, reason: `ApprovalRequest ${ref.namespace}/${ref.name} was ${what}; the request was not forwarded`, rule: d.rule, decision: d, approval: `${ref.namespace}/${ref.name}` };
}
