/**
 * The operator as witness of the proxies' audit chains. A proxy posts its chain head (seq, hash) with
 * its pod-bound service-account token; the operator signs a checkpoint with its audit key (kept in a
 * Secret, public halves kept forever) and keeps the latest one per pod in a ConfigMap in its own
 * namespace, out of the agents' reach. The proxy writes the signed checkpoint into its chain. Later,
 * `agentgate audit verify --cluster` compares the log with what the operator saw: a log that ends
 * before the witnessed head was truncated, and a chain that goes backwards is refused here (Event).
 */
import type { CoreV1Api, V1ConfigMap } from '@kubernetes/client-node';
import express, { type Request, type Response, type Router } from 'express';
import type * as jose from 'jose';
import { signCheckpoint, type WitnessedCheckpoint } from '../../shared/contract/checkpoint.js';
import type { EventRecorder } from '../../shared/kube/events.js';
import { mergePatch, messageOf, statusOf } from '../../shared/kube/client.js';
import { podStream } from '../../shared/contract/pod-stream.js';
import { ProxyRequestError, proxyTokenVerifier } from '../identity/proxy-token.js';
import type { SigningKeys } from '../identity/signing-keys.js';
import { AUDIT_CHECKPOINTS_LABEL } from '../../shared/contract/labels.js';
import { sendProblem } from '../webhook/pod-api.js';

export const AUDIT_KEYS_SECRET = 'agentgate-audit-signing-keys';
/**
 * One ConfigMap per agent namespace, in the operator's namespace: data[pod uid] = the latest checkpoint
 * of that pod, as signed ({stream, seq, hash, time, signedAt, witness, kid, jws}) plus `pod` (the name,
 * for display). The stream is namespace/name/uid (shared/contract/pod-stream.ts), so a pod re-created
 * under the same name is a new stream. Entries of earlier versions (keyed by pod name, stream
 * namespace/name) read the same way.
 */
export const checkpointConfigMapName = (agentNamespace: string): string =>
  `agentgate-audit-checkpoints-${agentNamespace}`;
export const CHECKPOINT_JWKS_KEY = 'jwks.json';
/**
 * Each public key is kept under its own data key (`jwk.<kid>`): replicas write checkpoints with the
 * keys they hold, and a merge patch only ever adds a key, so one replica's view never hides a key
 * another signed with (as one `jwks.json` value overwritten by each writer would).
 */
const KEY_PREFIX = 'jwk.';
const isKeyEntry = (k: string): boolean => k === CHECKPOINT_JWKS_KEY || k.startsWith(KEY_PREFIX);

export interface CheckpointWitnessOptions {
  keys: SigningKeys;
  core: CoreV1Api;
  /** Where the checkpoint ConfigMaps live (the operator's namespace). */
  namespace: string;
  issuerUrl: string;
  clusterIssuer: () => Promise<string>;
  clusterJwks: () => Promise<jose.JSONWebKeySet>;
  events?: EventRecorder;
  metrics?: { checkpoint(result: 'signed' | 'regressed' | 'refused' | 'error'): void };
  /** Audience of the proxies' own tokens (default agentgate-proxy; agents' tokens have another). */
  audience?: string;
  /** Checkpoints of pods not heard from for this long are dropped (default 90 days): keeps the ConfigMap small. */
  retentionMs?: number;
  now?: () => number;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

export function checkpointWitnessRouter(o: CheckpointWitnessOptions): Router {
  const router = express.Router();
  const authenticate = proxyTokenVerifier(o);
  router.get('/.well-known/audit-keys.json', (_req, res) => void res.json(o.keys.jwks()));

  router.post('/audit/checkpoints', express.json({ limit: '8kb' }), async (req: Request, res: Response) => {
    try {
      // The stream is named by the token, never by the caller: a pod can only checkpoint its own chain.
      const k8s = await authenticate(req.get('authorization'));
      const b = (req.body ?? {}) as { seq?: unknown; hash?: unknown; time?: unknown };
      if (
        !Number.isSafeInteger(b.seq) ||
        (b.seq as number) < 1 ||
        typeof b.hash !== 'string' ||
        !/^[0-9a-f]{64}$/.test(b.hash) ||
        typeof b.time !== 'string' ||
        Number.isNaN(Date.parse(b.time))
      ) {
        throw new ProxyRequestError(
          400,
          'body must be {"seq": positive integer, "hash": 64 hex digits, "time": RFC 3339}',
        );
      }
      const stream = podStream({ namespace: k8s.namespace, name: k8s.pod, uid: k8s.podUid });
      const head = { stream, seq: b.seq as number, hash: b.hash, time: b.time };
      const current = await readLatest(o.core, o.namespace, k8s.namespace, k8s.podUid);
      if (current && (current.seq > head.seq || (current.seq === head.seq && current.hash !== head.hash))) {
        const message = `audit chain of pod ${stream} went back: witnessed seq ${current.seq} (${current.hash.slice(0, 12)}…), now offered seq ${head.seq} (${head.hash.slice(0, 12)}…); the earlier checkpoint is kept`;
        o.log?.('warn', 'audit chain regression refused', { stream, witnessed: current.seq, offered: head.seq });
        void o.events
          ?.emit(
            { apiVersion: 'v1', kind: 'Pod', metadata: { name: k8s.pod, namespace: k8s.namespace, uid: k8s.podUid } },
            'Warning',
            'AuditChainRegressed',
            message,
          )
          .catch(() => undefined);
        throw new ProxyRequestError(409, message);
      }
      const entry = await signCheckpoint(head, await o.keys.signingKey(), o.issuerUrl, o.now?.() ?? Date.now());
      await store(o, k8s.namespace, k8s.podUid, { ...entry, pod: k8s.pod });
      o.metrics?.checkpoint('signed');
      res.json(entry);
    } catch (e) {
      const status = e instanceof ProxyRequestError ? e.status : 500;
      o.metrics?.checkpoint(status === 409 ? 'regressed' : status === 500 ? 'error' : 'refused');
      if (status === 500) o.log?.('error', 'audit checkpoint failed', { error: messageOf(e) });
      sendProblem(res, status, messageOf(e), 'checkpoint refused');
    }
  });
  return router;
}

async function readConfigMap(core: CoreV1Api, namespace: string, name: string): Promise<V1ConfigMap | undefined> {
  try {
    return await core.readNamespacedConfigMap({ name, namespace });
  } catch (e) {
    if (statusOf(e) === 404) return undefined;
    throw e;
  }
}

/**
 * A bound token outlives its pod by up to an hour and the signature alone cannot tell: the pod it names
 * must still exist with the same uid, or a deleted pod's token could post to a stream.
 */
async function readLatest(
  core: CoreV1Api,
  namespace: string,
  agentNamespace: string,
  podUid: string,
): Promise<WitnessedCheckpoint | undefined> {
  const raw = (await readConfigMap(core, namespace, checkpointConfigMapName(agentNamespace)))?.data?.[podUid];
  return raw ? (JSON.parse(raw) as WitnessedCheckpoint) : undefined;
}

/**
 * A merge patch of one key: proxies of different pods never conflict with each other. Entries of pods
 * not heard from within the retention are removed in the same way (a key set to null).
 */
async function store(
  o: CheckpointWitnessOptions,
  agentNamespace: string,
  podUid: string,
  entry: WitnessedCheckpoint & { pod: string },
): Promise<void> {
  const name = checkpointConfigMapName(agentNamespace);
  const data = {
    [podUid]: JSON.stringify(entry),
    ...Object.fromEntries(o.keys.jwks().keys.map((k) => [`${KEY_PREFIX}${k.kid}`, JSON.stringify(k)])),
  };
  try {
    const cm = await o.core.patchNamespacedConfigMap({ name, namespace: o.namespace, body: { data } }, mergePatch);
    const cutoff = (o.now?.() ?? Date.now()) - (o.retentionMs ?? 90 * 24 * 3600_000);
    const stale = Object.entries(cm.data ?? {})
      .filter(([k, v]) => !isKeyEntry(k) && Date.parse((JSON.parse(v) as WitnessedCheckpoint).signedAt) < cutoff)
      .map(([k]) => k);
    if (stale.length)
      await o.core.patchNamespacedConfigMap(
        { name, namespace: o.namespace, body: { data: Object.fromEntries(stale.map((k) => [k, null])) } },
        mergePatch,
      );
  } catch (e) {
    if (statusOf(e) !== 404) throw e;
    const body: V1ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        namespace: o.namespace,
        labels: { 'app.kubernetes.io/managed-by': 'agentgate', [AUDIT_CHECKPOINTS_LABEL]: agentNamespace },
      },
      data,
    };
    try {
      await o.core.createNamespacedConfigMap({ namespace: o.namespace, body });
    } catch (e2) {
      if (statusOf(e2) !== 409) throw e2;
      await o.core.patchNamespacedConfigMap({ name, namespace: o.namespace, body: { data } }, mergePatch);
    }
  }
}

/** Every witnessed checkpoint the cluster holds (for verify and the evidence export), with the keys. */
export async function readWitnessedCheckpoints(
  core: CoreV1Api,
  namespace: string,
  agentNamespace?: string,
): Promise<{ checkpoints: WitnessedCheckpoint[]; jwks: jose.JSONWebKeySet }> {
  const list = await core.listNamespacedConfigMap({
    namespace,
    labelSelector: agentNamespace ? `${AUDIT_CHECKPOINTS_LABEL}=${agentNamespace}` : AUDIT_CHECKPOINTS_LABEL,
  });
  const checkpoints: WitnessedCheckpoint[] = [];
  const keys = new Map<string, jose.JWK>();
  for (const cm of list.items) {
    for (const [k, v] of Object.entries(cm.data ?? {})) {
      if (k === CHECKPOINT_JWKS_KEY)
        for (const key of (JSON.parse(v) as jose.JSONWebKeySet).keys) keys.set(key.kid ?? JSON.stringify(key), key);
      else if (k.startsWith(KEY_PREFIX)) {
        const key = JSON.parse(v) as jose.JWK;
        keys.set(key.kid ?? k, key);
      } else checkpoints.push(JSON.parse(v) as WitnessedCheckpoint);
    }
  }
  return { checkpoints, jwks: { keys: [...keys.values()] } };
}
