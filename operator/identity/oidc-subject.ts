/**
 * What a verified JWT must also be to name the person who triggers a run: a login to agentgate (OIDC
 * Core 3.1.3.7: with several audiences `azp` must be present, and `azp` must be one of ours; not an
 * application's own token), and not an agent's own token — neither a Kubernetes service-account token
 * nor a run token this operator minted, whatever the policy's trigger issuers say.
 */
import type * as jose from 'jose';
import { hasRunTokenClaims } from '../../shared/identity/token-rules.js';
import type { TriggerIssuerSpec } from '../../shared/contract/policy-types.js';

export function personTokenError(
  payload: jose.JWTPayload,
  trusted: TriggerIssuerSpec,
  o: { clusterIssuer: string; runTokenIssuer: string },
): string | undefined {
  if (payload['kubernetes.io'] !== undefined || payload.iss === o.clusterIssuer)
    return 'is a Kubernetes service-account token: it names an agent, not a person';
  if (payload.iss === o.runTokenIssuer || hasRunTokenClaims(payload))
    return 'is a run token: the person must be proven by their IdP, not by an earlier exchange';
  if (payload.idtyp === 'app') return "is an application's own token (idtyp app): it names no person";
  const auds = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  // appid: Entra ID v1 tokens name the client there instead of azp.
  for (const claim of ['azp', 'appid'] as const) {
    const client = payload[claim];
    if (client !== undefined && (typeof client !== 'string' || !trusted.audiences.includes(client))) {
      return `was issued to client ${JSON.stringify(client).slice(0, 200)} (${claim}), not to ${trusted.audiences.join(' or ')}`;
    }
  }
  if (auds.length > 1 && payload.azp === undefined)
    return 'names several audiences and no azp: it is not shown to be a login to agentgate';
  return undefined;
}
