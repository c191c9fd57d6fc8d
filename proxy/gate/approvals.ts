/**
 * RequireApproval with an approval system present: a matching grant lets the operation through;
 * otherwise an ApprovalRequest is created and the operation is held until it is decided (mode Hold) or
 * refused naming the request (mode Reject). What releases it is verified (verify-grant.ts): the
 * request's status.phase is not taken on trust, and a one-shot grant runs once, recorded Used first.
 */
import { createHash } from 'node:crypto';
import type { AuditFields } from '../audit/record.js';
import type { ApprovalBroker } from '../approvals/broker.js';
import { approvalSummary } from '../approvals/summary.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import { NO_RUN } from '../../shared/contract/approval-request.js';
import type { GateRequest, Operation } from './request.js';
import { denial, type ApprovalOutcome, type Decision, type Forward, type Refuse } from './verdict.js';

export interface ApprovalCase {
  broker: ApprovalBroker;
  req: GateRequest;
  rt: PolicyRuntime;
  /** The operation that needs the approval, and its decision. */
  op: Operation;
  d: Decision;
  /** Records a decision of this operation. */
  record(d: Decision, extra?: Partial<AuditFields>): void;
  /** The operation's decision under the policy in force now, and whether it still goes to an approval. */
  redecide(): { d: Decision; held: boolean };
  /** Records the request's decisions under the grant and forwards. */
  admit(grant: string): Forward | Refuse;
}

export async function seekApproval(a: ApprovalCase): Promise<ApprovalOutcome> {
  const { broker, req, rt, d } = a;
  const c = a.op.classification;
  const refuse = (reason: string, hint?: string): Refuse => ({ kind: 'refuse', code: 'denied', rule: d.rule, reason, ...(hint ? { hint } : {}) });
  const text = req.approvalText?.() ?? c.text;
  const approval = rt.policy.spec.approval;
  const ttl = approval?.grant?.ttlSeconds ?? 0;
  const sha256 = createHash('sha256').update(text).digest('hex');
  const p = req.principal;
  const masked = rt.masker.maskText(text).text;
  const runId = p.runId ?? NO_RUN;
  const grantFor = { sha256, commandText: masked, target: req.target.name, policy: rt.policy.metadata.name, principal: p, runId, approval, triggerIssuers: rt.policy.spec.identity.triggerIssuers };

  // A one-shot grant runs only once the operator has recorded it Used (a restart cannot run it again).
  const runUnder = async (namespace: string, name: string): Promise<ApprovalOutcome> => {
    if (ttl === 0) {
      if (!broker.claim(name)) return refuse(`ApprovalRequest ${namespace}/${name} was approved for one execution, which another session of this run already used; the statement was not executed`);
      try {
        await broker.markUsed(name);
      } catch (e) {
        a.record(d, { message: `one-shot grant ${namespace}/${name} not used: its use could not be recorded: ${(e as Error).message}` });
        return refuse(`ApprovalRequest ${namespace}/${name} grants one execution, and its use could not be recorded (${(e as Error).message}); the statement was not executed: run it again when the operator is reachable`);
      }
      if (req.closed()) return undefined;
    }
    req.audit.tryAppend({ event: { action: 'approval.grant-used', outcome: 'success' }, rule: { name: d.rule }, message: `executed under ApprovalRequest ${namespace}/${name}`, detail: { approvalRequest: name, sha256 } });
    return { kind: 'granted', grant: name, admit: () => a.admit(name) };
  };

  const grant = broker.findGrant(grantFor, ttl);
  if (grant) return runUnder(grant.metadata.namespace ?? '', grant.metadata.name!);

  let ref: { namespace: string; name: string };
  try {
    // The operator names the pod, its service account and policy, and the expiry (from that policy).
    ref = await broker.request({
      rule: d.rule,
      requester: { subject: p.sub, issuer: p.iss, runId, ...(p.triggeredBy ? { triggeredBy: p.triggeredBy.sub, triggeredByIssuer: p.triggeredBy.iss, ...(p.triggeredBy.email ? { triggeredByEmail: p.triggeredBy.email } : {}), ...(p.triggeredBy.groups?.length ? { triggeredByGroups: p.triggeredBy.groups } : {}) } : {}) },
      target: req.target.name,
      command: { text: masked, summary: approvalSummary(c, text), sha256, effects: c.effects, tables: c.tables.map((t) => (t.schema ? `${t.schema}.${t.name}` : t.name)) },
      ...(req.reason ? { reason: req.reason } : {}),
    });
  } catch (e) {
    a.record(d, { message: `approval request could not be created: ${(e as Error).message}` });
    return refuse(`requires approval by rule "${d.rule}", and the approval request could not be created (${(e as Error).message}); nothing was executed`);
  }
  req.audit.tryAppend({ event: { action: 'approval.requested' }, rule: { name: d.rule }, db: { query: { text: masked } }, detail: { approvalRequest: `${ref.namespace}/${ref.name}`, sha256, mode: approval?.mode ?? 'Hold' } });
  if (approval?.mode === 'Reject') {
    return refuse(
      `requires approval by rule "${d.rule}": ApprovalRequest ${ref.namespace}/${ref.name} is pending; run the same statement again once it is approved`,
      `an approver runs: kubectl patch apr ${ref.name} -n ${ref.namespace} --type merge -p '{"spec":{"decision":"Approved","comment":"..."}}'`,
    );
  }
  const timeout = approval?.timeoutSeconds ?? 300;
  const { phase, request, reason } = await broker.waitFor(ref.name, timeout * 1000 + 3000, grantFor);
  // Evidence: who decided, when, and why (as the admission webhook stamped it).
  req.audit.tryAppend({ event: { action: 'approval.decided', outcome: phase === 'Approved' ? 'success' : 'failure' }, rule: { name: d.rule }, message: phase, detail: { approvalRequest: `${ref.namespace}/${ref.name}`, decisions: request?.spec.decisions ?? [] } });
  if (req.closed()) return undefined;
  // The policy may have changed, or become unavailable, while the operation was held.
  const current = a.redecide();
  if (current.d.blocked && !current.held) {
    a.record(current.d);
    return denial(current.d, c);
  }
  // Retries wait on the same request: a one-shot grant runs one of them only.
  if (phase === 'Approved') return runUnder(ref.namespace, ref.name);
  return refuse(`ApprovalRequest ${ref.namespace}/${ref.name} was ${phase === 'Timeout' ? 'not decided in time' : phase === 'Unverified' ? `not honoured (${reason})` : phase.toLowerCase()}; the statement was not executed`);
}
