/**
 * The decision record: every decision is written to the audit chain (synchronously, before anything
 * is forwarded), counted in the metrics, and a refusal is raised as a Kubernetes Event.
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

/**
 * Records one decision. `held`: a RequireApproval that goes to the approval system (not a refusal,
 * so no Event). Undefined when the audit log could not take the record.
 */
export function recordDecision(sinks: RecordSinks, req: GateRequest, rt: PolicyRuntime, c: Classification, d: Decision, held: boolean, extra: Partial<AuditFields> = {}): AppendedRecord | undefined {
  const includeText = rt.policy.spec.audit?.includeStatementText !== false;
  if (d.blocked && !held) {
    // No statement text in the Event: it stays one series per agent and rule however the agent loops.
    sinks.events?.('Warning', 'StatementDenied', `${req.principal.sub} on ${req.target.name}: ${d.action === 'RequireApproval' ? 'requires approval' : 'denied'} by rule "${d.rule}"`);
  }
  sinks.metrics?.statement(req.target.name, d.action, extra.enforced ?? d.blocked);
  return req.audit.tryAppend({
    // Proceeded (allowed, run under an approval, or not enforced in Audit mode) or stopped by the proxy.
    event: { action: 'statement.decision', outcome: (extra.enforced ?? d.blocked) ? 'failure' : 'success' },
    policy: rt.ref,
    ...(includeText ? { db: { query: { text: rt.masker.maskText(c.text).text } } } : {}),
    ...(c.fingerprint ? { fingerprint: c.fingerprint } : {}),
    kind: c.kind,
    effects: c.effects,
    tables: c.tables.map((t) => (t.schema ? `${t.schema}.${t.name}` : t.name)),
    ...(c.functions.length ? { functions: c.functions } : {}),
    ...(c.unboundedWrite ? { unboundedWrite: true } : {}),
    protocol: req.protocol,
    decision: d.action,
    enforced: d.blocked,
    rule: { name: d.rule },
    ...(d.message ? { message: d.message } : {}),
    ...(c.reasons.length ? { reasons: c.reasons } : {}),
    ...extra,
  });
}
