/**
 * Sidecar injection as a pure function (Istio's injector shape): pod + the policy it runs under →
 * the mutated pod. The admission handler diffs the two into a JSON Patch. The status annotation records
 * what was injected (a preset one is never trusted: pod-guard.ts); upstream credentials are mounted only
 * into the proxy container, which runs as a uid and gid of its own.
 */
import type { V1Container, V1EnvVar, V1Pod, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { listsServiceAccount } from '../../proxy/policy/subjects.js';
import type { AgentAccessPolicy } from '../../proxy/policy/types.js';

export const INJECT = 'agentgate.dev/inject';
export const POLICY = 'agentgate.dev/policy';
export const STATUS = 'agentgate.dev/status';
export const PROXY_CONTAINER = 'agentgate-proxy';
export const TOKEN_VOLUME = 'agentgate-token';
export const TOKEN_DIR = '/var/run/agentgate/token';
/** The proxy's own token (audience agentgate-proxy), for its calls to the operator: the agent never holds it. */
export const PROXY_TOKEN_VOLUME = 'agentgate-proxy-token';
export const PROXY_TOKEN_DIR = '/var/run/agentgate/proxy-token';
export const PROXY_AUDIENCE = 'agentgate-proxy';
export const CREDENTIALS_DIR = '/var/run/agentgate/credentials';
export const AUDIT_DIR = '/var/log/agentgate';
/** Mode of the mounted credentials: root-owned on a real node, read by the proxy's own uid. */
export const CREDENTIALS_MODE = 0o444;
/** The proxy's root filesystem is read-only: its audit directory and /tmp are its only writable paths. */
export const TMP_VOLUME = 'agentgate-tmp';
/** The operator's CA certificate for agents, from the policy's compiled ConfigMap (key operator-ca.crt). */
export const OPERATOR_DIR = '/var/run/agentgate/operator';
export const OPERATOR_CA_VOLUME = 'agentgate-operator-ca';
/** The sidecar's /healthz, /readyz and /metrics (reachable by the kubelet, so not loopback). */
export const HEALTH_PORT = 15021;
/** The sidecar's own uid and gid: agent containers may not run as them (pod-guard.ts). */
export const PROXY_UID = 17017;
export const PROXY_GID = 17017;

export interface InjectorConfig {
  /** Image of the proxy (the agentgate image). */
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** Audience of the projected token the agent presents. */
  audience?: string;
  /**
   * Where pods reach the operator (token exchange for the agent, audit witness for the proxy). With `ca`
   * (the operator's CA, PEM) the proxy gets it in its environment, fixed at admission: the compiled
   * ConfigMap, which others in the namespace may edit, never decides whom the proxy trusts. Agents get
   * the CA file from the compiled ConfigMap (read-only mount) as well.
   */
  operator?: { url: string; auditWitness: boolean; ca?: string };
}

export type InjectDecision =
  | { inject: false; reason: string }
  | { inject: true; policyName?: string };

const truthy = (v: string | undefined): boolean => v !== undefined && ['true', 'enabled', 'yes', '1'].includes(v.toLowerCase());

/** Whether the pod asks for the guard (annotation, or label of the same name). */
export function wantsInjection(pod: V1Pod): InjectDecision {
  const ann = pod.metadata?.annotations ?? {};
  const labels = pod.metadata?.labels ?? {};
  const flag = ann[INJECT] ?? labels[INJECT];
  if (flag !== undefined && !truthy(flag)) return { inject: false, reason: `opted out (${INJECT}: ${flag})` };
  if (!truthy(flag)) return { inject: false, reason: `no ${INJECT} annotation or label` };
  return { inject: true, ...(ann[POLICY] ? { policyName: ann[POLICY] } : {}) };
}

/** Does this policy's `spec.subjects` select the pod (service account or labels)? */
export function policySelects(policy: AgentAccessPolicy, pod: V1Pod, namespace: string): boolean {
  const subjects = policy.spec.subjects;
  if (!subjects) return false;
  const sa = pod.spec?.serviceAccountName ?? 'default';
  const bySa = listsServiceAccount(subjects, policy.metadata.namespace ?? namespace, namespace, sa);
  const match = subjects.podSelector?.matchLabels;
  const byLabels = !!match && Object.keys(match).length > 0 && Object.entries(match).every(([k, v]) => pod.metadata?.labels?.[k] === v);
  return bySa || byLabels;
}

const envName = (target: string): string => target.toUpperCase().replace(/[^A-Z0-9]/g, '_');
const portOf = (listen: string): string => listen.slice(listen.lastIndexOf(':') + 1);

/** The injected pod. Pure: same inputs, same output (golden-file tested). */
export function injectSidecar(pod: V1Pod, policy: AgentAccessPolicy, namespace: string, cfg: InjectorConfig): V1Pod {
  const out = structuredClone(pod);
  const spec = out.spec!;
  const targets = policy.spec.targets;
  const tokenSeconds = Math.max(600, Math.min(policy.spec.identity.maxTokenLifetimeSeconds, 3600)); // API minimum is 600 s

  const volumes: V1Volume[] = [
    {
      name: TOKEN_VOLUME,
      projected: { sources: [{ serviceAccountToken: { audience: cfg.audience ?? 'agentgate', expirationSeconds: tokenSeconds, path: 'token' } }] },
    },
    { name: 'agentgate-audit', emptyDir: {} },
    { name: TMP_VOLUME, emptyDir: { sizeLimit: '64Mi' } },
  ];
  const proxyMounts: V1VolumeMount[] = [{ name: 'agentgate-audit', mountPath: AUDIT_DIR }, { name: TMP_VOLUME, mountPath: '/tmp' }];
  const operatorMount = (): V1VolumeMount => ({ name: OPERATOR_CA_VOLUME, mountPath: OPERATOR_DIR, readOnly: true });
  if (cfg.operator) {
    volumes.push({ name: OPERATOR_CA_VOLUME, configMap: { name: `agentgate-policy-${policy.metadata.name}`, items: [{ key: 'operator-ca.crt', path: 'ca.crt' }], optional: true } });
    if (!cfg.operator.ca) proxyMounts.push(operatorMount());
  }
  const witness = cfg.operator?.auditWitness ? cfg.operator : undefined;
  if (cfg.operator) {
    // A token of its own audience for what only the proxy may ask the operator (approval requests, used
    // grants, audit checkpoints): an agent, which shares the service account, never holds it.
    volumes.push({ name: PROXY_TOKEN_VOLUME, projected: { sources: [{ serviceAccountToken: { audience: PROXY_AUDIENCE, expirationSeconds: 3600, path: 'token' } }] } });
    proxyMounts.push({ name: PROXY_TOKEN_VOLUME, mountPath: PROXY_TOKEN_DIR, readOnly: true });
  }
  for (const t of targets) {
    const ref = t.credentials.secretRef;
    if (!ref) continue;
    const vol = `agentgate-cred-${t.name}`;
    // The kubelet writes Secret files as root (group: fsGroup, which the sidecar's gid may not be); the
    // proxy runs as PROXY_UID, so the file must be readable by others. Only the proxy container mounts
    // this volume, and no other uid can reach into it (/proc/<pid>/root needs the proxy's uid).
    volumes.push({ name: vol, secret: { secretName: ref.name, items: [{ key: ref.key ?? 'password', path: 'password' }], defaultMode: CREDENTIALS_MODE } });
    proxyMounts.push({ name: vol, mountPath: `${CREDENTIALS_DIR}/${t.name}`, readOnly: true });
  }

  const proxy: V1Container = {
    name: PROXY_CONTAINER,
    image: cfg.image,
    imagePullPolicy: cfg.imagePullPolicy ?? 'IfNotPresent',
    args: ['proxy', '--policy-ref', `${namespace}/${policy.metadata.name}`, '--audit-file', `${AUDIT_DIR}/audit.log`, '--health-address', `0.0.0.0:${HEALTH_PORT}`, ...(cfg.operator ? ['--operator-url', cfg.operator.url, ...(cfg.operator.ca ? [] : ['--operator-ca', `${OPERATOR_DIR}/ca.crt`])] : []), ...(witness ? ['--checkpoint-url', witness.url, ...(witness.ca ? [] : ['--checkpoint-ca', `${OPERATOR_DIR}/ca.crt`])] : [])],
    // A native sidecar (init container that keeps running) starts before the agent and stops after it.
    restartPolicy: 'Always',
    env: [
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
      { name: 'AGENTGATE_CREDENTIALS_DIR', value: CREDENTIALS_DIR },
      ...(cfg.operator ? [{ name: 'AGENTGATE_PROXY_TOKEN_FILE', value: `${PROXY_TOKEN_DIR}/token` }] : []),
      ...(cfg.operator?.ca ? [{ name: 'AGENTGATE_OPERATOR_CA', value: cfg.operator.ca }] : []),
    ],
    ports: [...targets.map((t) => ({ name: `ag-${t.name}`.slice(0, 15), containerPort: Number(portOf(t.listen)), protocol: 'TCP' })), { name: 'ag-health', containerPort: HEALTH_PORT, protocol: 'TCP' }],
    // The agent containers start only once the proxy is ready (native sidecar + startup probe).
    startupProbe: { httpGet: { path: '/readyz', port: HEALTH_PORT }, periodSeconds: 1, failureThreshold: 120 },
    readinessProbe: { httpGet: { path: '/readyz', port: HEALTH_PORT }, periodSeconds: 5 },
    livenessProbe: { httpGet: { path: '/healthz', port: HEALTH_PORT }, periodSeconds: 10, failureThreshold: 3 },
    volumeMounts: proxyMounts,
    // Its own uid/gid: with a shared process namespace, an agent of another uid cannot read it through /proc.
    securityContext: { runAsUser: PROXY_UID, runAsGroup: PROXY_GID, runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
    resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '384Mi' } },
  };

  const firstPg = targets.find((t) => t.protocol === 'postgres');
  const agentEnv: V1EnvVar[] = [{ name: 'AGENTGATE_TOKEN_FILE', value: `${TOKEN_DIR}/token` }];
  // For `agentgate token exchange` in the agent: where the operator is and the CA to trust it with.
  if (cfg.operator) agentEnv.push({ name: 'AGENTGATE_OPERATOR_URL', value: cfg.operator.url }, { name: 'AGENTGATE_OPERATOR_CA_FILE', value: `${OPERATOR_DIR}/ca.crt` });
  // The CA as admission saw it: a ConfigMap editor cannot change it for this pod.
  if (cfg.operator?.ca) agentEnv.push({ name: 'AGENTGATE_OPERATOR_CA', value: cfg.operator.ca });
  if (firstPg) {
    agentEnv.push({ name: 'PGHOST', value: '127.0.0.1' }, { name: 'PGPORT', value: portOf(firstPg.listen) }, { name: 'PGDATABASE', value: firstPg.upstream.database }, { name: 'PGSSLMODE', value: 'disable' });
  }
  for (const t of targets) {
    agentEnv.push({ name: `AGENTGATE_${envName(t.name)}_HOST`, value: '127.0.0.1' }, { name: `AGENTGATE_${envName(t.name)}_PORT`, value: portOf(t.listen) });
  }
  const injected = new Set(agentEnv.map((e) => e.name));
  for (const c of spec.containers) {
    // The injected connection settings replace the pod's own: the agent's way to the data is the proxy.
    c.env = [...(c.env ?? []).filter((e) => !injected.has(e.name)), ...agentEnv];
    c.volumeMounts = [...(c.volumeMounts ?? []), { name: TOKEN_VOLUME, mountPath: TOKEN_DIR, readOnly: true }, ...(cfg.operator ? [operatorMount()] : [])];
  }
  spec.initContainers = [proxy, ...(spec.initContainers ?? [])];
  spec.volumes = [...(spec.volumes ?? []), ...volumes];
  out.metadata ??= {};
  out.metadata.annotations = {
    ...out.metadata.annotations,
    [STATUS]: JSON.stringify({ version: 1, policy: `${namespace}/${policy.metadata.name}`, generation: policy.metadata.generation ?? 0, sidecar: PROXY_CONTAINER, volumes: volumes.map((v) => v.name) }),
  };
  return out;
}
