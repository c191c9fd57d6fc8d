/**
 * Authenticates a proxy to the operator: its pod-bound service-account token of audience
 * agentgate-proxy (mounted into the proxy container only, never into the agent's), verified against
 * the cluster's own issuer keys. The caller is named by the token (namespace, pod), never by the body.
 */
import * as jose from 'jose';
import { keySetFor } from '../../proxy/identity/key-sets.js';
import { ASYMMETRIC_ALGORITHMS, kubernetesClaims } from '../../proxy/identity/verify.js';

export interface ProxyIdentity {
  namespace: string;
  serviceAccount: string;
  pod: string;
}

/** A refusal of a proxy's call to the operator, with its HTTP status. */
export class ProxyRequestError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface ProxyTokenOptions {
  clusterIssuer: () => Promise<string>;
  clusterJwks: () => Promise<jose.JSONWebKeySet>;
  /** Audience of the proxies' own tokens (default agentgate-proxy; agents' tokens have another). */
  audience?: string;
}

export function proxyTokenVerifier(o: ProxyTokenOptions): (authorization: string | undefined) => Promise<ProxyIdentity> {
  const clusterKeys = keySetFor({ issuer: 'kubernetes', kubernetes: true }, { kubernetesJwks: o.clusterJwks });
  return async (authorization) => {
    const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    if (!token) throw new ProxyRequestError(401, 'the proxy\'s pod-bound service-account token is required (Authorization: Bearer)');
    let payload: jose.JWTPayload;
    try {
      ({ payload } = await jose.jwtVerify(token, clusterKeys, { issuer: await o.clusterIssuer(), audience: o.audience ?? 'agentgate-proxy', algorithms: ASYMMETRIC_ALGORITHMS, requiredClaims: ['exp'] }));
    } catch (e) {
      throw new ProxyRequestError(401, `service-account token refused: ${(e as Error).message}`);
    }
    const k8s = kubernetesClaims(payload);
    if (!k8s?.pod) throw new ProxyRequestError(403, 'the token is not bound to a pod');
    return { namespace: k8s.namespace, serviceAccount: k8s.serviceAccount, pod: k8s.pod };
  };
}
