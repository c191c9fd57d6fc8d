/**
 * RequireApproval for the gate's operations: binds the approval to the operation's text (its sha256,
 * shown masked to approvers) and runs the one approval flow (approval-flow.ts). A grant releases the
 * request (`admit`); every other outcome is a refusal, worded for a statement.
 */
import { createHash } from 'node:crypto';
import type { AuditFields } from '../audit/record.js';
import type { ApprovalBroker } from '../approvals/broker.js';
import { approvalSummary } from '../approvals/summary.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import { awaitApproval } from './approval-flow.js';
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
  const { req, rt, d } = a;
  const c = a.op.classification;
  const refuse = (reason: string, hint?: string): Refuse => ({
    kind: 'refuse',
    code: 'denied',
    rule: d.rule,
    reason,
    ...(hint ? { hint } : {}),
  });
  const text = req.approvalText?.() ?? c.text;
  const masked = rt.masker.maskText(text).text;
  const r = await awaitApproval({
    broker: a.broker,
    rt,
    d,
    principal: req.principal,
    target: req.target.name,
    binding: {
      sha256: createHash('sha256').update(text).digest('hex'),
      text: masked,
      summary: approvalSummary(c, text),
      effects: c.effects,
      tables: c.tables.map((t) => (t.schema ? `${t.schema}.${t.name}` : t.name)),
      line: masked,
    },
    ...(req.reason ? { reason: req.reason } : {}),
    audit: (fields) => void req.audit.tryAppend(fields),
    closed: req.closed,
    redecide: () => ({ rt, ...a.redecide() }),
  });
  if (!r) return undefined;
  switch (r.kind) {
    case 'granted':
      return { kind: 'granted', grant: r.name, admit: () => a.admit(r.name) };
    case 'already-used':
      return refuse(
        `ApprovalRequest ${r.namespace}/${r.name} was approved for one execution, which another session of this run already used; the statement was not executed`,
      );
    case 'use-unrecorded':
      a.record(d, {
        message: `one-shot grant ${r.namespace}/${r.name} not used: its use could not be recorded: ${r.error}`,
      });
      return refuse(
        `ApprovalRequest ${r.namespace}/${r.name} grants one execution, and its use could not be recorded (${r.error}); the statement was not executed: run it again when the operator is reachable`,
      );
    case 'not-requested':
      a.record(d, { message: `approval request could not be created: ${r.error}` });
      return refuse(
        `requires approval by rule "${d.rule}", and the approval request could not be created (${r.error}); nothing was executed`,
      );
    case 'pending':
      return refuse(
        `requires approval by rule "${d.rule}": ApprovalRequest ${r.namespace}/${r.name} is pending; run the same statement again once it is approved`,
        `an approver runs: kubectl patch apr ${r.name} -n ${r.namespace} --type merge -p '{"spec":{"decision":"Approved","comment":"..."}}'`,
      );
    case 'redecided':
      a.record(r.d);
      return denial(r.d, c);
    case 'not-approved':
      return refuse(`ApprovalRequest ${r.namespace}/${r.name} was ${r.what}; the statement was not executed`);
  }
}
