/**
 * Run tokens (the operator's RFC 8693 token exchange: `sub` = the person, `act` = the agent pod). A
 * proxy accepts one only when it comes from the operator's run-token issuer, was exchanged under this
 * very policy, names a person from one of this policy's `triggerIssuers`, and its actor is a service
 * account of this pod. A token that carries run-token claims and fails any of these is refused, never
 * read as a plain token.
 */
import type * as jose from 'jose';
import type { PolicySpec } from '../../shared/contract/policy-types.js';
import { hasRunTokenClaims } from '../../shared/identity/token-rules.js';

export { hasRunTokenClaims };

/** Claims of a run token minted by the operator's token exchange (RFC 8693 `act`). */
export interface RunTokenClaims {
  run_id: string;
  act: {
    sub: string;
    iss?: string;
    kubernetes?: { namespace: string; serviceAccount: string; pod?: string; podUid?: string };
  };
  triggered_by_iss: string;
  /** The person's email, when their token carried one not marked unverified (their Kubernetes username may be it). */
  triggered_by_email?: string;
  /** The person's groups from their IdP (OIDC groupsClaim, SAML groupsAttribute), when the issuer names them. */
  triggered_by_groups?: string[];
  /** The policy (namespace/name) the token was exchanged under. */
  policy: string;
}

export interface RunTokenContext {
  /** The operator's run-token issuer; without one, no run token is accepted. */
  issuer?: string;
  /** This proxy's policy, namespace/name. */
  policy?: string;
  identity: PolicySpec['identity'];
}

export interface RunTokenIdentity {
  /** The agent (the actor). */
  sub: string;
  triggeredBy: { iss: string; sub: string; email?: string; groups?: string[] };
  runId: string;
  actor: { namespace: string; serviceAccount: string; pod?: string; podUid?: string };
}

/**
 * Checks a verified token's run-token claims against this policy. Returns undefined for a plain token
 * (no run-token claims, not from the run-token issuer); throws the reason otherwise. Pod binding of the
 * actor is the caller's (the same as for the pod's own tokens).
 */
export function checkRunToken(payload: jose.JWTPayload, ctx: RunTokenContext): RunTokenIdentity | undefined {
  const fromRunIssuer = !!ctx.issuer && payload.iss === ctx.issuer;
  if (!hasRunTokenClaims(payload)) {
    if (fromRunIssuer)
      throw new Error(`a token from the run-token issuer ${ctx.issuer} must be a run token (run_id, act)`);
    return undefined;
  }
  if (!fromRunIssuer) {
    throw new Error(
      `token carries run-token claims (run_id/act) but was not issued by the operator's run-token issuer${ctx.issuer ? ` (${ctx.issuer})` : ' (none is configured for this policy)'}`,
    );
  }
  const run = payload as jose.JWTPayload & Partial<RunTokenClaims>;
  if (typeof run.run_id !== 'string' || !run.run_id) throw new Error('run token has no run_id');
  if (!ctx.policy || run.policy !== ctx.policy)
    throw new Error(
      `run token was exchanged under policy "${String(run.policy ?? '')}", not this proxy's policy ${ctx.policy ?? '(unknown)'}`,
    );
  const person = run.triggered_by_iss;
  const triggers = (ctx.identity.triggerIssuers ?? []).map((t) => t.issuer);
  if (typeof person !== 'string' || !triggers.includes(person)) {
    throw new Error(
      `run token names a person from issuer "${String(person ?? '')}", which is not one of this policy's triggerIssuers`,
    );
  }
  const act = run.act;
  const k = act?.kubernetes;
  if (
    !act ||
    typeof act.sub !== 'string' ||
    !k ||
    typeof k.namespace !== 'string' ||
    typeof k.serviceAccount !== 'string'
  ) {
    throw new Error(
      "run token's actor is not a Kubernetes service account (act.kubernetes is missing): it cannot be bound to this pod",
    );
  }
  if (act.sub !== `system:serviceaccount:${k.namespace}:${k.serviceAccount}`)
    throw new Error(
      `run token's actor ${act.sub} does not match its act.kubernetes (${k.namespace}/${k.serviceAccount})`,
    );
  const clusterIssuers = ctx.identity.issuers.filter((i) => i.kubernetes).map((i) => i.issuer);
  if (clusterIssuers.length && !clusterIssuers.includes(String(act.iss ?? '')))
    throw new Error(
      `run token's actor was issued by "${String(act.iss ?? '')}", not by this cluster's service-account issuer`,
    );
  const groups = run.triggered_by_groups;
  if (
    groups !== undefined &&
    (!Array.isArray(groups) ||
      groups.length > 256 ||
      !groups.every((g) => typeof g === 'string' && g.length > 0 && g.length <= 256))
  ) {
    throw new Error("run token's triggered_by_groups is not a list of group names");
  }
  return {
    sub: act.sub,
    triggeredBy: {
      iss: person,
      sub: String(payload.sub ?? ''),
      ...(typeof run.triggered_by_email === 'string' && run.triggered_by_email
        ? { email: run.triggered_by_email }
        : {}),
      ...(groups ? { groups } : {}),
    },
    runId: run.run_id,
    actor: {
      namespace: k.namespace,
      serviceAccount: k.serviceAccount,
      ...(typeof k.pod === 'string' ? { pod: k.pod } : {}),
      ...(typeof k.podUid === 'string' ? { podUid: k.podUid } : {}),
    },
  };
}
