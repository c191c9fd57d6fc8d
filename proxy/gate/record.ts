/**
 * The decision record, for every protocol: every decision is written to the audit chain
 * (synchronously, before anything is forwarded), counted in the metrics, and a refusal is raised as a
 * Kubernetes Event.
 */
import type { AppendedRecord } from '../audit/audit-log.js';
import type { AuditFields } from '../audit/record.js';
import type { ProxyMetrics } from '../observability/metrics.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import type { Classification } from '../sql/types.js';
import type { GateRequest } from './request.js';
import type { Decision } from './verdict.js';
import type { ToolDefinitionReport } from '../../shared/contract/tool-definitions.js';

/** Kubernetes Events (cluster mode), de-duplicated and rate-limited by the recorder. */
export type EventSink = (type: 'Normal' | 'Warning', reason: string, message: string, detail?: EventDetail) => void;

/** What the operator takes beside an Event's text (ToolDefinitionChanged also sets a condition on the policy). */
export interface EventDetail {
  toolDefinition?: ToolDefinitionReport;
}

/** Where Events go when there is no cluster to raise them in. */
export const noEvents: EventSink = () => undefined;

export interface RecordSinks {
  events?: EventSink;
  metrics?: ProxyMetrics;
}

/** One decided operation as its record names it; the protocol adapter supplies the facts. */
export interface DecidedOperation {
  target: string;
  /** The agent (principal subject), as the Event names it. */
  subject: string;
  protocol: AuditFields['protocol'];
  /** The Event's reason when the operation is refused. */
  deniedReason: 'StatementDenied' | 'RequestDenied';
  /** What the Event names before the rule, if anything (never data: one series per agent and rule). */
  eventWhat?: string;
  /** The operation's text; recorded masked, unless the policy leaves statement text out. */
  text: string;
  /** What else the record says of the operation (SQL: kind, effects, tables; HTTP: method and path; MCP: the call). */
  fields: Partial<AuditFields>;
}

/**
 * Records one decision through `append` (the audit log, scoped to the session). `held`: a
 * RequireApproval that goes to the approval system (not a refusal, so no Event). Undefined when the
 * audit log could not take the record.
 */
export function writeDecision(
  sinks: RecordSinks,
  append: (f: AuditFields) => AppendedRecord | undefined,
  rt: PolicyRuntime,
  op: DecidedOperation,
  d: Decision,
  held: boolean,
  extra: Partial<AuditFields> = {},
): AppendedRecord | undefined {
  const includeText = rt.policy.spec.audit?.includeStatementText !== false;
  if (d.blocked && !held) {
    sinks.events?.(
      'Warning',
      op.deniedReason,
      `${op.subject} on ${op.target}: ${op.eventWhat ? `${op.eventWhat} ` : ''}${d.action === 'RequireApproval' ? 'requires approval' : 'denied'} by rule "${d.rule}"`,
    );
  }
  sinks.metrics?.statement(op.target, d.action, extra.enforced ?? d.blocked);
  return append({
    // Proceeded (allowed, run under an approval, or not enforced in Audit mode) or stopped by the proxy.
    event: { action: 'statement.decision', outcome: (extra.enforced ?? d.blocked) ? 'failure' : 'success' },
    policy: rt.ref,
    ...(includeText ? { db: { query: { text: rt.masker.maskText(op.text).text } } } : {}),
    ...op.fields,
    protocol: op.protocol,
    decision: d.action,
    enforced: d.blocked,
    rule: { name: d.rule },
    ...(d.message ? { message: d.message } : {}),
    ...extra,
  });
}

/** Records one decision of a classified (SQL) operation. */
export function recordDecision(
  sinks: RecordSinks,
  req: GateRequest,
  rt: PolicyRuntime,
  c: Classification,
  d: Decision,
  held: boolean,
  extra: Partial<AuditFields> = {},
): AppendedRecord | undefined {
  const fields: Partial<AuditFields> = {
    ...(c.fingerprint ? { fingerprint: c.fingerprint } : {}),
    kind: c.kind,
    effects: c.effects,
    tables: c.tables.map((t) => (t.schema ? `${t.schema}.${t.name}` : t.name)),
    ...(c.functions.length ? { functions: c.functions } : {}),
    ...(c.unboundedWrite ? { unboundedWrite: true } : {}),
    ...(c.reasons.length ? { reasons: c.reasons } : {}),
  };
  const op: DecidedOperation = {
    target: req.target.name,
    subject: req.principal.sub,
    protocol: req.protocol,
    deniedReason: 'StatementDenied',
    text: c.text,
    fields,
  };
  return writeDecision(sinks, (f) => req.audit.tryAppend(f), rt, op, d, held, extra);
}
