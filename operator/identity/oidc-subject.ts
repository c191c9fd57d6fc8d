/**
 * What a verified JWT must also be to name the person who triggers a run: a login to agentgate (OIDC
 * Core 3.1.3.7: with several audiences `azp` must be present, and `azp` must be one of ours), and not
 * an agent's own token — neither a Kubernetes service-account token nor a run token this operator
 * minted, whatever the policy's trigger issuers say.
 */
import type * as jose from 'jose';
import { hasRunTokenClaims } from '../../proxy/identity/run-token.js';
import type { TriggerIssuerSpec } from '../../proxy/policy/types.js';

export function personTokenError(payload: jose.JWTPayload, trusted: TriggerIssuerSpec, o: { clusterIssuer: string; runTokenIssuer: string }): string | undefined {
  if (payload['kubernetes.io'] !== undefined || payload.iss === o.clusterIssuer) return 'is a Kubernetes service-account token: it names an agent, not a person';
  if (payload.iss === o.runTokenIssuer || hasRunTokenClaims(payload)) return 'is a run token: the person must be proven by their IdP, not by an earlier exchange';
  const auds = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (payload.azp !== undefined && (typeof payload.azp !== 'string' || !trusted.audiences.includes(payload.azp))) {
    return `was issued to client ${JSON.stringify(payload.azp).slice(0, 200)} (azp), not to ${trusted.audiences.join(' or ')}`;
  }
  if (auds.length > 1 && payload.azp === undefined) return 'names several audiences and no azp: it is not shown to be a login to agentgate';
  return undefined;
}
