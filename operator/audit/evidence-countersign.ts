/**
 * The operator countersigns evidence bundles exported from the cluster: `POST /evidence/countersign`
 * with the manifest's sha256 and the caller's own Kubernetes bearer token. The API server says who the
 * caller is (TokenReview) and whether they may (SubjectAccessReview: verb `countersign` on
 * `evidencebundles.agentgate.dev`, in the export's namespace or cluster-wide; the chart's
 * `agentgate-auditor` ClusterRole grants it). The answer is an ES256 JWS by the operator's audit key over
 * {manifestSha256, who asked, when by the operator's clock}: a bundle edited afterwards no longer
 * matches it, and its author cannot sign for the operator. The operator never sees the files, so the
 * countersignature proves who exported what digest when; the contents rest on the chain and the
 * checkpoints the operator signed, which the bundle carries.
 */
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import express, { type Request, type Response, type Router } from 'express';
import * as jose from 'jose';
import {
  COUNTERSIGNATURE_TYPE,
  MANIFEST_AUDIENCE,
  type CountersignaturePayload,
} from '../../shared/contract/evidence-countersignature.js';
import { messageOf } from '../../shared/kube/client.js';
import type { SigningKeys } from '../identity/signing-keys.js';
import { sendProblem } from '../webhook/pod-api.js';

export const COUNTERSIGN_PATH = '/evidence/countersign';
/** What the chart grants auditors: `countersign` on this resource (a name only RBAC knows; no such objects exist). */
export const COUNTERSIGN_PERMISSION = {
  group: 'agentgate.dev',
  resource: 'evidencebundles',
  verb: 'countersign',
} as const;

export interface EvidenceCountersignOptions {
  kc: KubeConfig;
  keys: SigningKeys;
  /** The URL the operator is reached at (the countersignature's issuer). */
  issuerUrl: string;
  now?: () => number;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function evidenceCountersignRouter(o: EvidenceCountersignOptions): Router {
  const authn = o.kc.makeApiClient(AuthenticationV1Api);
  const authz = o.kc.makeApiClient(AuthorizationV1Api);
  const router = express.Router();
  router.post(COUNTERSIGN_PATH, express.json({ limit: '2kb' }), async (req: Request, res: Response) => {
    try {
      const token = /^Bearer ([\x21-\x7e]{1,8192})$/.exec(req.get('authorization') ?? '')?.[1];
      if (!token) throw new Refusal(401, 'your Kubernetes bearer token is required (Authorization: Bearer)');
      const b = (req.body ?? {}) as { manifestSha256?: unknown; namespace?: unknown; check?: unknown };
      // {"check": true}: authenticate and authorize only, so an exporter learns before writing a bundle.
      const check = b.check === true;
      if (!check && (typeof b.manifestSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(b.manifestSha256)))
        throw new Refusal(
          400,
          'body must be {"manifestSha256": 64 hex digits, "namespace"?: the export\'s namespace} or {"check": true, "namespace"?: …}',
        );
      if (b.namespace !== undefined && (typeof b.namespace !== 'string' || !DNS_LABEL.test(b.namespace)))
        throw new Refusal(400, 'namespace must be a namespace name');
      const namespace = b.namespace as string | undefined;
      const review = await authn.createTokenReview({
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
      });
      const user = review.status?.user;
      if (!review.status?.authenticated || !user?.username)
        throw new Refusal(
          401,
          `the API server did not authenticate the token${review.status?.error ? `: ${review.status.error}` : ''}`,
        );
      const access = await authz.createSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user: user.username,
            ...(user.groups ? { groups: user.groups } : {}),
            ...(user.uid ? { uid: user.uid } : {}),
            ...(user.extra ? { extra: user.extra } : {}),
            resourceAttributes: { ...COUNTERSIGN_PERMISSION, ...(namespace ? { namespace } : {}) },
          },
        },
      });
      const where = namespace ? `in namespace ${namespace}` : 'cluster-wide (an export of all namespaces)';
      if (!access.status?.allowed)
        throw new Refusal(
          403,
          `${user.username} may not have evidence countersigned ${where}: needs verb ${COUNTERSIGN_PERMISSION.verb} on ${COUNTERSIGN_PERMISSION.resource}.${COUNTERSIGN_PERMISSION.group} (ClusterRole agentgate-auditor)`,
        );
      if (check) {
        res.json({ allowed: true, user: user.username });
        return;
      }
      const { kid, key } = await o.keys.signingKey();
      const payload: CountersignaturePayload = {
        iss: o.issuerUrl,
        aud: MANIFEST_AUDIENCE,
        iat: Math.floor((o.now?.() ?? Date.now()) / 1000),
        manifestSha256: b.manifestSha256 as string,
        sub: user.username,
        ...(user.groups?.length ? { groups: user.groups } : {}),
        ...(namespace ? { namespace } : {}),
      };
      const jws = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader({ alg: 'ES256', kid, typ: COUNTERSIGNATURE_TYPE })
        .sign(key);
      o.log?.('info', 'evidence bundle countersigned', {
        user: user.username,
        manifestSha256: b.manifestSha256,
        namespace: namespace ?? '(all)',
      });
      res.json({ jws, kid });
    } catch (e) {
      const status = e instanceof Refusal ? e.status : 500;
      if (status === 500) o.log?.('error', 'evidence countersignature failed', { error: messageOf(e) });
      sendProblem(res, status, messageOf(e), 'countersignature refused');
    }
  });
  return router;
}
