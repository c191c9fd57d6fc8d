/**
 * What a sidecar reads through the operator (GET, with its own pod-bound token): the objects it
 * follows, scoped by the operator to the authenticated pod's namespace and stamped policy, and the
 * cluster's service-account keys. The sidecar then needs no Kubernetes client of its own.
 *
 * A feed answers `{token, items}`: the objects as the API server listed them, and a token that changes
 * whenever any of them does. Asked with `after=<token>`, the operator holds the answer until something
 * changed or `wait` seconds passed (a long poll). Each answer is a list the operator made from the API
 * server just before answering (a call held when the operator stops is refused, 503, not answered with
 * the list it began with), so every answer tells the sidecar the control plane was reachable just now.
 */
export const FEEDS = {
  /** The AgentAccessPolicy the pod's injector stamp names. */
  policy: '/feeds/policy',
  /** Its compiled ConfigMaps (label agentgate.dev/policy). */
  compiled: '/feeds/compiled',
  /** ApprovalRequests asked for from this pod (labels policy and pod uid). */
  approvals: '/feeds/approvals',
} as const;

export type FeedKind = keyof typeof FEEDS;

/** The cluster's service-account issuer keys (JWKS), as the operator fetched them. */
export const KUBERNETES_JWKS_PATH = '/kubernetes/jwks';

/** Query parameters of a feed. */
export const FEED_AFTER = 'after';
export const FEED_WAIT = 'wait';
/** The longest a feed holds an answer (seconds); a longer `wait` is cut to this. */
export const FEED_MAX_WAIT_SECONDS = 30;

export interface FeedAnswer<T = unknown> {
  token: string;
  items: T[];
}
