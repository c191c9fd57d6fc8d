import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { podStream } from '../../shared/contract/pod-stream.js';
import type { ConfigMapPolicySource } from '../../proxy/cluster/policy-source.js';
import { loadPolicyFile } from '../../proxy/policy/load.js';
import { GuardProxy } from '../../proxy/server.js';
import { log } from '../log.js';
import { ENV } from '../../shared/contract/sidecar.js';

export interface ProxyCommand {
  /** Local mode: a policy file. */
  policyFile?: string;
  /** Cluster mode: namespace/name of an AgentAccessPolicy, followed through its compiled ConfigMap. */
  policyRef?: string;
  auditFile?: string;
  auditMaxBytes?: number;
  auditStdout: boolean;
  /**
   * The operator's endpoint for what only the proxy may ask (approval requests, used grants) and its CA;
   * the proxy's token from AGENTGATE_PROXY_TOKEN_FILE. Defaults to the checkpoint URL.
   */
  operatorUrl?: string;
  operatorCaFile?: string;
  /** The operator's audit witness (cluster mode) and its CA; the proxy's token from AGENTGATE_PROXY_TOKEN_FILE. */
  checkpointUrl?: string;
  checkpointCaFile?: string;
  /** A local witness: its append-only file (keep it apart from the audit log) and its key directory. */
  witnessFile?: string;
  witnessKeyDir?: string;
  checkpointEverySeconds?: number;
  /** Session recordings (default on, in sessions/ beside the audit file). */
  recordings?: boolean;
  recordingsDir?: string;
  /** host:port of the health and metrics server (/healthz, /readyz, /metrics); off when unset. */
  healthAddress?: string;
  /** Names this proxy's chain (default: namespace/pod in a pod, else the host name). */
  auditStream?: string;
  /**
   * Cluster mode: refuse statements once the policy could not be followed for this long (default 60 s,
   * or AGENTGATE_POLICY_STALENESS_SECONDS).
   */
  policyStalenessSeconds?: number;
}

/** Runs until SIGINT/SIGTERM; returns -1 so the process stays alive while listening. */
export async function runProxy(o: ProxyCommand): Promise<number> {
  const logFn = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void => void log.log(level, message, fields);
  let proxy: GuardProxy | undefined;
  let source: ConfigMapPolicySource | undefined;
  let start: { policy: Awaited<ReturnType<ConfigMapPolicySource['start']>>; resolvePath?: (p: string) => string };
  if (o.policyRef) {
    const [namespace, name] = o.policyRef.split('/');
    if (!namespace || !name) throw new Error('--policy-ref must be NAMESPACE/NAME');
    // Cluster mode only: the Kubernetes client is not loaded for local mode.
    const { loadKubeConfig } = await import('../../shared/kube/client.js');
    const { ConfigMapPolicySource: Source } = await import('../../proxy/cluster/policy-source.js');
    const staleness = o.policyStalenessSeconds ?? Number(process.env.AGENTGATE_POLICY_STALENESS_SECONDS ?? 60);
    if (!(staleness > 0)) throw new Error('the policy staleness bound must be a positive number of seconds');
    source = new Source({ kc: loadKubeConfig(), namespace, policy: name, stalenessMs: staleness * 1000, onPolicy: (p) => proxy?.updatePolicy(p), onUnavailable: (reason) => proxy?.setPolicyUnavailable(reason), onTampered: (message, detail) => proxy?.recordPolicyTampered(message, detail), log: logFn });
    // A missing policy is an error (exit non-zero): the kubelet restarts the sidecar and its startup
    // probe holds the agent containers back meanwhile, with the reason in the container's log.
    start = { policy: await source.start() };
  } else {
    const loaded = loadPolicyFile(o.policyFile!);
    start = { policy: loaded.policy, resolvePath: loaded.resolvePath };
  }
  // Kubernetes service-account tokens: keys from the API server; in a pod, tokens must be bound to it.
  const usesKubernetes = start.policy.spec.identity.issuers.some((i) => i.kubernetes);
  const kube = usesKubernetes ? await import('../../shared/kube/client.js') : undefined;
  const pod = process.env.POD_NAME && process.env.POD_NAMESPACE ? { name: process.env.POD_NAME, namespace: process.env.POD_NAMESPACE, ...(process.env.POD_UID ? { uid: process.env.POD_UID } : {}) } : undefined;
  let approvals: import('../../proxy/approvals/kube-approvals.js').KubeApprovals | undefined;
  if (o.policyRef) {
    const [namespace, name] = o.policyRef.split('/') as [string, string];
    const { KubeApprovals } = await import('../../proxy/approvals/kube-approvals.js');
    const { loadKubeConfig } = await import('../../shared/kube/client.js');
    // Approval requests are created, and used one-shot grants recorded, by the operator, asked with the proxy's own token.
    const tokenFile = process.env[ENV.proxyTokenFile];
    const url = o.operatorUrl ?? o.checkpointUrl;
    const ca = operatorCa(o);
    const operator = url && tokenFile ? { url, tokenFile, ...(ca ? { ca } : {}) } : undefined;
    approvals = new KubeApprovals({ kc: loadKubeConfig(), namespace, policy: name, log: logFn, ...(operator ? { operator } : {}), ...(process.env.POD_UID ? { podUid: process.env.POD_UID } : {}) });
    await approvals.start();
  }
  // In a pod: denials and identity failures become Events on the pod (kubectl describe pod shows them).
  let events: ((type: 'Normal' | 'Warning', reason: string, message: string) => void) | undefined;
  if (o.policyRef && pod) {
    const { EventRecorder } = await import('../../shared/kube/events.js');
    const { loadKubeConfig } = await import('../../shared/kube/client.js');
    const { CoreV1Api } = await import('@kubernetes/client-node');
    const recorder = new EventRecorder(loadKubeConfig().makeApiClient(CoreV1Api), { component: 'agentgate-proxy' });
    const involved = { apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.name, namespace: pod.namespace, ...(process.env.POD_UID ? { uid: process.env.POD_UID } : {}) } };
    events = (type, reason, message) => void recorder.emit(involved, type, reason, message).catch(() => undefined);
  }
  const checkpoints = await checkpointsFor(o, pod);
  const metrics = o.healthAddress ? new (await import('../../proxy/observability/metrics.js')).ProxyMetrics() : undefined;
  proxy = await GuardProxy.start({
    ...(metrics ? { metrics } : {}),
    ...(checkpoints ? { checkpoints } : {}),
    ...start,
    ...(approvals ? { approvals } : {}),
    ...(events ? { events } : {}),
    ...(kube ? { kubernetesJwks: kube.serviceAccountJwks(kube.loadKubeConfig()) as never } : {}),
    ...(pod ? { pod } : {}),
    ...(o.auditFile ? { auditFile: o.auditFile } : {}),
    ...(o.recordings !== false && (o.recordingsDir || o.auditFile) ? { recordingsDir: o.recordingsDir ?? join(dirname(o.auditFile!), 'sessions') } : {}),
    ...(o.auditMaxBytes ? { auditMaxBytes: o.auditMaxBytes } : {}),
    auditStdout: o.auditStdout,
    log: logFn,
  }).catch(async (e: unknown) => {
    // Nothing keeps running (and the process alive) when the proxy cannot start.
    await Promise.all([source?.stop(), approvals?.stop()]);
    throw e;
  });
  const unavailable = source?.unavailable();
  if (unavailable) proxy.setPolicyUnavailable(unavailable);
  source?.checkCompiled();
  let health: Awaited<ReturnType<typeof import('../../shared/kube/health-server.js').startHealthServer>> | undefined;
  if (o.healthAddress && metrics) {
    const { startHealthServer } = await import('../../shared/kube/health-server.js');
    const i = o.healthAddress.lastIndexOf(':');
    const running = proxy;
    health = await startHealthServer({ host: o.healthAddress.slice(0, i) || '0.0.0.0', port: Number(o.healthAddress.slice(i + 1)), metrics, health: { notReady: () => running.notReady() } });
    log.info('health and metrics', { address: `${o.healthAddress.slice(0, i) || '0.0.0.0'}:${health.port}` });
  }
  for (const a of proxy.addresses()) log.info('ready', a);
  const shutdown = (signal: string): void => {
    log.info('shutting down', { signal });
    void Promise.all([source?.stop(), approvals?.stop(), proxy?.stop()]).then(() => health?.close()).then(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  return -1;
}

async function checkpointsFor(o: ProxyCommand, pod?: { name: string; namespace: string; uid?: string }): Promise<import('../../proxy/server.js').GuardProxyOptions['checkpoints']> {
  const stream = o.auditStream ?? (pod ? podStream(pod) : hostname());
  const everyMs = (o.checkpointEverySeconds ?? 60) * 1000;
  const { OperatorWitness, FileWitness } = await import('../../proxy/audit/witnesses.js');
  if (o.checkpointUrl) {
    const tokenFile = process.env[ENV.proxyTokenFile];
    if (!tokenFile) throw new Error('--checkpoint-url needs the proxy\'s token (audience agentgate-proxy): AGENTGATE_PROXY_TOKEN_FILE is not set');
    const ca = operatorCa(o);
    return { stream, everyMs, witness: new OperatorWitness({ url: o.checkpointUrl, tokenFile, ...(ca ? { ca } : {}) }) };
  }
  if (o.witnessFile) return { stream, everyMs, witness: new FileWitness({ file: o.witnessFile, keyDir: o.witnessKeyDir ?? dirname(o.witnessFile) }) };
  return undefined;
}

/** The operator's CA: from AGENTGATE_OPERATOR_CA (set in the pod spec at admission) before --checkpoint-ca. */
function operatorCa(o: ProxyCommand): Buffer | undefined {
  const pem = process.env[ENV.operatorCa];
  if (pem) return Buffer.from(pem);
  const file = o.operatorCaFile ?? o.checkpointCaFile;
  return file ? readFileSync(file) : undefined;
}
