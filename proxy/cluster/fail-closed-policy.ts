/**
 * The policy a proxy enforces while its own is unavailable (deleted, or not followed within the
 * staleness bound): every statement denied by one rule that says why, in Enforce mode, no approvals.
 * Targets, identity and masking stay as they were, so listeners and masked errors are unchanged.
 */
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';

export const FAIL_CLOSED_RULE = 'policy-unavailable';

export function failClosedPolicy(policy: AgentAccessPolicy, reason: string): AgentAccessPolicy {
  const { approval: _approval, ...spec } = policy.spec;
  return {
    ...policy,
    spec: {
      ...spec,
      mode: 'Enforce',
      defaultAction: 'Deny',
      rules: [
        { name: FAIL_CLOSED_RULE, action: 'Deny', message: `${reason}; every statement is refused until it is back` },
      ],
    },
  };
}
