/** Whether a policy's `spec.subjects` lists a service account (an entry without a namespace means the policy's own). */
import type { PolicySpec } from './policy-types.js';

export function listsServiceAccount(
  subjects: PolicySpec['subjects'],
  policyNamespace: string | undefined,
  namespace: string,
  serviceAccount: string,
): boolean {
  return (subjects?.serviceAccounts ?? []).some(
    (s) => s.name === serviceAccount && (s.namespace ?? policyNamespace) === namespace,
  );
}
