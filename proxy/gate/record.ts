/**
 * The decision record, for every protocol: every decision is written to the audit chain
 * (synchronously, before anything is forwarded), counted in the metrics of its protocol, and a
 * refusal is raised as a Kubernetes Event.
 */
import type { AppendedRecord } from '../audit/audit-log.js';
import type { AuditFields } from '../audit/record.js';
import type { ProxyMetrics } from '../observability/metrics.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import type { GateRequest, OperationRecord } from './request.js';
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
 * Records one decision in the request's audit scope. `held`: a RequireApproval that goes to the
 * approval system (not a refusal, so no Event). Undefined when the audit log could not take the record.
 */
export function writeDecision(
  sinks: RecordSinks,
  req: Pick<GateRequest, 'audit' | 'protocol' | 'target' | 'principal'>,
  rt: PolicyRuntime,
  op: OperationRecord,
  d: Decision,
  held: boolean,
  extra?: Partial<AuditFields>,
): AppendedRecord | undefined {
  const includeText = rt.policy.spec.audit?.includeStatementText !== false;
  const enforced = extra?.enforced ?? d.blocked;
  if (d.blocked && !held) {
    sinks.events?.(
      'Warning',
      req.protocol === 'http' || req.protocol === 'mcp' ? 'RequestDenied' : 'StatementDenied',
      `${req.principal.sub} on ${req.target}: ${op.eventWhat ? `${op.eventWhat} ` : ''}${d.action === 'RequireApproval' ? 'requires approval' : 'denied'} by rule "${d.rule}"`,
    );
  }
  sinks.metrics?.decided(req.target, op.counted, d.action, enforced);
  return req.audit.tryAppend({
    // Proceeded (allowed, run under an approval, or not enforced in Audit mode) or stopped by the proxy.
    event: { action: 'statement.decision', outcome: enforced ? 'failure' : 'success' },
    policy: rt.ref,
    ...(includeText ? { db: { query: { text: rt.masker.maskText(op.text).text } } } : {}),
    ...op.fields,
    protocol: req.protocol,
    decision: d.action,
    enforced: d.blocked,
    rule: { name: d.rule },
    ...(d.message ? { message: d.message } : {}),
    ...extra,
  });
}
