/**
 * RequireApproval, for every protocol: runs the one approval flow (approval-flow.ts) for the operation
 * that needs it, bound to what the operation says an approval binds. A grant releases the request
 * (`admit`); every other outcome is a refusal, recorded and worded in the protocol's terms (a refusal
 * that waits on or was decided by an ApprovalRequest is recorded under its name).
 */
import type { AuditFields } from '../audit/record.js';
import type { ApprovalBroker } from '../approvals/broker.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import { awaitApproval, type ApprovalBinding } from './approval-flow.js';
import type { GateRequest, Operation } from './request.js';
import type { ApprovalOutcome, Decision, Forward, Refuse } from './verdict.js';

export interface ApprovalCase<D extends Decision> {
  broker: ApprovalBroker;
  req: GateRequest<D>;
  rt: PolicyRuntime;
  /** The operation that needs the approval, and its decision. */
  op: Operation<D>;
  d: D;
  /** What the approval is bound to and shows: every operation it would release. */
  binding(rt: PolicyRuntime): ApprovalBinding;
  /** Records a decision of this operation. */
  record(rt: PolicyRuntime, d: D, extra?: Partial<AuditFields>): void;
  /** After the wait: whether the request, decided again as a whole under the policy in force, still goes to this approval. */
  stillHeld(): boolean;
  /** When it no longer does: the request's decisions under the policy in force, recorded, and the refusal. */
  refusedAfterWait(): Refuse;
  /**
   * Decides the request again under the policy in force, tells `used` whether it runs under the grant
   * (before its decisions are recorded), records them and forwards (or refuses).
   */
  admit(grant: string, used: (forwarded: boolean) => void): Forward<D> | Refuse;
  /** The policy in force now: what happens after the wait is recorded under it. */
  runtime(): PolicyRuntime;
}

export async function seekApproval<D extends Decision>(a: ApprovalCase<D>): Promise<ApprovalOutcome<D>> {
  const { req, rt, d } = a;
  const w = req.wording;
  const refuse = (reason: string, more: Partial<Refuse> = {}): Refuse => ({
    kind: 'refuse',
    code: 'denied',
    rule: d.rule,
    reason,
    ...more,
  });
  const r = await awaitApproval({
    broker: a.broker,
    rt,
    d,
    principal: req.principal,
    target: req.target,
    binding: a.binding(rt),
    ...(req.reason ? { reason: req.reason } : {}),
    audit: (fields) => void req.audit.tryAppend(fields),
    closed: req.closed,
    stillHeld: a.stillHeld,
    ...(req.onHold ? { onHold: req.onHold } : {}),
    ...(req.cancelled ? { cancelled: req.cancelled() } : {}),
  });
  if (!r) return undefined;
  const ref = 'namespace' in r ? `${r.namespace}/${r.name}` : '';
  const now = a.runtime();
  switch (r.kind) {
    case 'granted':
      return { kind: 'granted', grant: r.name, admit: () => a.admit(r.name, r.used) };
    case 'already-used':
      // Under the request's name, like pending and not-approved: the refused retry is on record, not a deviation.
      a.record(now, d, {
        message: `one-shot grant ${ref} already used by another ${w.noun} of this run`,
        detail: { approvalRequest: ref },
      });
      return refuse(
        `ApprovalRequest ${ref} was approved for one execution, which another ${w.noun} of this run already used; ${w.nothing}`,
        { approval: ref },
      );
    case 'use-unrecorded':
      a.record(now, d, { message: `one-shot grant ${ref} not used: its use could not be recorded: ${r.error}` });
      return refuse(
        `ApprovalRequest ${ref} grants one execution, and its use could not be recorded (${r.error}); ${w.nothing}: ${w.again} when the operator is reachable`,
      );
    case 'not-requested':
      a.record(rt, d, { message: `approval request could not be created: ${r.error}` });
      return refuse(
        `requires approval by rule "${d.rule}", and the approval request could not be created (${r.error}); ${w.nothing}`,
      );
    case 'pending':
      a.record(rt, d, { detail: { approvalRequest: ref } });
      return refuse(
        `requires approval by rule "${d.rule}": ApprovalRequest ${ref} is pending; ${w.again} once it is approved`,
        {
          approval: ref,
          hint: `an approver runs: kubectl patch apr ${r.name} -n ${r.namespace} --type merge -p '{"spec":{"decision":"Approved","comment":"..."}}'`,
        },
      );
    case 'cancelled':
      a.record(now, d, {
        message: `cancelled by the client while held for ApprovalRequest ${ref}; not executed${r.spent ? '' : ', its grant unspent'}`,
        detail: { approvalRequest: ref },
      });
      return refuse(`canceling statement due to user request: it was held for ApprovalRequest ${ref}; ${w.nothing}`, {
        code: 'cancelled',
        approval: ref,
      });
    case 'redecided':
      return a.refusedAfterWait();
    case 'not-approved':
      // Under the request's name: its approval.decided record is the deviation, not this refusal.
      a.record(now, d, { message: `ApprovalRequest ${ref} was ${r.what}`, detail: { approvalRequest: ref } });
      return refuse(`ApprovalRequest ${ref} was ${r.what}; ${w.nothing}`, { approval: ref });
  }
}
