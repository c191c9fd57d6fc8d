/**
 * Review 10 (the operator's feeds after review 9's fixes): the feed endpoint with scripted API clients, so
 * what the API server answers (or not) is under the test's control. The proxy token is a real JWT, signed
 * with a key the fake cluster issuer publishes; the pod read that authenticates it is scripted too.
 */
import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import express from 'express';
import * as jose from 'jose';
import { KubeConfig } from '@kubernetes/client-node';
import { proxyFeedsRouter } from '../../operator/proxy-feeds-endpoint.js';
import { FEEDS } from '../../shared/contract/feeds.js';
import { STATUS } from '../../shared/contract/labels.js';

const NS = 'agents';
const POLICY = 'billing-agent';
const POD = 'agent-pod';
const POD_UID = '11111111-2222-3333-4444-555555555555';
const ISSUER = 'https://kubernetes.default.svc';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface FeedServer {
  get: (path: string, signal?: AbortSignal) => Promise<{ status: number; body: { token?: string } }>;
  stopping: AbortController;
  /** What the scripted API server does with a list: answer, fail, or hang (until close). */
  setLists: (l: 'up' | 'down' | 'hang') => void;
  close: () => void;
}

/** The operator's feed router over plain HTTP, with scripted API clients and a real signed proxy token. */
async function feedServer(): Promise<FeedServer> {
  let lists: 'up' | 'down' | 'hang' = 'up';
  const hung: (() => void)[] = [];
  const list = async (): Promise<unknown> => {
    if (lists === 'down') throw new Error('connect ECONNREFUSED (API server)');
    if (lists === 'hang') {
      await new Promise<void>((r) => hung.push(r));
      throw new Error('the API server never answered');
    }
    return {
      metadata: { resourceVersion: '100' },
      items: [
        {
          apiVersion: 'agentgate.dev/v1alpha1',
          kind: 'AgentAccessPolicy',
          metadata: { name: POLICY, namespace: NS, uid: 'p-uid', resourceVersion: '7' },
        },
      ],
    };
  };
  const { publicKey, privateKey } = await jose.generateKeyPair('RS256');
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const now = Math.floor(Date.now() / 1000);
  const token = await new jose.SignJWT({
    'kubernetes.io': { namespace: NS, serviceaccount: { name: POLICY }, pod: { name: POD, uid: POD_UID } },
  })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(ISSUER)
    .setAudience('agentgate-proxy')
    .setSubject(`system:serviceaccount:${NS}:${POLICY}`)
    .setIssuedAt(now - 5)
    .setExpirationTime(now + 3600)
    .sign(privateKey);
  // Watches go nowhere (connection refused): a feed's hold is then waited out to its end.
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  const stopping = new AbortController();
  const core = {
    readNamespacedPod: async () => ({
      metadata: {
        name: POD,
        namespace: NS,
        uid: POD_UID,
        annotations: { [STATUS]: JSON.stringify({ policy: `${NS}/${POLICY}` }) },
      },
    }),
    listNamespacedConfigMap: list,
  };
  const app = express();
  app.use(
    proxyFeedsRouter({
      kc,
      core: core as never,
      custom: { listNamespacedCustomObject: list } as never,
      clusterIssuer: async () => ISSUER,
      clusterJwks: async () => ({ keys: [jwk] }),
      stopping: stopping.signal,
    }),
  );
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    get: (path, signal) =>
      fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` }, ...(signal ? { signal } : {}) }).then(
        async (r) => ({ status: r.status, body: (await r.json()) as { token?: string } }),
      ),
    stopping,
    setLists: (l) => (lists = l),
    close: () => {
      hung.forEach((r) => r());
      server.closeAllConnections();
      server.close();
    },
  };
}

describe('review 10: the operator feed endpoint when the API server goes away or hangs', function () {
  this.timeout(60_000);
  let s: FeedServer | undefined;
  afterEach(() => s?.close());

  // feeds.ts: "an answer tells the sidecar the control plane was reachable within the last `wait` seconds";
  // security.md: "every answer is a fresh list the operator made from the API server (one it cannot make is a
  // 503), so an operator that lost the API server does not keep the sidecar available". On stop, a held call
  // is answered 200 with the list made when it began, although the API server has been unreachable since:
  // the sidecar counts that answer as contact now (operator-feed.ts apply -> onSync -> heard(now)), so it
  // stays available up to `wait` seconds (20 s at the default 60 s bound) past its staleness bound, and a
  // change made during the hold (policy deleted or tightened) is not in the answer.
  it('an operator that stops does not answer a held call with a list older than the API server outage', async () => {
    s = await feedServer();
    const first = await s.get(FEEDS.policy);
    expect(first.status).to.equal(200);
    const held = s.get(`${FEEDS.policy}?after=${first.body.token}&wait=20`);
    await sleep(500);
    s.setLists('down'); // the API server is gone from here on
    await sleep(3_000);
    s.stopping.abort(); // the operator stops (rolling update, eviction)
    const answer = await held;
    expect(answer.status, 'a held call answered from the list made before the API server went away').to.not.equal(200);
  });

  // proxy-feeds-endpoint.ts counts a call in its pod's lane from before its first list until the handler
  // ends; the list is not abandoned when the caller leaves. A sidecar whose calls time out against an API
  // server that does not answer (operator-feed.ts: wait + 15 s, then retries with backoff) leaves four
  // such handlers; once the API server answers again, every new call of that pod is refused 429 until the
  // abandoned lists end (undici's default headers timeout: 300 s), though the pod has no call open.
  it('a pod whose earlier callers are all gone is not refused 429', async () => {
    s = await feedServer();
    s.setLists('hang');
    for (let i = 0; i < 4; i++) {
      const call = new AbortController();
      const p = s.get(FEEDS.policy, call.signal).catch(() => undefined);
      await sleep(200);
      call.abort(); // the sidecar's timeout: it retries with a new call
      await p;
    }
    s.setLists('up'); // the API server answers again
    await sleep(500);
    const next = await s.get(FEEDS.policy);
    expect(next.status, 'the sidecar, with no call open, locked out by its abandoned ones').to.equal(200);
  });
});
