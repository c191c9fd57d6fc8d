/** Labels and annotations the operator, the injector and the proxy agree on. */

/** Pod annotation (or label) asking for the sidecar. */
export const INJECT = 'agentgate.dev/inject';
/** Pod annotation naming the policy; the same key labels compiled ConfigMaps and ApprovalRequests with their policy. */
export const POLICY = 'agentgate.dev/policy';
export const POLICY_LABEL = POLICY;
export const APPROVAL_POLICY_LABEL = POLICY;
/** Pod annotation: the sidecar's busy-poll window in µs (shared/contract/sidecar.ts busyPollMicros; default off). */
export const BUSY_POLL = 'agentgate.dev/busy-poll-micros';
/** What the injector injected (a preset one is never trusted). */
export const STATUS = 'agentgate.dev/status';
/** The uid of the pod whose proxy asked (set by the operator from the proxy's pod-bound token). */
export const APPROVAL_POD_UID_LABEL = 'agentgate.dev/pod-uid';

/** The admission webhook's change stamp on a policy (who, when, the spec's sha256). */
export const CHANGED_BY = 'agentgate.dev/changed-by';
export const CHANGED_AT = 'agentgate.dev/changed-at';
export const SPEC_SHA256 = 'agentgate.dev/spec-sha256';
/** The operator's run-token issuer, on the compiled policy document. */
export const RUN_TOKEN_ISSUER_ANNOTATION = 'agentgate.dev/run-token-issuer';
/** First-seen MCP tool fingerprints (status.toolDefinitionBaselines), on the compiled policy document. */
export const TOOL_BASELINES_ANNOTATION = 'agentgate.dev/tool-baselines';
/** The policy generation a compiled ConfigMap was made from. */
export const POLICY_GENERATION_ANNOTATION = 'agentgate.dev/policy-generation';
/** Labels the witness's checkpoint ConfigMaps with the agents' namespace. */
export const AUDIT_CHECKPOINTS_LABEL = 'agentgate.dev/audit-checkpoints';
