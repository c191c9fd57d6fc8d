/** The AgentAccessPolicy's status conditions: one per type, lastTransitionTime kept while the status stays. */
export interface PolicyCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

/** The conditions with `next` in place of the one of its type (appended when new). */
export function mergeCondition(
  conditions: PolicyCondition[],
  next: Omit<PolicyCondition, 'lastTransitionTime'>,
  now: number,
): PolicyCondition[] {
  const old = conditions.find((c) => c.type === next.type);
  const merged: PolicyCondition = {
    ...next,
    lastTransitionTime: old && old.status === next.status ? old.lastTransitionTime : new Date(now).toISOString(),
  };
  return old ? conditions.map((c) => (c.type === next.type ? merged : c)) : [...conditions, merged];
}
