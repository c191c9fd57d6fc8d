/** Token rules the proxy and the operator's token exchange both apply. */
import type * as jose from 'jose';

/** Clock skew allowed between an issuer and the proxy, for exp, nbf, iat and the lifetime cap. */
export const CLOCK_TOLERANCE_SECONDS = 5;

/**
 * What jose does not check: a token issued in the future (iat) is refused, and the lifetime cap counts
 * both from iat and from now — a token minted with a future iat cannot stay valid longer than the cap.
 */
export function tokenTimeError(
  payload: jose.JWTPayload,
  nowSeconds: number,
  toleranceSeconds: number,
  maxLifetimeSeconds?: number,
): string | undefined {
  const { iat, exp } = payload;
  if (typeof iat === 'number' && iat > nowSeconds + toleranceSeconds) {
    return `token iat is ${iat - nowSeconds}s in the future (more than the ${toleranceSeconds}s of clock skew allowed)`;
  }
  if (maxLifetimeSeconds === undefined || typeof exp !== 'number') return undefined;
  if (typeof iat === 'number' && exp - iat > maxLifetimeSeconds)
    return `token lifetime ${exp - iat}s exceeds the policy's maximum of ${maxLifetimeSeconds}s`;
  if (exp - nowSeconds > maxLifetimeSeconds + toleranceSeconds)
    return `token stays valid for ${exp - nowSeconds}s from now, more than the policy's maximum lifetime of ${maxLifetimeSeconds}s`;
  return undefined;
}

export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

/** The `kubernetes.io` claims of a service-account token. */
export function kubernetesClaims(
  payload: jose.JWTPayload,
): { namespace: string; serviceAccount: string; pod?: string; podUid?: string } | undefined {
  const k8s = payload['kubernetes.io'] as
    { namespace?: string; serviceaccount?: { name?: string }; pod?: { name?: string; uid?: string } } | undefined;
  if (!k8s?.namespace || !k8s.serviceaccount?.name) return undefined;
  return {
    namespace: k8s.namespace,
    serviceAccount: k8s.serviceaccount.name,
    ...(k8s.pod?.name ? { pod: k8s.pod.name } : {}),
    ...(k8s.pod?.name && k8s.pod.uid ? { podUid: k8s.pod.uid } : {}),
  };
}

/** Does the token claim to be a run token (any of the claims only the token exchange sets)? */
export function hasRunTokenClaims(payload: jose.JWTPayload): boolean {
  return payload.run_id !== undefined || payload.act !== undefined || payload.triggered_by_iss !== undefined;
}
