/**
 * What a protocol adapter hands the gate: the operations its parser extracted, each carrying how it is
 * decided, what its record says and what an approval of it binds; who asks, for which target, and how
 * the protocol words a refusal. Nothing here is wire protocol.
 */
import type { ScopedAudit } from '../audit/audit-log.js';
import type { AuditFields } from '../audit/record.js';
import type { Principal } from '../identity/verify.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import type { ApprovalBinding } from './approval-flow.js';
import type { Decision, Refuse } from './verdict.js';

/** What the decision record of an operation says; the gate adds the decision itself. */
export interface OperationRecord {
  /** The operation's text; recorded masked, unless the policy leaves statement text out. */
  text: string;
  /** What else the record says (SQL: kind, effects, tables; HTTP: method and path; MCP: the call). */
  fields: Partial<AuditFields>;
  /** What the Event names before the rule, if anything (never data: one series per agent and rule). */
  eventWhat?: string;
  /** The metric the decision is counted on, with its bounded labels (statements when absent). */
  counted?: { http: { method: string } } | { mcp: { method: string; tool: string } };
  /**
   * An object whose identity stands for `text` and `fields` (never changed while referenced): records of
   * the same one under the same policy share their serialized part (record-fragment.ts).
   */
  same?: object;
}

export interface Operation<D extends Decision = Decision> {
  /** Its decision under the policy `rt` (the protocol's rules and built-in guards). */
  decide(rt: PolicyRuntime): D;
  /** What its decision record says. */
  record(rt: PolicyRuntime, d: D): OperationRecord;
  /** What an approval of it is bound to and what approvers read. Asked only when one is needed. */
  approval(rt: PolicyRuntime): ApprovalBinding;
  /** How a decision that blocks it is told to the agent. */
  refusal(d: D): Refuse;
  /**
   * A refusal the parser reached on its own (unparseable, over the size limit, a message type never
   * allowed): recorded like any decision, whatever the policy says.
   */
  refused?: { decision: D; refusal: Refuse; record?: Partial<AuditFields> };
}

/** How the protocol speaks of what it forwards, in the reasons the agent reads. */
export interface Wording {
  /** 'statement', 'request' or 'call'. */
  noun: string;
  /** What the agent is told was not done: 'nothing was executed', 'nothing was forwarded'. */
  nothing: string;
  /** What the agent does once an approval is granted: 'run the same statement again'. */
  again: string;
}

export interface GateRequest<D extends Decision = Decision> {
  protocol: AuditFields['protocol'];
  /** The target's name. */
  target: string;
  /** The verified identity (with its run and the person who triggered it, when the token says). */
  principal: Principal;
  /** The audit log scoped to what this request's records share (session, connection, principal, target). */
  audit: ScopedAudit;
  /** In order; a refusal of one refuses them all. */
  operations: Operation<D>[];
  /**
   * `prepare`: only refusals are recorded and approvals wait for the run (PostgreSQL's Parse);
   * `run`: every decision is recorded before anything is forwarded.
   */
  stage: 'prepare' | 'run';
  wording: Wording;
  /**
   * What one approval of several of its operations (all held under one rule) is bound to and shows:
   * every one of them, never only the first. Without it, an approval binds the one operation held.
   */
  approval?(held: Operation<D>[], rt: PolicyRuntime): ApprovalBinding;
  /** Guards over the request as a whole (SQL: requestGuard over the classifications); may replace decisions. */
  guard?(decisions: D[], rt: PolicyRuntime): void;
  /** The agent's stated reason for what it does next, shown to approvers. */
  reason?: string;
  /** True once the agent is gone (a held operation then ends without an answer). */
  closed(): boolean;
  /** Called once the operation is held waiting on an ApprovalRequest (namespace/name). */
  onHold?(approval: string): void;
  /**
   * Asked once, when the request is held: a signal the adapter aborts when its client cancels the held
   * operation (PostgreSQL's CancelRequest). The hold then ends unanswered, its grant unspent.
   */
  cancelled?(): AbortSignal;
}
