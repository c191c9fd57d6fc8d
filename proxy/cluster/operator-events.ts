/**
 * The sidecar's Kubernetes Events, through the operator (the pod's service account is the agent's and
 * may not write Events): deviations' Events are emitted by the operator when they are reported (POST
 * /deviations), so they are not sent twice; the proxy's other state changes go to POST /events.
 */
export const DEVIATION_EVENT_REASONS = new Set(['StatementDenied', 'IdentityRejected', 'RuntimeLimitExceeded', 'AuditCheckpointFailed', 'SessionInvariantViolated']);

export function operatorEvents(post: (path: string, body: unknown) => Promise<unknown>, log?: (level: 'warn', message: string, fields?: Record<string, unknown>) => void): (type: 'Normal' | 'Warning', reason: string, message: string) => void {
  return (type, reason, message) => {
    if (DEVIATION_EVENT_REASONS.has(reason)) return;
    post('/events', { type, reason, message }).catch((e: Error) => log?.('warn', 'the operator did not take an Event', { reason, error: e.message }));
  };
}
