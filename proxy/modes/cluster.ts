/**
 * Cluster mode: the sidecar of an injected pod. The policy object (its compiled ConfigMap only compared
 * with it) and approval requests are followed through the operator's feeds, approvals are asked of it, deviations are
 * reported to the operator for review and Events on the pod are emitted by it (the pod's service
 * account is the agent's and may not write Events), Kubernetes tokens are bound to the pod, and the
 * operator witnesses the audit chain. Without the operator's endpoint, the API server is read directly
 * with the pod's service account: only then is a Kubernetes client loaded (local mode never loads one).
 */
import { existsSync, statSync } from 'node:fs';
import { ENV } from '../../shared/contract/sidecar.js';
import type { GuardProxy } from '../server.js';
import { checkpointsFor, operatorCa, podFromEnv, type CheckpointOptions, type ProxyServices } from './services.js';

export interface ClusterModeOptions extends CheckpointOptions {
  /** namespace/name of the AgentAccessPolicy. */
  policyRef: string;
  /** The operator's endpoint for what only the proxy may ask (approval requests, used grants); default: the checkpoint URL. */
  operatorUrl?: string;
  /** Refuse statements once the policy could not be followed for this long (seconds). */
  policyStalenessSeconds: number;
  /** The audit file: deviations written before the reporter is attached are caught up from it. */
  auditFile?: string;
  log: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
  env?: NodeJS.ProcessEnv;
}

export async function clusterServices(o: ClusterModeOptions): Promise<ProxyServices> {
  const env = o.env ?? process.env;
  const [namespace, name] = o.policyRef.split('/');
  if (!namespace || !name) throw new Error('--policy-ref must be NAMESPACE/NAME');
  if (!(o.policyStalenessSeconds > 0))
    throw new Error('the policy staleness bound must be a positive number of seconds');
  const pod = podFromEnv(env);
  // Approval requests are created, and used one-shot grants recorded, by the operator, asked with the proxy's own token.
  const tokenFile = env[ENV.proxyTokenFile];
  const url = o.operatorUrl ?? o.checkpointUrl;
  const ca = operatorCa(o, env);
  const operator = url && tokenFile ? { url, tokenFile, ...(ca ? { ca } : {}) } : undefined;
  // With the operator's endpoint (as injected), everything is read through it and no Kubernetes client is
  // loaded; without it, from the API server with the pod's service account.
  const kube = operator ? undefined : await kubeAccess();
  const feeds = operator ? await operatorFeedsFor(operator) : kube!.feeds;
  const { ConfigMapPolicySource } = await import('../cluster/policy-source.js');
  const { KubeApprovals } = await import('../approvals/kube-approvals.js');
  let proxy: GuardProxy | undefined;
  const source = new ConfigMapPolicySource({
    feeds,
    namespace,
    policy: name,
    stalenessMs: o.policyStalenessSeconds * 1000,
    log: o.log,
    onPolicy: (p) => proxy?.updatePolicy(p),
    onUnavailable: (reason) => proxy?.setPolicyUnavailable(reason),
    onTampered: (message, detail) => proxy?.recordPolicyTampered(message, detail),
  });
  // A missing policy is an error (exit non-zero): the kubelet restarts the sidecar and its startup
  // probe holds the agent containers back meanwhile, with the reason in the container's log.
  const policy = await source.start();

  const approvals = new KubeApprovals({
    feeds,
    namespace,
    policy: name,
    log: o.log,
    ...(operator ? { operator } : {}),
    ...(env.POD_UID ? { podUid: env.POD_UID } : {}),
  });
  try {
    await approvals.start();
  } catch (e) {
    await source.stop();
    throw e;
  }
  // Deviations go to the operator for review, and Events through it, when the proxy can reach it.
  const reporting = operator ? await operatorReporting(operator, o.log) : undefined;
  // Where this run's records start in the audit file: the reporter catches up on those written before it is attached.
  const auditStart = o.auditFile && existsSync(o.auditFile) ? statSync(o.auditFile).size : 0;
  const stop = async (): Promise<void> => {
    await Promise.all([source.stop(), approvals.stop()]);
    await reporting?.reporter.stop();
  };
  try {
    return {
      policy,
      ...(pod ? { pod } : {}),
      ...(policy.spec.identity.issuers.some((i) => i.kubernetes)
        ? { kubernetesJwks: operator ? await operatorJwks(operator) : (kube!.jwks as never) }
        : {}),
      approvals,
      events: reporting?.events ?? (await podEvents(kube!.kc, pod)),
      ...(await checkpointsFor(o, env, pod)),
      follow: (p, metrics) => {
        proxy = p;
        if (reporting) {
          const { reporter } = reporting;
          p.audit.observe(reporter.observe);
          p.audit.flush();
          if (o.auditFile) reporter.catchUp(o.auditFile, auditStart);
          reporter.watchAuditHealth(p.audit);
          if (metrics) reporter.registerMetrics(metrics.registry);
        }
        const unavailable = source.unavailable();
        if (unavailable) p.setPolicyUnavailable(unavailable);
        source.checkCompiled();
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The API server, with the pod's service account (loads @kubernetes/client-node). */
async function kubeAccess(): Promise<{
  kc: import('@kubernetes/client-node').KubeConfig;
  feeds: import('../cluster/object-feed.js').FeedFactory;
  jwks: () => Promise<unknown>;
}> {
  const { loadKubeConfig, serviceAccountJwks } = await import('../../shared/kube/client.js');
  const { kubeFeeds } = await import('../cluster/kube-feeds.js');
  const kc = loadKubeConfig();
  return { kc, feeds: kubeFeeds(kc), jwks: serviceAccountJwks(kc) };
}

async function operatorFeedsFor(
  endpoint: import('../approvals/operator-client.js').OperatorEndpoint,
): Promise<import('../cluster/object-feed.js').FeedFactory> {
  const { operatorFeeds } = await import('../cluster/operator-feed.js');
  return operatorFeeds(endpoint);
}

/** The cluster's service-account keys, as the operator fetched them (for agents' pod-bound tokens). */
async function operatorJwks(
  endpoint: import('../approvals/operator-client.js').OperatorEndpoint,
): Promise<NonNullable<ProxyServices['kubernetesJwks']>> {
  const { getFromOperator } = await import('../approvals/operator-client.js');
  const { KUBERNETES_JWKS_PATH } = await import('../../shared/contract/feeds.js');
  return () => getFromOperator(endpoint, KUBERNETES_JWKS_PATH) as never;
}

/** The deviation reporter and the Event sink, both through the operator's endpoints with the proxy's own token. */
async function operatorReporting(
  endpoint: { url: string; tokenFile: string; ca?: Buffer },
  log: ClusterModeOptions['log'],
): Promise<{
  reporter: import('../cluster/deviation-reporter.js').DeviationReporter;
  events: ProxyServices['events'];
}> {
  const { postToOperator } = await import('../approvals/operator-client.js');
  const { DeviationReporter } = await import('../cluster/deviation-reporter.js');
  const { operatorEvents } = await import('../cluster/operator-events.js');
  return {
    reporter: new DeviationReporter({ send: (body) => postToOperator(endpoint, '/deviations', body), log }),
    events: operatorEvents((path, body) => postToOperator(endpoint, path, body), log),
  };
}

/** Without the operator's endpoint: denials and identity failures become Events on the pod, written directly. */
async function podEvents(
  kc: import('@kubernetes/client-node').KubeConfig,
  pod: ProxyServices['pod'],
): Promise<ProxyServices['events']> {
  if (!pod) return () => undefined;
  const { EventRecorder } = await import('../../shared/kube/events.js');
  const { CoreV1Api } = await import('@kubernetes/client-node');
  const recorder = new EventRecorder(kc.makeApiClient(CoreV1Api), { component: 'agentgate-proxy' });
  const involved = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: pod.name, namespace: pod.namespace, ...(pod.uid ? { uid: pod.uid } : {}) },
  };
  return (type, reason, message) => void recorder.emit(involved, type, reason, message).catch(() => undefined);
}
