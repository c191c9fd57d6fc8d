/**
 * Sidecar injection as a pure function (Istio's injector shape): pod + the policy it runs under →
 * the mutated pod. The admission handler diffs the two into a JSON Patch. The status annotation records
 * what was injected (a preset one is never trusted: pod-guard.ts); upstream credentials are mounted only
 * into the proxy container, which runs as a uid and gid of its own.
 */
import type { V1Container, V1EnvVar, V1Pod, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { listsServiceAccount } from '../../shared/contract/subjects.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { OPERATOR_CA_KEY, policyConfigMapName } from '../../shared/contract/api.js';
import { BUSY_POLL, INJECT, POLICY, STATUS } from '../../shared/contract/labels.js';
import { HEALTH_PORT_NAME, targetPortNames } from './port-names.js';
import {
  AUDIT_DIR,
  busyPollMicros,
  CREDENTIALS_DIR,
  CREDENTIALS_MODE,
  ENV,
  HEALTH_PORT,
  OPERATOR_CA_VOLUME,
  OPERATOR_DIR,
  PROXY_AUDIENCE,
  PROXY_CONTAINER,
  PROXY_GID,
  PROXY_TOKEN_DIR,
  PROXY_TOKEN_VOLUME,
  PROXY_UID,
  targetEnvPrefix,
  TMP_VOLUME,
  TOKEN_DIR,
  TOKEN_VOLUME,
} from '../../shared/contract/sidecar.js';

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

export type InjectDecision = { inject: false; reason: string } | { inject: true; policyName?: string };

const truthy = (v: string | undefined): boolean =>
  v !== undefined && ['true', 'enabled', 'yes', '1'].includes(v.toLowerCase());

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
  const byLabels =
    !!match &&
    Object.keys(match).length > 0 &&
    Object.entries(match).every(([k, v]) => pod.metadata?.labels?.[k] === v);
  return bySa || byLabels;
}

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
      projected: {
        sources: [
          {
            serviceAccountToken: {
              audience: cfg.audience ?? 'agentgate',
              expirationSeconds: tokenSeconds,
              path: 'token',
            },
          },
        ],
      },
    },
    { name: 'agentgate-audit', emptyDir: {} },
    { name: TMP_VOLUME, emptyDir: { sizeLimit: '64Mi' } },
  ];
  const proxyMounts: V1VolumeMount[] = [
    { name: 'agentgate-audit', mountPath: AUDIT_DIR },
    { name: TMP_VOLUME, mountPath: '/tmp' },
  ];
  const operatorMount = (): V1VolumeMount => ({ name: OPERATOR_CA_VOLUME, mountPath: OPERATOR_DIR, readOnly: true });
  if (cfg.operator) {
    volumes.push({
      name: OPERATOR_CA_VOLUME,
      configMap: {
        name: policyConfigMapName(policy.metadata.name),
        items: [{ key: OPERATOR_CA_KEY, path: 'ca.crt' }],
        optional: true,
      },
    });
    if (!cfg.operator.ca) proxyMounts.push(operatorMount());
  }
  const witness = cfg.operator?.auditWitness ? cfg.operator : undefined;
  if (cfg.operator) {
    // A token of its own audience for what only the proxy may ask the operator (approval requests, used
    // grants, audit checkpoints): an agent, which shares the service account, never holds it.
    volumes.push({
      name: PROXY_TOKEN_VOLUME,
      projected: {
        sources: [{ serviceAccountToken: { audience: PROXY_AUDIENCE, expirationSeconds: 3600, path: 'token' } }],
      },
    });
    proxyMounts.push({ name: PROXY_TOKEN_VOLUME, mountPath: PROXY_TOKEN_DIR, readOnly: true });
  }
  for (const t of targets) {
    const ref = t.credentials?.secretRef;
    if (!ref) continue;
    const vol = `agentgate-cred-${t.name}`;
    // The kubelet writes Secret files as root (group: fsGroup, which the sidecar's gid may not be); the
    // proxy runs as PROXY_UID, so the file must be readable by others. Only the proxy container mounts
    // this volume, and no other uid can reach into it (/proc/<pid>/root needs the proxy's uid).
    volumes.push({
      name: vol,
      secret: {
        secretName: ref.name,
        items: [{ key: ref.key ?? 'password', path: 'password' }],
        defaultMode: CREDENTIALS_MODE,
      },
    });
    proxyMounts.push({ name: vol, mountPath: `${CREDENTIALS_DIR}/${t.name}`, readOnly: true });
  }
  // An MCP stdio server's environment from Secrets: <credentials dir>/<target>/<secret>/<key>, proxy only.
  targets.forEach((t, i) => {
    if (t.protocol !== 'mcp') return;
    const bySecret = new Map<string, Set<string>>();
    for (const e of t.upstream.env ?? [])
      if (e.secretRef)
        bySecret.set(e.secretRef.name, (bySecret.get(e.secretRef.name) ?? new Set()).add(e.secretRef.key));
    [...bySecret].forEach(([secretName, keys], j) => {
      const vol = `agentgate-env-${i}-${j}`;
      volumes.push({
        name: vol,
        secret: { secretName, items: [...keys].map((key) => ({ key, path: key })), defaultMode: CREDENTIALS_MODE },
      });
      proxyMounts.push({ name: vol, mountPath: `${CREDENTIALS_DIR}/${t.name}/${secretName}`, readOnly: true });
    });
  });

  const busyPoll = busyPollMicros(pod.metadata?.annotations?.[BUSY_POLL] ?? '');
  const proxy: V1Container = {
    name: PROXY_CONTAINER,
    image: cfg.image,
    imagePullPolicy: cfg.imagePullPolicy ?? 'IfNotPresent',
    args: [
      'proxy',
      '--policy-ref',
      `${namespace}/${policy.metadata.name}`,
      '--audit-file',
      `${AUDIT_DIR}/audit.log`,
      '--health-address',
      `0.0.0.0:${HEALTH_PORT}`,
      ...(cfg.operator
        ? ['--operator-url', cfg.operator.url, ...(cfg.operator.ca ? [] : ['--operator-ca', `${OPERATOR_DIR}/ca.crt`])]
        : []),
      ...(witness
        ? ['--checkpoint-url', witness.url, ...(witness.ca ? [] : ['--checkpoint-ca', `${OPERATOR_DIR}/ca.crt`])]
        : []),
      // A malformed value never gets here: createRefusals refuses the pod.
      ...(busyPoll ? ['--busy-poll-micros', String(busyPoll)] : []),
    ],
    // A native sidecar (init container that keeps running) starts before the agent and stops after it.
    restartPolicy: 'Always',
    env: [
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
      { name: ENV.credentialsDir, value: CREDENTIALS_DIR },
      ...(cfg.operator ? [{ name: ENV.proxyTokenFile, value: `${PROXY_TOKEN_DIR}/token` }] : []),
      ...(cfg.operator?.ca ? [{ name: ENV.operatorCa, value: cfg.operator.ca }] : []),
    ],
    ports: [
      ...targetPortNames(targets.map((t) => t.name)).map((name, i) => ({
        name,
        containerPort: Number(portOf(targets[i]!.listen)),
        protocol: 'TCP',
      })),
      { name: HEALTH_PORT_NAME, containerPort: HEALTH_PORT, protocol: 'TCP' },
    ],
    // The agent containers start only once the proxy is ready (native sidecar + startup probe).
    startupProbe: { httpGet: { path: '/readyz', port: HEALTH_PORT }, periodSeconds: 1, failureThreshold: 120 },
    readinessProbe: { httpGet: { path: '/readyz', port: HEALTH_PORT }, periodSeconds: 5 },
    livenessProbe: { httpGet: { path: '/healthz', port: HEALTH_PORT }, periodSeconds: 10, failureThreshold: 3 },
    volumeMounts: proxyMounts,
    // Its own uid/gid: with a shared process namespace, an agent of another uid cannot read it through /proc.
    securityContext: {
      runAsUser: PROXY_UID,
      runAsGroup: PROXY_GID,
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    // The request covers what `npm run bench` measures the injected sidecar at under this limit: 80–81 MiB
    // idle on average (83–86 at most), 89–90 with 100 open sessions (docs/performance.md, round 9).
    // Busy polling spins up to a core while traffic flows (proxy/busy-poll.ts): the scheduler accounts for it.
    resources: { requests: { cpu: busyPoll ? '1' : '50m', memory: '160Mi' }, limits: { memory: '384Mi' } },
  };

  const firstPg = targets.find((t) => t.protocol === 'postgres');
  const agentEnv: V1EnvVar[] = [{ name: ENV.tokenFile, value: `${TOKEN_DIR}/token` }];
  // For `agentgate token exchange` in the agent: where the operator is and the CA to trust it with.
  if (cfg.operator)
    agentEnv.push(
      { name: ENV.operatorUrl, value: cfg.operator.url },
      { name: ENV.operatorCaFile, value: `${OPERATOR_DIR}/ca.crt` },
    );
  // The CA as admission saw it: a ConfigMap editor cannot change it for this pod.
  if (cfg.operator?.ca) agentEnv.push({ name: ENV.operatorCa, value: cfg.operator.ca });
  if (firstPg) {
    agentEnv.push(
      { name: 'PGHOST', value: '127.0.0.1' },
      { name: 'PGPORT', value: portOf(firstPg.listen) },
      { name: 'PGDATABASE', value: firstPg.upstream.database },
      { name: 'PGSSLMODE', value: 'disable' },
    );
  }
  for (const t of targets) {
    agentEnv.push(
      { name: `${targetEnvPrefix(t.name)}_HOST`, value: '127.0.0.1' },
      { name: `${targetEnvPrefix(t.name)}_PORT`, value: portOf(t.listen) },
    );
    // HTTP targets: the base URL to call, and the forward proxy an unmodified SDK can be pointed at.
    if (t.protocol === 'http')
      agentEnv.push({ name: `${targetEnvPrefix(t.name)}_URL`, value: `http://127.0.0.1:${portOf(t.listen)}` });
    if (t.protocol === 'http' && t.forwardProxy)
      agentEnv.push({
        name: `${targetEnvPrefix(t.name)}_PROXY`,
        value: `http://127.0.0.1:${portOf(t.forwardProxy.listen)}`,
      });
    if (t.protocol === 'mcp')
      agentEnv.push({ name: `${targetEnvPrefix(t.name)}_URL`, value: `http://127.0.0.1:${portOf(t.listen)}/mcp` });
  }
  const injected = new Set(agentEnv.map((e) => e.name));
  for (const c of spec.containers) {
    // The injected connection settings replace the pod's own: the agent's way to the data is the proxy.
    c.env = [...(c.env ?? []).filter((e) => !injected.has(e.name)), ...agentEnv];
    c.volumeMounts = [
      ...(c.volumeMounts ?? []),
      { name: TOKEN_VOLUME, mountPath: TOKEN_DIR, readOnly: true },
      ...(cfg.operator ? [operatorMount()] : []),
    ];
  }
  spec.initContainers = [proxy, ...(spec.initContainers ?? [])];
  spec.volumes = [...(spec.volumes ?? []), ...volumes];
  out.metadata ??= {};
  out.metadata.annotations = {
    ...out.metadata.annotations,
    [STATUS]: JSON.stringify({
      version: 1,
      policy: `${namespace}/${policy.metadata.name}`,
      generation: policy.metadata.generation ?? 0,
      sidecar: PROXY_CONTAINER,
      volumes: volumes.map((v) => v.name),
      // The window the sidecar runs with: the pod's annotation may be edited later, this may not (pod-guard.ts).
      ...(busyPoll ? { busyPollMicros: busyPoll } : {}),
    }),
  };
  return out;
}
