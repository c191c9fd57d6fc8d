/** The Kubernetes API names the operator serves and the proxy reads: group, resources, the compiled ConfigMap. */
export const GROUP = 'agentgate.dev';
export const VERSION = 'v1alpha1';
export const POLICY_PLURAL = 'agentaccesspolicies';
export const APPROVAL_PLURAL = 'approvalrequests';
/** The operator's server-side-apply field manager (a compiled ConfigMap changed by anyone else is tampered with). */
export const FIELD_MANAGER = 'agentgate-operator';

/** The ConfigMap the operator compiles a policy into, and its keys. */
export const policyConfigMapName = (policy: string): string => `agentgate-policy-${policy}`;
export const POLICY_KEY = 'policy.json';
export const OPERATOR_CA_KEY = 'operator-ca.crt';
