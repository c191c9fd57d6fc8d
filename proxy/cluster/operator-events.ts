/**
 * The sidecar's Kubernetes Events, through the operator (the pod's service account is the agent's and
 * may not write Events): deviations' Events are emitted by the operator when they are reported (POST
 * /deviations), so they are not sent twice; the proxy's other state changes go to POST /events.
 */
import type { EventDetail, EventSink } from '../gate/record.js';

export const DEVIATION_EVENT_REASONS = new Set([
  'StatementDenied',
  'RequestDenied',
  'IdentityRejected',
  'RuntimeLimitExceeded',
  'AuditCheckpointFailed',
  'SessionInvariantViolated',
]);

export function operatorEvents(
  post: (path: string, body: unknown) => Promise<unknown>,
  log?: (level: 'warn', message: string, fields?: Record<string, unknown>) => void,
): EventSink {
  return (type, reason, message, detail?: EventDetail) => {
    if (DEVIATION_EVENT_REASONS.has(reason)) return;
    post('/events', {
      type,
      reason,
      message,
      ...(detail?.toolDefinition ? { toolDefinition: detail.toolDefinition } : {}),
    }).catch((e: Error) => log?.('warn', 'the operator did not take an Event', { reason, error: e.message }));
  };
}
