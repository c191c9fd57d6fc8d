/**
 * OAuth 2.0 Token Exchange (RFC 8693) for agent runs: the person's OIDC token (subject_token) and the
 * agent's service-account token (actor_token) in, a short-lived run token out — signed by the
 * operator, `sub` = the person, `act` = the agent, a `run_id`, the policy. Both inputs are verified,
 * and the policy says which people's issuers are trusted. Also serves the run-token issuer's JWKS.
 */
import { randomUUID } from 'node:crypto';
import type { CustomObjectsApi } from '@kubernetes/client-node';
import express, { type Request, type Response, type Router } from 'express';
import * as jose from 'jose';
import { keySetFor } from '../../shared/identity/key-sets.js';
import {
  ASYMMETRIC_ALGORITHMS,
  CLOCK_TOLERANCE_SECONDS,
  kubernetesClaims,
  tokenTimeError,
} from '../../shared/identity/token-rules.js';
import { listsServiceAccount } from '../../shared/contract/subjects.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { GROUP, POLICY_PLURAL, VERSION } from '../../shared/contract/api.js';
import { messageOf, statusOf } from '../../shared/kube/client.js';
import { groupsFromClaim } from './person-groups.js';
import { personTokenError } from './oidc-subject.js';
import { ReplayCache } from './replay-cache.js';
import { MetadataCache } from './saml-metadata.js';
import { SAML2_TOKEN_TYPE, SamlSubjectError, verifySamlSubject } from './saml-subject.js';
import type { ReplayGuard } from './shared-replay.js';
import type { SigningKeys } from './signing-keys.js';

export const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
export const MAX_RUN_TOKEN_SECONDS = 15 * 60;

export interface TokenExchangeOptions {
  issuerUrl: string;
  keys: SigningKeys;
  custom: CustomObjectsApi;
  /** The cluster's service-account issuer (the actor tokens' iss) and its keys. */
  clusterIssuer: () => Promise<string>;
  clusterJwks: () => Promise<jose.JSONWebKeySet>;
  audience?: string;
  now?: () => number;
  /** Assertion IDs already exchanged (SAML subjects); default a bounded cache of this process on the clock `now`. */
  replay?: ReplayGuard;
  /** SAML IdP metadata fetched from metadataUrl. */
  metadata?: MetadataCache;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

class ExchangeError extends Error {
  constructor(
    readonly code: 'invalid_request' | 'invalid_grant' | 'unauthorized_client' | 'invalid_target',
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export function tokenExchangeRouter(o: TokenExchangeOptions): Router {
  const router = express.Router();
  const now = (): number => Math.floor((o.now?.() ?? Date.now()) / 1000);
  const audience = o.audience ?? 'agentgate';
  const replay = o.replay ?? new ReplayCache(100_000, () => o.now?.() ?? Date.now());
  const metadata = o.metadata ?? new MetadataCache();
  const clusterKeys = keySetFor({ issuer: 'kubernetes', kubernetes: true }, { kubernetesJwks: o.clusterJwks });

  router.get('/.well-known/openid-configuration', (_req, res) => {
    res.json({
      issuer: o.issuerUrl,
      jwks_uri: `${o.issuerUrl}/.well-known/jwks.json`,
      token_endpoint: `${o.issuerUrl}/token`,
      grant_types_supported: [GRANT],
      id_token_signing_alg_values_supported: ['ES256'],
    });
  });
  router.get('/.well-known/jwks.json', (_req, res) => void res.json(o.keys.jwks()));

  router.post(
    '/token',
    express.urlencoded({ extended: false, limit: '64kb' }),
    express.json({ limit: '64kb' }),
    async (req: Request, res: Response) => {
      try {
        const b = (req.body ?? {}) as Record<string, string | undefined>;
        if (b.grant_type !== GRANT) throw new ExchangeError('invalid_request', `grant_type must be ${GRANT}`);
        if (!b.subject_token || !b.actor_token)
          throw new ExchangeError('invalid_request', 'subject_token and actor_token are both required');
        // Repeated form fields arrive as arrays, JSON bodies may hold anything: one string each, or nothing.
        for (const f of ['subject_token', 'actor_token', 'subject_token_type', 'resource'] as const) {
          if (b[f] !== undefined && typeof b[f] !== 'string')
            throw new ExchangeError('invalid_request', `${f} must be given once, as a string`);
        }
        // The actor: a service-account token for audience agentgate, from this cluster.
        const clusterIssuer = await o.clusterIssuer();
        const actor = await verify(b.actor_token, clusterKeys, clusterIssuer, [audience], 'actor_token', now());
        const k8s = kubernetesClaims(actor);
        if (!k8s) throw new ExchangeError('invalid_grant', 'actor_token is not a Kubernetes service-account token');
        const policy = await findPolicy(o.custom, k8s.namespace, k8s.serviceAccount, b.resource);
        const triggers = policy.spec.identity.triggerIssuers ?? [];
        const subjectType = b.subject_token_type ?? JWT_TYPE;
        let subject: jose.JWTPayload & { groups?: string[] };
        if (subjectType === SAML2_TOKEN_TYPE) {
          const person = await verifySamlSubject(b.subject_token, {
            triggerIssuers: triggers,
            defaultRecipient: `${o.issuerUrl}/token`,
            replay,
            metadata,
            now: () => o.now?.() ?? Date.now(),
          }).catch((e: unknown) => {
            throw e instanceof SamlSubjectError ? new ExchangeError('invalid_grant', e.message) : e;
          });
          subject = {
            iss: person.iss,
            sub: person.sub,
            exp: person.exp,
            ...(person.email ? { email: person.email } : {}),
            ...(person.groups ? { groups: person.groups } : {}),
          };
        } else if (subjectType === JWT_TYPE || subjectType === ID_TOKEN_TYPE) {
          const unverified = safeDecode(b.subject_token);
          const trusted = triggers.find((t) => !t.saml && t.issuer === unverified?.iss);
          if (!trusted)
            throw new ExchangeError(
              'invalid_grant',
              `subject_token issuer "${String(unverified?.iss ?? '')}" is not trusted by policy ${policy.metadata.name}`,
            );
          subject = await verify(
            b.subject_token,
            keySetFor(trusted),
            trusted.issuer,
            trusted.audiences,
            'subject_token',
            now(),
          );
          const notPerson = personTokenError(subject, trusted, { clusterIssuer, runTokenIssuer: o.issuerUrl });
          if (notPerson) throw new ExchangeError('invalid_grant', `subject_token ${notPerson}`);
          if (trusted.groupsClaim) {
            try {
              subject = { ...subject, groups: groupsFromClaim(subject, trusted.groupsClaim) };
            } catch (e) {
              throw new ExchangeError('invalid_grant', `subject_token: ${(e as Error).message}`);
            }
          }
        } else {
          throw new ExchangeError(
            'invalid_request',
            `subject_token_type must be ${JWT_TYPE}, ${ID_TOKEN_TYPE} or ${SAML2_TOKEN_TYPE}`,
          );
        }
        // Approvals recognise the person by the usernames the API server gives them: when that is by email,
        // a token without one (a login without the email scope, a SAML name that is not an email) is refused;
        // email_verified counts as verified only when absent or true (some IdPs send the string "false").
        const email =
          typeof subject.email === 'string' &&
          subject.email &&
          subject.email.length <= 512 &&
          (subject.email_verified === undefined || subject.email_verified === true)
            ? subject.email
            : undefined;
        const personIssuer = triggers.find(
          (x) => x.issuer === subject.iss && !!x.saml === (subjectType === SAML2_TOKEN_TYPE),
        );
        if (personIssuer?.kubernetesUsername?.claim === 'email' && !email) {
          throw new ExchangeError(
            'invalid_grant',
            `subject_token carries no usable email (at most 512 characters, not unverified), and issuer ${subject.iss} names people in Kubernetes by email: approvals could not recognise the person`,
          );
        }
        const t = now();
        const exp = Math.min(
          t + MAX_RUN_TOKEN_SECONDS,
          t + policy.spec.identity.maxTokenLifetimeSeconds,
          subject.exp!,
          actor.exp!,
        );
        if (exp <= t) throw new ExchangeError('invalid_grant', 'an input token has expired');
        const { kid, key } = await o.keys.signingKey();
        const runId = randomUUID();
        const token = await new jose.SignJWT({
          run_id: runId,
          policy: `${policy.metadata.namespace}/${policy.metadata.name}`,
          triggered_by_iss: subject.iss,
          // The API server may name the person by email (claim email): it travels so approvals can refuse it.
          ...(email ? { triggered_by_email: email } : {}),
          ...(subject.groups ? { triggered_by_groups: subject.groups } : {}),
          act: { sub: actor.sub, iss: actor.iss, kubernetes: k8s },
        })
          .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
          .setIssuer(o.issuerUrl)
          .setSubject(subject.sub!)
          .setAudience(audience)
          .setIssuedAt(t)
          .setNotBefore(t)
          .setExpirationTime(exp)
          .setJti(randomUUID())
          .sign(key);
        o.log?.('info', 'run token issued', {
          runId,
          person: subject.sub,
          personIssuer: subject.iss,
          groups: subject.groups,
          agent: actor.sub,
          policy: policy.metadata.name,
          expiresIn: exp - t,
        });
        res.json({ access_token: token, issued_token_type: JWT_TYPE, token_type: 'N_A', expires_in: exp - t });
      } catch (e) {
        const err = e instanceof ExchangeError ? e : new ExchangeError('invalid_request', messageOf(e), 500);
        o.log?.('warn', 'token exchange refused', { error: err.message });
        res.status(err.status).json({ error: err.code, error_description: err.message });
      }
    },
  );
  return router;
}

async function verify(
  token: string,
  keys: ReturnType<typeof keySetFor>,
  issuer: string,
  audiences: string[],
  what: string,
  now: number,
): Promise<jose.JWTPayload> {
  let payload: jose.JWTPayload;
  try {
    ({ payload } = await jose.jwtVerify(token, keys, {
      issuer,
      audience: audiences,
      algorithms: ASYMMETRIC_ALGORITHMS,
      requiredClaims: ['exp', 'sub'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(now * 1000),
    }));
  } catch (e) {
    const reason =
      e instanceof jose.errors.JWTExpired
        ? 'has expired'
        : e instanceof jose.errors.JWTClaimValidationFailed
          ? `claim ${e.claim} is invalid`
          : (e as Error).message;
    throw new ExchangeError('invalid_grant', `${what} ${reason}`);
  }
  // The run token's lifetime is capped from now below; an input issued in the future is refused.
  const timing = tokenTimeError(payload, now, CLOCK_TOLERANCE_SECONDS);
  if (timing) throw new ExchangeError('invalid_grant', `${what}: ${timing}`);
  return payload;
}

function safeDecode(token: string): jose.JWTPayload | undefined {
  try {
    return jose.decodeJwt(token);
  } catch {
    return undefined;
  }
}

async function findPolicy(
  custom: CustomObjectsApi,
  namespace: string,
  sa: string,
  resource?: string,
): Promise<AgentAccessPolicy> {
  const selects = (p: AgentAccessPolicy): boolean =>
    listsServiceAccount(p.spec.subjects, p.metadata.namespace, namespace, sa);
  if (resource) {
    const name = resource.includes('/') ? resource.split('/')[1]! : resource;
    try {
      const p = (await custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: POLICY_PLURAL,
        name,
      })) as AgentAccessPolicy;
      if (!selects(p))
        throw new ExchangeError(
          'unauthorized_client',
          `service account ${namespace}/${sa} is not a subject of policy ${name}`,
        );
      return p;
    } catch (e) {
      if (statusOf(e) === 404) throw new ExchangeError('invalid_target', `no AgentAccessPolicy ${namespace}/${name}`);
      throw e;
    }
  }
  const list = (await custom.listNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: POLICY_PLURAL,
  })) as { items: AgentAccessPolicy[] };
  const matching = list.items.filter(selects);
  if (matching.length !== 1)
    throw new ExchangeError(
      matching.length ? 'invalid_target' : 'unauthorized_client',
      matching.length
        ? 'several policies name this service account; pass resource=<policy>'
        : `no policy in ${namespace} names service account ${sa} as a subject`,
    );
  return matching[0]!;
}
