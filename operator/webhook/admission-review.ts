/**
 * The shape of an admission.k8s.io/v1 AdmissionReview as the API server sends it. Checking it is not
 * authentication (anyone can forge the shape; the admission listener's own port and, when configured,
 * its client certificate are what keep callers out): it keeps the handlers from acting on anything else.
 */
export interface AdmissionReview {
  apiVersion: string;
  kind: 'AdmissionReview';
  request?: {
    uid: string;
    kind: { group?: string; version?: string; kind: string };
    resource?: { group?: string; version?: string; resource: string };
    namespace?: string;
    operation: string;
    subResource?: string;
    object?: unknown;
    oldObject?: unknown;
    userInfo?: { username?: string; groups?: string[] };
  };
}

const OPERATIONS = new Set(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);
const RESOURCES: Record<string, string> = {
  Pod: 'pods',
  ApprovalRequest: 'approvalrequests',
  AgentAccessPolicy: 'agentaccesspolicies',
  DeviationReview: 'deviationreviews',
};
const UID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why `body` is not an AdmissionReview for `kind` from the API server, or undefined when it is one. */
export function genuineReview(body: unknown, kind: string): string | undefined {
  const expected = `expected an admission.k8s.io/v1 AdmissionReview for a ${kind}`;
  if (
    !isObject(body) ||
    body.apiVersion !== 'admission.k8s.io/v1' ||
    body.kind !== 'AdmissionReview' ||
    'response' in body
  )
    return expected;
  const r = body.request;
  if (!isObject(r) || typeof r.uid !== 'string' || !UID.test(r.uid)) return expected;
  if (!isObject(r.kind) || r.kind.kind !== kind || !isObject(r.resource) || r.resource.resource !== RESOURCES[kind])
    return expected;
  if (typeof r.operation !== 'string' || !OPERATIONS.has(r.operation) || !isObject(r.object)) return expected;
  if (!isObject(r.userInfo) || typeof r.userInfo.username !== 'string' || !r.userInfo.username) return expected;
  return undefined;
}
