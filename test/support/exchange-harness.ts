/**
 * The operator's token exchange (RFC 8693) on 127.0.0.1 without a cluster: the real router, a policy
 * served by a stand-in for the custom-objects API, and a dev key playing the cluster's service-account
 * issuer (actor tokens with kubernetes.io claims, bound to a pod).
 */
import type { CustomObjectsApi } from '@kubernetes/client-node';
import express from 'express';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as jose from 'jose';
import { ensureDevKey, issueDevToken } from '../../proxy/identity/dev-issuer.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import type { ReplayGuard } from '../../operator/identity/shared-replay.js';
import type { SigningKeys } from '../../operator/identity/signing-keys.js';
import { tokenExchangeRouter } from '../../operator/identity/token-exchange.js';

export const CLUSTER_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface ExchangeHarness {
  url: string;
  /** The cluster's service-account JWKS (for the proxy's `kubernetes: true` issuer). */
  clusterJwks: () => Promise<jose.JSONWebKeySet>;
  actorToken(o?: { pod?: string; podUid?: string }): Promise<string>;
  exchange(
    subjectToken: string,
    subjectTokenType: string,
  ): Promise<{ status: number; body: { access_token?: string; error?: string; error_description?: string } }>;
  close(): Promise<void>;
}

export async function startExchange(o: {
  policy: () => AgentAccessPolicy;
  dir: string;
  now?: () => number;
  replay?: ReplayGuard;
}): Promise<ExchangeHarness> {
  const clusterKey = await ensureDevKey(o.dir);
  const clusterJwks = async (): Promise<jose.JSONWebKeySet> =>
    JSON.parse(readFileSync(clusterKey.jwksFile, 'utf8')) as jose.JSONWebKeySet;
  const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
  const pub = await jose.exportJWK(publicKey);
  const kid = await jose.calculateJwkThumbprint(pub);
  const keys = {
    jwks: () => ({ keys: [{ ...pub, kid, alg: 'ES256', use: 'sig' }] }),
    signingKey: async () => ({ kid, key: privateKey }),
  } as unknown as SigningKeys;
  const custom = {
    listNamespacedCustomObject: async () => ({ items: [o.policy()] }),
    getNamespacedCustomObject: async () => o.policy(),
  } as unknown as CustomObjectsApi;
  const app = express();
  let router: express.Router | undefined;
  app.use((req, res, next) => (router ? router(req, res, next) : next()));
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  router = tokenExchangeRouter({
    issuerUrl: url,
    keys,
    custom,
    clusterIssuer: async () => CLUSTER_ISSUER,
    clusterJwks,
    ...(o.now ? { now: o.now } : {}),
    ...(o.replay ? { replay: o.replay } : {}),
  });
  const h: ExchangeHarness = {
    url,
    clusterJwks,
    actorToken: ({ pod = 'agent-pod', podUid = 'uid-agent-pod' } = {}) => {
      const ns = o.policy().metadata.namespace!;
      return issueDevToken({
        dir: o.dir,
        issuer: CLUSTER_ISSUER,
        subject: `system:serviceaccount:${ns}:billing-agent`,
        audience: 'agentgate',
        ttlSeconds: 600,
        claims: {
          'kubernetes.io': {
            namespace: ns,
            serviceaccount: { name: 'billing-agent', uid: 'sa-uid' },
            pod: { name: pod, uid: podUid },
          },
        },
        ...(o.now ? { now: Math.floor(o.now() / 1000) } : {}),
      });
    },
    async exchange(subjectToken, subjectTokenType) {
      const actor = await h.actorToken();
      const res = await fetch(`${url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: subjectToken,
          subject_token_type: subjectTokenType,
          actor_token: actor,
          actor_token_type: 'urn:ietf:params:oauth:token-type:jwt',
        }).toString(),
      });
      return {
        status: res.status,
        body: (await res.json()) as { access_token?: string; error?: string; error_description?: string },
      };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return h;
}
