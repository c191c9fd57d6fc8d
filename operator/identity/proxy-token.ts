/**
 * Authenticates a proxy to the operator: its pod-bound service-account token of audience
 * agentgate-proxy (mounted into the proxy container only, never into the agent's), verified against
 * the cluster's own issuer keys, issued no later than now, and bound to a pod that still exists with
 * the token's uid (a deleted pod's token, or an earlier pod's of the same name, is refused). The caller
 * is named by the token (namespace, pod, uid), never by the body. The pod must be one the injector
 * made (its admission stamp, injected-pod.ts): a pod that merely has a container named like the sidecar
 * and a token of this audience is not a proxy.
 */
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import * as jose from 'jose';
import { keySetFor } from '../../shared/identity/key-sets.js';
import {
  ASYMMETRIC_ALGORITHMS,
  CLOCK_TOLERANCE_SECONDS,
  kubernetesClaims,
  tokenTimeError,
} from '../../shared/identity/token-rules.js';
import { statusOf } from '../../shared/kube/client.js';
import { stampedPolicyOf } from './injected-pod.js';
import { PROXY_AUDIENCE } from '../../shared/contract/sidecar.js';

export interface ProxyIdentity {
  namespace: string;
  serviceAccount: string;
  pod: string;
  podUid: string;
  /** The policy the injector stamped on the pod (its sidecar follows it). */
  policy: string;
}

/** A refusal of a proxy's call to the operator, with its HTTP status. */
export class ProxyRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ProxyTokenOptions {
  clusterIssuer: () => Promise<string>;
  clusterJwks: () => Promise<jose.JSONWebKeySet>;
  /** Reads pods, to refuse tokens of pods that no longer exist. */
  core: CoreV1Api;
  /** Audience of the proxies' own tokens (default agentgate-proxy; agents' tokens have another). */
  audience?: string;
}

export function proxyTokenVerifier(
  o: ProxyTokenOptions,
): (authorization: string | undefined) => Promise<ProxyIdentity> {
  const clusterKeys = keySetFor({ issuer: 'kubernetes', kubernetes: true }, { kubernetesJwks: o.clusterJwks });
  return async (authorization) => {
    const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    if (!token)
      throw new ProxyRequestError(
        401,
        "the proxy's pod-bound service-account token is required (Authorization: Bearer)",
      );
    let payload: jose.JWTPayload;
    try {
      ({ payload } = await jose.jwtVerify(token, clusterKeys, {
        issuer: await o.clusterIssuer(),
        audience: o.audience ?? PROXY_AUDIENCE,
        algorithms: ASYMMETRIC_ALGORITHMS,
        requiredClaims: ['exp'],
      }));
    } catch (e) {
      throw new ProxyRequestError(401, `service-account token refused: ${(e as Error).message}`);
    }
    const timing = tokenTimeError(payload, Math.floor(Date.now() / 1000), CLOCK_TOLERANCE_SECONDS);
    if (timing) throw new ProxyRequestError(401, `service-account token refused: ${timing}`);
    const k8s = kubernetesClaims(payload);
    if (!k8s?.pod || !k8s.podUid) throw new ProxyRequestError(403, 'the token is not bound to a pod');
    const pod = await requireLivePod(o.core, k8s.namespace, k8s.pod, k8s.podUid);
    const policy = stampedPolicyOf(pod, k8s.namespace);
    if (!policy)
      throw new ProxyRequestError(
        403,
        `pod ${k8s.namespace}/${k8s.pod} is not an agentgate-injected pod (no injector stamp naming a policy of its namespace)`,
      );
    return { namespace: k8s.namespace, serviceAccount: k8s.serviceAccount, pod: k8s.pod, podUid: k8s.podUid, policy };
  };
}

async function requireLivePod(core: CoreV1Api, namespace: string, name: string, uid: string): Promise<V1Pod> {
  let pod: V1Pod | undefined;
  try {
    pod = await core.readNamespacedPod({ name, namespace });
  } catch (e) {
    if (statusOf(e) !== 404) throw e;
  }
  const live = pod?.metadata?.uid;
  if (!pod || live === undefined)
    throw new ProxyRequestError(403, `the token's pod ${namespace}/${name} (uid ${uid}) no longer exists`);
  if (live !== uid)
    throw new ProxyRequestError(
      403,
      `the token belongs to an earlier pod named ${namespace}/${name} (uid ${uid}), not to the one that exists now (uid ${live})`,
    );
  return pod;
}
