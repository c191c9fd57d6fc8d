/**
 * The decision record, for every protocol: every decision is written to the audit chain
 * (synchronously, before anything is forwarded), counted in the metrics of its protocol, and a
 * refusal is raised as a Kubernetes Event.
 */
import type { AppendedRecord } from '../audit/audit-log.js';
import type { AuditFields } from '../audit/record.js';
import type { ProxyMetrics } from '../observability/metrics.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import { staticPart, type StaticPart } from './record-fragment.js';
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
  const part = staticPart(rt, op, includeText);
  const fields = (): AuditFields => decisionFields(req, part, d, enforced, extra);
  // The common case (a decision with nothing added, e.g. each Execute of a prepared statement): the
  // operation's part of the line was masked and serialized when it was first recorded under this policy.
  if (extra !== undefined || part.fragment === undefined || !req.audit.tryAppendSerialized)
    return req.audit.tryAppend(fields());
  const outcome = enforced ? 'failure' : 'success';
  const tail = JSON.stringify({
    protocol: req.protocol,
    decision: d.action,
    enforced: d.blocked,
    rule: { name: d.rule },
    ...(d.message ? { message: d.message } : {}),
  }).slice(1, -1);
  return req.audit.tryAppendSerialized!(
    `"event":{"action":"statement.decision","outcome":"${outcome}"},${part.fragment},${tail}`,
    fields,
  );
}

/** The decision record as an object: what is serialized, in this order. */
function decisionFields(
  req: Pick<GateRequest, 'protocol'>,
  part: StaticPart,
  d: Decision,
  enforced: boolean,
  extra?: Partial<AuditFields>,
): AuditFields {
  return {
    // Proceeded (allowed, run under an approval, or not enforced in Audit mode) or stopped by the proxy.
    event: { action: 'statement.decision', outcome: enforced ? 'failure' : 'success' },
    ...part.fields,
    protocol: req.protocol,
    decision: d.action,
    enforced: d.blocked,
    rule: { name: d.rule },
    ...(d.message ? { message: d.message } : {}),
    ...extra,
  };
}
