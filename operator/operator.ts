/**
 * The agentgate operator process, wired in one place: a manager (shared/kube/manager.ts) whose
 * leader-only runnables are the policy and approval controllers; on every replica, the webhook's two
 * listeners (admission, pod-facing endpoints), its PKI and key rings, and a health server with
 * /healthz, /readyz and Prometheus /metrics. Graceful shutdown releases the lease.
 */
import {
  AdmissionregistrationV1Api,
  AuthenticationV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
} from '@kubernetes/client-node';
import { hostname } from 'node:os';
import { EventRecorder } from '../shared/kube/events.js';
import { Manager, type Runnable } from '../shared/kube/manager.js';
import { OperatorMetrics } from './metrics.js';
import { PolicyController } from './policy-controller.js';
import { ApprovalController } from './approvals/approval-controller.js';
import { approvalUsedRouter } from './approvals/used-endpoint.js';
import { approvalCreateRouter } from './approvals/create-endpoint.js';
import { deviationRouter } from './reviews/deviation-endpoint.js';
import { proxyFeedsRouter } from './proxy-feeds-endpoint.js';
import { proxyEventsRouter } from './proxy-events-endpoint.js';
import { ReviewController } from './reviews/review-controller.js';
import type { Clock } from '../shared/kube/workqueue.js';
import type { InjectorConfig } from './webhook/inject.js';
import { PkiStore } from './webhook/pki-store.js';
import { startHealthServer, type HealthServer } from '../shared/kube/health-server.js';
import { PodApiServer } from './webhook/pod-api.js';
import { WebhookServer } from './webhook/server.js';
import { AUDIT_KEYS_SECRET, checkpointWitnessRouter } from './audit/checkpoint-witness.js';
import { evidenceCountersignRouter } from './audit/evidence-countersign.js';
import { SigningKeys } from './identity/signing-keys.js';
import { ReplayCache } from './identity/replay-cache.js';
import { ClusterReplayStore, replayGuards } from './identity/shared-replay.js';
import { tokenExchangeRouter } from './identity/token-exchange.js';
import { serviceAccountIssuer, serviceAccountJwks, shareDispatchers } from '../shared/kube/client.js';

const POLICY_CONTROLLER = 'policy-controller';
const REVIEW_CONTROLLER = 'review-controller';

export type Log = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

export interface OperatorOptions {
  kc: KubeConfig;
  /** Namespace for the leader-election Lease. */
  leaseNamespace: string;
  /** Watch one namespace only (default: all). */
  watchNamespace?: string;
  healthAddress?: { host: string; port: number };
  identity?: string;
  log?: Log;
  relistMs?: number;
  webhook?: WebhookOptions;
  /** The review controller's clock (when an open DeviationReview becomes an Exception); injectable for tests. */
  reviewClock?: Clock;
}

export interface WebhookOptions {
  host: string;
  /** The admission listener's port: only the API server is told about it (the webhook configurations). */
  port: number;
  /** The pod-facing listener's port (token exchange, JWKS, audit witness, used grants): AGENTGATE_OPERATOR_URL. Default: any free port. */
  apiPort?: number;
  /** PEM: the admission listener answers only callers presenting a client certificate this CA signed. */
  admissionClientCa?: string;
  /** Namespace of the Secret holding the webhook PKI. */
  namespace: string;
  dnsNames: string[];
  ipAddresses?: string[];
  /** MutatingWebhookConfiguration to keep the caBundle of. */
  configurationName?: string;
  injector: InjectorConfig;
  /** How often to check the serving certificate for renewal (default 12 h). */
  renewCheckMs?: number;
  /** Serve the run-token exchange (RFC 8693) on the pod-facing listener. */
  tokenExchange?: {
    /** The run tokens' issuer: the URL agents and proxies reach this server at (default https://<host>:<port>). */
    issuerUrl?: string;
    /** Namespace of the Secret with the signing keys (default: the webhook's). */
    keysNamespace?: string;
    overlapMs?: number;
    /** The leader rotates the signing key this often (default 24 h); other replicas reload the keys. */
    rotateEveryMs?: number;
  };
  /** The URL pods reach the pod-facing listener at (default https://<first dnsName>:<apiPort>): injected into pods. */
  publicUrl?: string;
  /**
   * Witness the proxies' audit chains (signed checkpoints, on by default), with the audit key's rotation
   * period (default 30 days; retired public keys stay published so old evidence keeps verifying).
   */
  auditWitness?:
    | false
    | {
        rotateEveryMs?: number;
        /** drop checkpoints of pods silent this long (default 90 days) */ retentionMs?: number;
      };
}

export class Operator {
  readonly metrics = new OperatorMetrics();
  /** Runs the controllers on the leader only, fresh for each term (shared/kube/manager.ts). */
  private readonly manager: Manager;
  private health?: HealthServer;
  private webhookServer?: WebhookServer;
  private podApi?: PodApiServer;
  /** Aborted by stop(): the feeds' held answers go out at once. */
  private readonly stopping = new AbortController();
  private pki?: PkiStore;
  private renewTimer?: NodeJS.Timeout;
  private keyTimer?: NodeJS.Timeout;
  /** Run-token signing keys (when the token exchange is on). */
  runTokenKeys?: SigningKeys;
  /** Audit checkpoint signing keys (when the audit witness is on). */
  auditKeys?: SigningKeys;
  /** The webhook server's CA (PEM), published in the compiled ConfigMaps for injected pods. */
  private operatorCa?: string;
  /** The run tokens' issuer (when the token exchange is on), named in compiled policies. */
  private runTokenIssuer?: string;
  /** The admission listener (webhook configurations point here). */
  webhookAddress?: { host: string; port: number };
  /** The pod-facing listener (AGENTGATE_OPERATOR_URL). */
  operatorAddress?: { host: string; port: number };
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly replayStore: ClusterReplayStore;

  constructor(private readonly o: OperatorOptions) {
    shareDispatchers(o.kc);
    this.custom = o.kc.makeApiClient(CustomObjectsApi);
    this.core = o.kc.makeApiClient(CoreV1Api);
    // SAML assertions exchanged by any replica, before or after a restart, are replays for all of them.
    this.replayStore = new ClusterReplayStore(o.kc.makeApiClient(CoordinationV1Api), o.leaseNamespace);
    this.manager = new Manager({
      api: o.kc.makeApiClient(CoordinationV1Api),
      namespace: o.leaseNamespace,
      name: 'agentgate-operator',
      identity: o.identity ?? `${hostname()}-${process.pid}`,
      onLeadership: (leading) => this.metrics.leader.set(leading ? 1 : 0),
      ...(o.log ? { log: o.log } : {}),
    });
    this.manager.addLeaderOnly(
      POLICY_CONTROLLER,
      () =>
        new PolicyController({
          kc: this.o.kc,
          custom: this.custom,
          core: this.core,
          events: new EventRecorder(this.core),
          ...(this.o.watchNamespace ? { namespace: this.o.watchNamespace } : {}),
          ...(this.operatorCa ? { operatorCa: this.operatorCa } : {}),
          ...(this.runTokenIssuer ? { runTokenIssuer: this.runTokenIssuer } : {}),
          metrics: this.metrics,
          ...(this.o.log ? { log: this.o.log } : {}),
          ...(this.o.relistMs ? { relistMs: this.o.relistMs } : {}),
        }),
    );
    this.manager.addLeaderOnly(
      'approval-controller',
      () =>
        new ApprovalController({
          kc: this.o.kc,
          custom: this.custom,
          core: this.core,
          events: new EventRecorder(this.core),
          ...(this.o.log ? { log: this.o.log } : {}),
        }),
    );
    // The leader collects expired SAML replay records (only where /token is served).
    if (o.webhook?.tokenExchange) {
      this.manager.addLeaderOnly('saml-replay-collector', () => {
        let timer: NodeJS.Timeout | undefined;
        return {
          start: async () => {
            timer = setInterval(
              () =>
                void this.replayStore
                  .collect()
                  .catch((e: Error) =>
                    this.o.log?.('warn', 'expired SAML replay records not collected', { error: e.message }),
                  ),
              5 * 60_000,
            );
            timer.unref();
          },
          stop: async () => clearInterval(timer),
        };
      });
    }
    this.manager.addLeaderOnly(REVIEW_CONTROLLER, () => {
      const reviews = new ReviewController({
        kc: this.o.kc,
        custom: this.custom,
        core: this.core,
        events: new EventRecorder(this.core),
        ...(this.o.reviewClock ? { clock: this.o.reviewClock } : {}),
        ...(this.o.log ? { log: this.o.log } : {}),
        ...(this.o.relistMs ? { relistMs: this.o.relistMs } : {}),
      });
      return {
        controller: reviews,
        start: async () => {
          this.metrics.observeReviewQueue(() => reviews.queueSizes());
          await reviews.start();
        },
        stop: async () => {
          this.metrics.observeReviewQueue(undefined);
          await reviews.stop();
        },
      };
    });
  }

  /** The review items' lifecycle, while this replica leads. */
  get reviews(): ReviewController | undefined {
    return this.manager.running<Runnable & { controller: ReviewController }>(REVIEW_CONTROLLER)?.controller;
  }

  get address(): { host: string; port: number } | undefined {
    const a = this.health?.server.address();
    return a && typeof a === 'object' ? { host: a.address, port: a.port } : undefined;
  }

  async start(): Promise<void> {
    const { host, port } = this.o.healthAddress ?? { host: '127.0.0.1', port: 8081 };
    this.health = await startHealthServer({
      host,
      port,
      metrics: this.metrics,
      // A standby replica is ready (it serves health and waits); a leader is ready once its informer synced.
      health: {
        notReady: () =>
          !this.manager.isLeader ||
          (this.manager.running<PolicyController>(POLICY_CONTROLLER)?.informer.synced ?? false)
            ? undefined
            : 'informer not synced',
      },
    });
    if (this.o.webhook) await this.startWebhook(this.o.webhook);
    this.manager.start();
  }

  private async startWebhook(w: WebhookOptions): Promise<void> {
    this.pki = new PkiStore({
      core: this.core,
      admission: this.o.kc.makeApiClient(AdmissionregistrationV1Api),
      namespace: w.namespace,
      dnsNames: w.dnsNames,
      ...(w.ipAddresses ? { ipAddresses: w.ipAddresses } : {}),
      ...(w.configurationName ? { webhookConfiguration: w.configurationName } : {}),
    });
    const pki = await this.pki.ensure();
    // Pod-facing endpoints: a router pushed here is served on the pod-facing listener only.
    const routers = [];
    let issuer: { url?: string } = {};
    // One cache of the cluster's service-account issuer and keys for both endpoints that verify pod tokens.
    const clusterIssuer = serviceAccountIssuer(this.o.kc);
    const clusterJwks = serviceAccountJwks(this.o.kc) as never;
    const witnessOptions = w.auditWitness === false ? undefined : (w.auditWitness ?? {});
    if (w.tokenExchange) {
      this.runTokenKeys = new SigningKeys({
        core: this.core,
        secretName: 'agentgate-run-token-keys',
        namespace: w.tokenExchange.keysNamespace ?? w.namespace,
        ...(w.tokenExchange.overlapMs ? { overlapMs: w.tokenExchange.overlapMs } : {}),
      });
      await this.runTokenKeys.load();
      issuer = { ...(w.tokenExchange.issuerUrl ? { url: w.tokenExchange.issuerUrl } : {}) };
      routers.push(
        tokenExchangeRouter({
          // The issuer URL depends on the port, known after listen: resolved lazily.
          get issuerUrl() {
            return issuer.url!;
          },
          keys: this.runTokenKeys,
          custom: this.custom,
          replay: replayGuards(new ReplayCache(), this.replayStore),
          clusterIssuer,
          clusterJwks,
          ...(this.o.log ? { log: this.o.log } : {}),
        }),
      );
    }
    // Proxies record used grants here (status is the operator's alone), with their own pod-bound tokens.
    routers.push(
      approvalUsedRouter({
        custom: this.custom,
        core: this.core,
        events: new EventRecorder(this.core),
        clusterIssuer,
        clusterJwks,
        ...(this.o.log ? { log: this.o.log } : {}),
      }),
    );
    // ApprovalRequests are created here only, from what the proxy's pod-bound token proves.
    routers.push(
      approvalCreateRouter({
        custom: this.custom,
        core: this.core,
        clusterIssuer,
        clusterJwks,
        ...(this.o.log ? { log: this.o.log } : {}),
      }),
    );
    // What a sidecar follows (its policy, compiled policy, approval requests, the cluster's keys), read for it.
    routers.push(
      proxyFeedsRouter({
        kc: this.o.kc,
        stopping: this.stopping.signal,
        custom: this.custom,
        core: this.core,
        clusterIssuer,
        clusterJwks,
        ...(this.o.log ? { log: this.o.log } : {}),
      }),
    );
    // Deviations for review: the operator files them under the authenticated pod and emits their Events.
    routers.push(
      proxyEventsRouter({
        core: this.core,
        custom: this.custom,
        events: new EventRecorder(this.core),
        clusterIssuer,
        clusterJwks,
      }),
    );
    routers.push(
      deviationRouter({
        custom: this.custom,
        core: this.core,
        events: new EventRecorder(this.core),
        metrics: this.metrics,
        clusterIssuer,
        clusterJwks,
        ...(this.o.log ? { log: this.o.log } : {}),
      }),
    );
    const reachable: { url?: string } = {};
    const injector: InjectorConfig = { ...w.injector };
    if (witnessOptions) {
      const { retentionMs } = witnessOptions;
      this.auditKeys = new SigningKeys({
        core: this.core,
        namespace: w.namespace,
        secretName: AUDIT_KEYS_SECRET,
        keepRetiredPublicKeys: true,
      });
      await this.auditKeys.load();
      routers.push(
        checkpointWitnessRouter({
          keys: this.auditKeys,
          core: this.core,
          namespace: w.namespace,
          get issuerUrl() {
            return reachable.url!;
          },
          clusterIssuer,
          clusterJwks,
          events: new EventRecorder(this.core),
          metrics: this.metrics,
          ...(retentionMs ? { retentionMs } : {}),
          ...(this.o.log ? { log: this.o.log } : {}),
        }),
      );
      // Evidence bundles exported from the cluster, countersigned with the same audit key.
      routers.push(
        evidenceCountersignRouter({
          kc: this.o.kc,
          keys: this.auditKeys,
          get issuerUrl() {
            return reachable.url!;
          },
          ...(this.o.log ? { log: this.o.log } : {}),
        }),
      );
    }
    this.operatorUser = await this.whoAmI();
    const operatorUser = this.operatorUser;
    this.webhookServer = new WebhookServer({
      custom: this.custom,
      injector,
      tls: pki,
      ...(w.admissionClientCa ? { clientCa: w.admissionClientCa } : {}),
      operatorUser: () => operatorUser,
      ...(this.o.log ? { log: this.o.log } : {}),
    });
    this.podApi = new PodApiServer({ tls: pki, routers });
    this.webhookAddress = await this.webhookServer.listen(w.host, w.port);
    this.operatorAddress = await this.podApi.listen(w.host, w.apiPort ?? 0);
    const api = this.operatorAddress;
    issuer.url ??= w.publicUrl ?? `https://${api.host}:${api.port}`;
    if (w.tokenExchange) this.runTokenIssuer = issuer.url;
    // Injected pods reach the pod-facing listener here, trusting its CA (kept across renewals; compiled ConfigMaps carry it).
    reachable.url = w.publicUrl ?? `https://${w.dnsNames[0] ?? api.host}:${api.port}`;
    injector.operator = { url: reachable.url, auditWitness: !!this.auditKeys, ca: pki.caCert };
    this.operatorCa = pki.caCert;
    await this.pki.injectCaBundle(pki.caCert);
    this.renewTimer = setInterval(() => void this.renewWebhookCertificate(), w.renewCheckMs ?? 12 * 3600_000);
    this.renewTimer.unref();
    const rings = [
      ...(this.runTokenKeys
        ? [{ ring: this.runTokenKeys, every: w.tokenExchange?.rotateEveryMs ?? 24 * 3600_000 }]
        : []),
      ...(this.auditKeys ? [{ ring: this.auditKeys, every: witnessOptions?.rotateEveryMs ?? 30 * 24 * 3600_000 }] : []),
    ];
    if (rings.length) {
      this.keyTimer = setInterval(
        () => void Promise.all(rings.map((r) => this.maintainKeys(r.ring, r.every))),
        Math.min(60_000, ...rings.map((r) => r.every)),
      );
      this.keyTimer.unref();
    }
  }

  /** The operator's username as the API server authenticates it: admission lets only it write ApprovalRequest status. */
  operatorUser?: string;

  private async whoAmI(): Promise<string> {
    const review = await this.o.kc
      .makeApiClient(AuthenticationV1Api)
      .createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
    const name = review.status?.userInfo?.username;
    if (!name) throw new Error('the API server did not say who the operator is (SelfSubjectReview)');
    return name;
  }

  /** The leader rotates a signing key when it is due; every replica reloads what the leader wrote. */
  private async maintainKeys(ring: SigningKeys, everyMs: number): Promise<void> {
    try {
      if (!this.manager.isLeader) await ring.load();
      else if (Date.now() - ring.newestCreatedAt >= everyMs) await ring.rotate();
      else await ring.prune();
    } catch (e) {
      this.o.log?.('warn', 'signing key maintenance failed', { error: (e as Error).message });
    }
  }

  /** Renews the serving certificate when due and keeps the caBundle in place (also repairs it if edited). */
  async renewWebhookCertificate(): Promise<void> {
    if (!this.pki || !this.webhookServer) return;
    try {
      const pki = await this.pki.ensure();
      this.webhookServer.setCertificate(pki);
      this.podApi?.setCertificate(pki);
      await this.pki.injectCaBundle(pki.caCert);
    } catch (e) {
      this.o.log?.('warn', 'webhook certificate check failed', { error: (e as Error).message });
    }
  }

  async stop(): Promise<void> {
    // Held long polls answer now, so the pod-facing listener's connections can close.
    this.stopping.abort();
    clearInterval(this.renewTimer);
    clearInterval(this.keyTimer);
    await Promise.all([this.webhookServer?.close(), this.podApi?.close()]);
    await this.manager.stop();
    await this.health?.close();
  }
}
