/**
 * What the gate answers, for every protocol: forward, refuse with a reason, or hold until an approval
 * is decided. A protocol adapter applies a verdict in its own terms: PostgreSQL as an ErrorResponse with
 * a SQLSTATE that also fails the server's transaction, HTTP as a status and body, MCP as a tool error.
 */
import type { Action } from '../../shared/contract/policy-types.js';
import type { Classification } from '../sql/types.js';

/** How one operation was decided: by a rule, the default action, or a built-in guard (guards.ts). */
export interface Decision {
  action: Action;
  /** Rule that decided: a rule name, 'defaultAction', or a built-in guard such as 'read-only-target'. */
  rule: string;
  message?: string;
  /** Whether the proxy blocks the operation (false for Allow, and for any action in mode: Audit). */
  blocked: boolean;
}

/** Why the gate refused, as a category each protocol maps to its own codes. */
export type RefusalCode =
  /** A rule, the default action, a guard or an approval said no. */
  | 'denied'
  /** The decision could not be recorded: nothing runs unrecorded. */
  | 'unrecorded'
  /** The operation could not be parsed. */
  | 'unparseable'
  /** The operation is larger than the policy's limit. */
  | 'too-large'
  /** The client cancelled it while it was held for an approval (PostgreSQL's CancelRequest). */
  | 'cancelled';

export interface Refuse {
  kind: 'refuse';
  code: RefusalCode;
  /** The rule or guard that refused, when one did. */
  rule?: string;
  /** For the agent: what was refused and why (never the operation's data). */
  reason: string;
  detail?: string;
  hint?: string;
  /** The ApprovalRequest the refusal concerns (namespace/name), when one does. */
  approval?: string;
}

/** Every operation's decision is on record; `records` holds each one's sequence number, for completions. */
export interface Forward<D extends Decision = Decision> {
  kind: 'forward';
  /** Each operation's decision (empty at stage `prepare`, where nothing is recorded). */
  decisions: D[];
  records: (number | undefined)[];
  /** The ApprovalRequest it runs under. */
  grant?: string;
}

/** An approval let the operation through. `admit()` records the decisions and forwards (or refuses if that fails). */
export interface Granted<D extends Decision = Decision> {
  kind: 'granted';
  grant: string;
  admit(): Forward<D> | Refuse;
}

/** The outcome of an approval: granted, refused, or nothing (the agent went away while it was held). */
export type ApprovalOutcome<D extends Decision = Decision> = Granted<D> | Refuse | undefined;

/** The operation needs an approval: held until it is decided (or refused once the request is filed, mode Reject). */
export interface Hold<D extends Decision = Decision> {
  kind: 'hold';
  approval: Promise<ApprovalOutcome<D>>;
}

export type Verdict<D extends Decision = Decision> = Forward<D> | Refuse | Hold<D>;

/** Applies a held verdict once its approval is decided: what the agent gets in the end (undefined: it went away). */
export async function settled<D extends Decision>(v: Verdict<D>): Promise<Forward<D> | Refuse | undefined> {
  if (v.kind !== 'hold') return v;
  const o = await v.approval;
  return o?.kind === 'granted' ? o.admit() : o;
}

/** The refusal of a decision that blocks, naming the rule and what the classifier found. */
export function denial(d: Decision, c: Classification): Refuse {
  const verb = d.action === 'RequireApproval' ? 'requires approval' : 'denied';
  return {
    kind: 'refuse',
    code: 'denied',
    rule: d.rule,
    reason: `${verb} by rule "${d.rule}"${d.message ? `: ${d.message}` : ''}`,
    detail: `statement kind ${c.kind}; effects ${c.effects.join(', ') || 'none'}${c.tables.length ? `; tables ${c.tables.map((t) => (t.schema ? `${t.schema}.${t.name}` : t.name)).join(', ')}` : ''}${c.reasons.length ? `; ${c.reasons.join('; ')}` : ''}`,
    ...(d.action === 'RequireApproval'
      ? { hint: 'approvals are not available in this build yet; the statement was refused' }
      : {}),
  };
}

/** The refusal of a decision that blocks one request or call, naming the rule. */
export function refusedByRule(d: Decision, noun: string): Refuse {
  return {
    kind: 'refuse',
    code: 'denied',
    rule: d.rule,
    reason:
      d.action === 'RequireApproval'
        ? `requires approval by rule "${d.rule}", and approvals are not available here (local mode): the ${noun} was refused`
        : `denied by rule "${d.rule}"${d.message ? `: ${d.message}` : ''}`,
  };
}
