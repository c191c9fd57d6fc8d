/**
 * `GET /feeds/{policy,compiled,approvals}` and `GET /kubernetes/jwks`: what a sidecar follows, read
 * for it by the operator (shared/contract/feeds.ts). The sidecar asks with its own pod-bound token; the
 * scope comes from the authenticated pod alone — its namespace, the policy its injector stamp names,
 * its uid — never from the request. So the sidecar needs no Kubernetes client (most of its idle memory
 * once), and the pod's service account, which is the agent's, needs no read rights for it.
 *
 * Each answer is a fresh list with the operator's credentials. With `after` equal to the current token,
 * the answer waits until one of the objects changes (one watch per namespace and kind, shared by all held
 * calls: feed-changes.ts), the wait ends or the caller leaves, then lists again. An API server the operator cannot reach is an error (503 for the list, 500 when
 * the caller's pod cannot be read): the sidecar's staleness bound counts only answers. Each pod has at most
 * MAX_HELD_PER_POD_FEED calls open per feed.
 */
import { createHash } from 'node:crypto';
import type { CustomObjectsApi, KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import express, { type Request, type Response, type Router } from 'express';
import { APPROVAL_PLURAL, GROUP, POLICY_PLURAL, policyConfigMapName, VERSION } from '../shared/contract/api.js';
import {
  FEED_AFTER,
  FEED_MAX_WAIT_SECONDS,
  FEED_WAIT,
  FEEDS,
  KUBERNETES_JWKS_PATH,
  type FeedAnswer,
  type FeedKind,
} from '../shared/contract/feeds.js';
import { APPROVAL_POD_UID_LABEL, APPROVAL_POLICY_LABEL, POLICY_LABEL } from '../shared/contract/labels.js';
import { messageOf } from '../shared/kube/client.js';
import { FeedChanges, type WatchTarget } from './feed-changes.js';
import {
  ProxyRequestError,
  proxyTokenVerifier,
  type ProxyIdentity,
  type ProxyTokenOptions,
} from './identity/proxy-token.js';
import { sendProblem } from './webhook/pod-api.js';

export interface ProxyFeedsOptions extends ProxyTokenOptions {
  kc: KubeConfig;
  custom: CustomObjectsApi;
  /** Aborted when the operator stops: held answers go out at once, and their connections close. */
  stopping?: AbortSignal;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

/** Calls one pod may have open on one feed at once. */
const MAX_HELD_PER_POD_FEED = 4;

interface Scope {
  list: () => Promise<{ items: KubernetesObject[] }>;
  /** The shared watch that tells when to list again, and which of its objects are this scope's. */
  watch: WatchTarget;
  matches: (o: KubernetesObject) => boolean;
}

export function proxyFeedsRouter(o: ProxyFeedsOptions): Router {
  const router = express.Router();
  const authenticate = proxyTokenVerifier(o);
  /** Open calls per pod uid and feed. */
  const held = new Map<string, number>();
  const changes = new FeedChanges(o.kc);
  const listCustom = (
    namespace: string,
    plural: string,
    query: { fieldSelector?: string; labelSelector?: string; limit?: number },
  ) =>
    o.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural, ...query }) as Promise<{
      metadata?: { resourceVersion?: string };
      items: KubernetesObject[];
    }>;
  const customVersion = async (namespace: string, plural: string): Promise<string | undefined> =>
    (await listCustom(namespace, plural, { limit: 1 })).metadata?.resourceVersion;
  o.stopping?.addEventListener('abort', () => changes.stop(), { once: true });
  const scopes: Record<FeedKind, (caller: ProxyIdentity) => Scope> = {
    policy: (c) => {
      const fieldSelector = `metadata.name=${c.policy}`;
      return {
        watch: {
          path: `/apis/${GROUP}/${VERSION}/namespaces/${c.namespace}/${POLICY_PLURAL}`,
          resourceVersion: () => customVersion(c.namespace, POLICY_PLURAL),
        },
        matches: (p) => p.metadata?.name === c.policy,
        list: () => listCustom(c.namespace, POLICY_PLURAL, { fieldSelector }),
      };
    },
    compiled: (c) => {
      // The one ConfigMap the operator writes for the policy: others with its label are not listed.
      const labelSelector = `${POLICY_LABEL}=${c.policy}`;
      const fieldSelector = `metadata.name=${policyConfigMapName(c.policy)}`;
      return {
        watch: {
          path: `/api/v1/namespaces/${c.namespace}/configmaps`,
          labelSelector: POLICY_LABEL,
          resourceVersion: async () =>
            (await o.core.listNamespacedConfigMap({ namespace: c.namespace, labelSelector: POLICY_LABEL, limit: 1 }))
              .metadata?.resourceVersion,
        },
        matches: (cm) => cm.metadata?.name === policyConfigMapName(c.policy),
        list: () => o.core.listNamespacedConfigMap({ namespace: c.namespace, labelSelector, fieldSelector }) as never,
      };
    },
    approvals: (c) => {
      const labelSelector = `${APPROVAL_POLICY_LABEL}=${c.policy},${APPROVAL_POD_UID_LABEL}=${c.podUid}`;
      return {
        watch: {
          path: `/apis/${GROUP}/${VERSION}/namespaces/${c.namespace}/${APPROVAL_PLURAL}`,
          resourceVersion: () => customVersion(c.namespace, APPROVAL_PLURAL),
        },
        matches: (a) =>
          a.metadata?.labels?.[APPROVAL_POLICY_LABEL] === c.policy &&
          a.metadata?.labels?.[APPROVAL_POD_UID_LABEL] === c.podUid,
        list: () => listCustom(c.namespace, APPROVAL_PLURAL, { labelSelector }),
      };
    },
  };

  for (const kind of Object.keys(FEEDS) as FeedKind[]) {
    router.get(FEEDS[kind], async (req: Request, res: Response) => {
      // Before anything is awaited: a caller gone at any point is seen, and nothing is listed or watched for it.
      const gone = new AbortController();
      res.on('close', () => gone.abort());
      if (res.closed || req.socket.destroyed) gone.abort();
      try {
        const caller = await authenticate(req.get('authorization'));
        const after = req.query[FEED_AFTER];
        const wait = req.query[FEED_WAIT];
        if ((after !== undefined && typeof after !== 'string') || (wait !== undefined && typeof wait !== 'string'))
          throw new ProxyRequestError(400, `${FEED_AFTER} and ${FEED_WAIT} are given at most once each`);
        const waitSeconds = wait === undefined ? 0 : Number(wait);
        if (!Number.isInteger(waitSeconds) || waitSeconds < 0)
          throw new ProxyRequestError(400, `${FEED_WAIT} must be a whole number of seconds`);
        if (gone.signal.aborted) return;
        // A sidecar holds one answer per feed; a few more cover a reconnect racing the old call.
        const lane = `${caller.podUid}/${kind}`;
        const inLane = held.get(lane) ?? 0;
        if (inLane >= MAX_HELD_PER_POD_FEED)
          throw new ProxyRequestError(429, `pod ${caller.pod} already has ${inLane} ${kind} feed calls open`);
        held.set(lane, inLane + 1);
        // The place is freed when the caller leaves, even while a list made for it is still on its way.
        let released = false;
        const release = (): void => {
          if (released) return;
          released = true;
          const n = (held.get(lane) ?? 1) - 1;
          if (n > 0) held.set(lane, n);
          else held.delete(lane);
        };
        gone.signal.addEventListener('abort', release);
        try {
          const answer = await answerFeed(
            changes,
            scopes[kind](caller),
            after,
            Math.min(waitSeconds, FEED_MAX_WAIT_SECONDS) * 1000,
            AbortSignal.any([gone.signal, ...(o.stopping ? [o.stopping] : [])]),
          );
          // A held call cut short by the stop has no fresh list to give: the sidecar asks another replica.
          if (o.stopping?.aborted) {
            res.set('connection', 'close');
            if (answer.held) throw new ProxyRequestError(503, 'the operator is stopping; ask again');
          }
          if (!gone.signal.aborted) res.json({ token: answer.token, items: answer.items });
        } finally {
          gone.signal.removeEventListener('abort', release);
          release();
        }
      } catch (e) {
        refuse(res, e, o.log, `feed ${kind}`);
      }
    });
  }

  router.get(KUBERNETES_JWKS_PATH, async (req: Request, res: Response) => {
    try {
      await authenticate(req.get('authorization'));
      res.json(await o.clusterJwks());
    } catch (e) {
      refuse(res, e, o.log, 'cluster keys');
    }
  });
  return router;
}

/**
 * The scope's objects now; with `after` equal to their token, once one of them changed or the wait is over
 * (then listed again). It subscribes to the shared watch before the first list, so no change after that
 * list goes unseen while the watch runs. `held` marks an answer whose wait was cut short by `gone` before a
 * second list: its list is as old as the call.
 */
async function answerFeed(
  changes: FeedChanges,
  scope: Scope,
  after: string | undefined,
  waitMs: number,
  gone: AbortSignal,
): Promise<FeedAnswer<KubernetesObject> & { held?: true }> {
  if (after === undefined || waitMs === 0) return listed(scope);
  let settle!: () => void;
  const settled = new Promise<void>((r) => (settle = r));
  const unsubscribe = changes.subscribe(scope.watch, scope.matches, () => settle());
  let timer: ReturnType<typeof setTimeout> | undefined;
  gone.addEventListener('abort', settle);
  try {
    const first = await listed(scope);
    if (after !== first.token) return first;
    if (gone.aborted) return { ...first, held: true };
    timer = setTimeout(settle, waitMs);
    await settled;
    return gone.aborted ? { ...first, held: true } : listed(scope);
  } finally {
    clearTimeout(timer);
    gone.removeEventListener('abort', settle);
    unsubscribe();
  }
}

async function listed(scope: Scope): Promise<FeedAnswer<KubernetesObject>> {
  let list: Awaited<ReturnType<Scope['list']>>;
  try {
    list = await scope.list();
  } catch (e) {
    throw new ProxyRequestError(503, `the operator cannot list them from the API server: ${messageOf(e)}`);
  }
  const items = list.items ?? [];
  const token = createHash('sha256')
    .update(
      items
        .map((i) => `${i.metadata?.uid ?? ''}/${i.metadata?.resourceVersion ?? ''}`)
        .sort()
        .join(','),
    )
    .digest('base64url');
  return { token, items };
}

function refuse(res: Response, e: unknown, log: ProxyFeedsOptions['log'], what: string): void {
  const status = e instanceof ProxyRequestError ? e.status : 500;
  if (status >= 500) log?.('warn', `answering a proxy's ${what} failed`, { status, error: messageOf(e) });
  if (res.headersSent || res.destroyed) return;
  sendProblem(res, status, messageOf(e));
}
