/**
 * Verifies the short-lived JWT an agent presents (as its Postgres password) with `jose`: signature
 * against the issuer's JWKS, iss, aud, exp/nbf, a lifetime cap, and only asymmetric algorithms.
 * Every failure is an IdentityError naming the reason; the listener turns it into SQLSTATE 28P01.
 */
import * as jose from 'jose';
import { listsServiceAccount } from '../../shared/contract/subjects.js';
import type { IssuerSpec, PolicySpec } from '../../shared/contract/policy-types.js';
import { keySetFor, type KeyResolver } from '../../shared/identity/key-sets.js';
import { checkRunToken } from './run-token.js';
import {
  ASYMMETRIC_ALGORITHMS,
  CLOCK_TOLERANCE_SECONDS,
  kubernetesClaims,
  tokenTimeError,
} from '../../shared/identity/token-rules.js';

export interface Principal {
  iss: string;
  sub: string;
  jti?: string;
  iat: number;
  exp: number;
  claims: jose.JWTPayload;
  /** For Kubernetes service-account tokens: who, in which pod. */
  kubernetes?: { namespace: string; serviceAccount: string; pod?: string };
  /** For run tokens: the person or system that triggered the run. `sub` is then the agent (the actor). */
  triggeredBy?: { iss: string; sub: string; email?: string; groups?: string[] };
  runId?: string;
}

/** The principal as audit records carry it. */
export function principalRecord(p: Principal): {
  iss: string;
  sub: string;
  jti?: string;
  kubernetes?: Principal['kubernetes'];
  triggeredBy?: Principal['triggeredBy'];
  runId?: string;
} {
  return {
    iss: p.iss,
    sub: p.sub,
    ...(p.jti ? { jti: p.jti } : {}),
    ...(p.kubernetes ? { kubernetes: p.kubernetes } : {}),
    ...(p.triggeredBy ? { triggeredBy: p.triggeredBy } : {}),
    ...(p.runId ? { runId: p.runId } : {}),
  };
}

export class IdentityError extends Error {
  constructor(
    message: string,
    readonly sqlState: '28000' | '28P01' = '28P01',
  ) {
    super(message);
    this.name = 'IdentityError';
  }
}

type KeySet = KeyResolver;

export interface TokenVerifierOptions {
  /** Resolves relative jwksFile paths (local mode: relative to the policy file). */
  resolvePath?: (p: string) => string;
  /** Injected clock (seconds), for tests. */
  now?: () => number;
  clockToleranceSeconds?: number;
  /** Fetches the cluster's service-account issuer JWKS (for `kubernetes: true` issuers). */
  kubernetesJwks?: () => Promise<jose.JSONWebKeySet>;
  /** Binding for Kubernetes tokens: the policy's namespace and subjects, and the pod the proxy serves. */
  binding?: {
    namespace?: string;
    subjects?: PolicySpec['subjects'];
    pod?: { name: string; namespace: string; uid?: string };
  };
  /** Run tokens: the operator's run-token issuer and this proxy's policy (namespace/name); see run-token.ts. */
  runTokens?: { issuer?: string; policy?: string };
}

export class TokenVerifier {
  private readonly keySets = new Map<string, KeySet>();
  private readonly issuers = new Map<string, IssuerSpec>();
  private readonly now: () => number;

  constructor(
    private readonly identity: PolicySpec['identity'],
    private readonly opts: TokenVerifierOptions = {},
  ) {
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000));
    for (const iss of identity.issuers) {
      this.issuers.set(iss.issuer, iss);
      this.keySets.set(iss.issuer, this.keySetFor(iss));
    }
  }

  private keySetFor(iss: IssuerSpec): KeySet {
    return keySetFor(iss, {
      ...(this.opts.resolvePath ? { resolvePath: this.opts.resolvePath } : {}),
      ...(this.opts.kubernetesJwks ? { kubernetesJwks: this.opts.kubernetesJwks } : {}),
    });
  }

  async verify(token: string): Promise<Principal> {
    if (!token) throw new IdentityError('no token was presented as the password', '28000');
    let header: jose.ProtectedHeaderParameters;
    let unverified: jose.JWTPayload;
    try {
      header = jose.decodeProtectedHeader(token);
      unverified = jose.decodeJwt(token);
    } catch {
      throw new IdentityError('the password is not a well-formed JWT');
    }
    if (!header.alg || !ASYMMETRIC_ALGORITHMS.includes(header.alg)) {
      // What the agent sent is quoted as a JSON string (its quotes escaped): the audit and review read the text around it.
      throw new IdentityError(
        `token algorithm ${JSON.stringify(String(header.alg ?? 'none'))} is not accepted (asymmetric signatures only)`,
      );
    }
    const issuer = typeof unverified.iss === 'string' ? this.issuers.get(unverified.iss) : undefined;
    if (!issuer)
      throw new IdentityError(
        `token issuer ${JSON.stringify(String(unverified.iss ?? ''))} is not trusted by this policy`,
      );
    let payload: jose.JWTPayload;
    try {
      ({ payload } = await jose.jwtVerify(token, this.keySets.get(issuer.issuer)!, {
        issuer: issuer.issuer,
        audience: issuer.audiences,
        algorithms: ASYMMETRIC_ALGORITHMS,
        requiredClaims: ['exp', 'iat', 'sub'],
        clockTolerance: this.opts.clockToleranceSeconds ?? CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(this.now() * 1000),
      }));
    } catch (e) {
      throw new IdentityError(describeJoseError(e));
    }
    const timing = tokenTimeError(
      payload,
      this.now(),
      this.opts.clockToleranceSeconds ?? CLOCK_TOLERANCE_SECONDS,
      this.identity.maxTokenLifetimeSeconds,
    );
    if (timing) throw new IdentityError(timing);
    const base = {
      iss: payload.iss!,
      ...(payload.jti ? { jti: payload.jti } : {}),
      iat: payload.iat!,
      exp: payload.exp!,
      claims: payload,
    };
    let run;
    try {
      run = checkRunToken(payload, { identity: this.identity, ...this.opts.runTokens });
    } catch (e) {
      throw new IdentityError((e as Error).message);
    }
    if (run) {
      // A run token: the agent is the actor, bound to this pod; the subject is who triggered the run.
      const kubernetes = this.bind(run.actor.namespace, run.actor.serviceAccount, run.actor.pod, run.actor.podUid);
      return { ...base, sub: run.sub, triggeredBy: run.triggeredBy, runId: run.runId, kubernetes };
    }
    if (this.identity.requireTriggeredBy) {
      throw new IdentityError(
        "this policy requires a run token that names who triggered the run (exchange your token at the operator's /token endpoint)",
      );
    }
    const kubernetes = issuer.kubernetes ? this.bindKubernetes(payload) : undefined;
    return {
      iss: payload.iss!,
      sub: payload.sub!,
      ...(payload.jti ? { jti: payload.jti } : {}),
      iat: payload.iat!,
      exp: payload.exp!,
      claims: payload,
      ...(kubernetes ? { kubernetes } : {}),
    };
  }

  /**
   * A service-account token must belong to a service account the policy's subjects list (or, without
   * such a list, one in the policy's namespace) and, when the proxy knows its pod, to that very pod.
   */
  private bindKubernetes(payload: jose.JWTPayload): NonNullable<Principal['kubernetes']> {
    const k8s = kubernetesClaims(payload);
    if (!k8s) throw new IdentityError('token is not a Kubernetes service-account token (no kubernetes.io claims)');
    return this.bind(k8s.namespace, k8s.serviceAccount, k8s.pod, k8s.podUid);
  }

  private bind(
    namespace: string,
    sa: string,
    pod: string | undefined,
    podUid: string | undefined,
  ): NonNullable<Principal['kubernetes']> {
    const b = this.opts.binding ?? {};
    const allowed = b.subjects?.serviceAccounts?.length
      ? listsServiceAccount(b.subjects, b.namespace, namespace, sa)
      : namespace === b.namespace;
    if (!allowed) throw new IdentityError(`service account ${namespace}/${sa} is not a subject of this policy`);
    if (b.pod) {
      if (!pod)
        throw new IdentityError('token is not bound to a pod; use the projected token mounted into the agent pod');
      if (pod !== b.pod.name || namespace !== b.pod.namespace)
        throw new IdentityError(
          `token belongs to pod ${namespace}/${pod}, not to this pod (${b.pod.namespace}/${b.pod.name})`,
        );
      // A pod re-created under the same name is another pod: the old one's tokens are not its own.
      if (b.pod.uid && podUid !== b.pod.uid)
        throw new IdentityError(
          `token belongs to an earlier pod named ${namespace}/${pod} (uid ${podUid ?? 'none'}), not to this pod (uid ${b.pod.uid})`,
        );
    }
    return { namespace, serviceAccount: sa, ...(pod ? { pod } : {}) };
  }
}

function describeJoseError(e: unknown): string {
  if (e instanceof jose.errors.JWTExpired) return 'token has expired';
  if (e instanceof jose.errors.JWTClaimValidationFailed) {
    if (e.claim === 'aud') return 'token audience is not accepted by this policy';
    if (e.claim === 'nbf') return 'token is not yet valid (nbf)';
    if (e.claim === 'iat') return 'token iat is in the future';
    return `token claim "${e.claim}" is invalid: ${e.reason}`;
  }
  if (e instanceof jose.errors.JWKSNoMatchingKey) return "no key in the issuer's JWKS matches the token (unknown kid)";
  if (e instanceof jose.errors.JWKSMultipleMatchingKeys) return 'several JWKS keys match the token; a kid is required';
  if (e instanceof jose.errors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  if (e instanceof jose.errors.JOSEAlgNotAllowed) return 'token algorithm is not accepted';
  if (e instanceof jose.errors.JWTInvalid) return `token is invalid: ${e.message}`;
  if (e instanceof jose.errors.JOSEError) return `token rejected: ${e.message}`;
  return `token could not be verified: ${(e as Error).message}`;
}
