/**
 * What a mode builds for the proxy. Local mode (local.ts) and cluster mode (cluster.ts) build the same
 * set; main.ts wires it into the GuardProxy. The proxy itself never asks which mode it runs in.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { ApprovalBroker } from '../approvals/broker.js';
import { podStream } from '../../shared/contract/pod-stream.js';
import { ENV } from '../../shared/contract/sidecar.js';
import type { ProxyMetrics } from '../observability/metrics.js';
import type { GuardProxy, GuardProxyOptions } from '../server.js';
import type { EventSink } from '../gate/record.js';
export { noEvents } from '../gate/record.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';

export interface ProxyServices {
  /** The policy to start with (cluster mode: the one the operator compiled). */
  policy: AgentAccessPolicy;
  /** Relative paths in the policy (local mode: relative to the policy file). */
  resolvePath?: (p: string) => string;
  /** The pod this proxy serves (cluster mode): Kubernetes tokens must be bound to it. */
  pod?: NonNullable<GuardProxyOptions['pod']>;
  /** The cluster's service-account keys, for `kubernetes: true` issuers. */
  kubernetesJwks?: NonNullable<GuardProxyOptions['kubernetesJwks']>;
  /** Approval requests and grants (cluster mode); without them RequireApproval refuses. */
  approvals?: ApprovalBroker;
  /** Kubernetes Events on the pod (cluster mode); local mode has none to raise. */
  events: EventSink;
  /** Signed checkpoints of the audit chain: the operator's witness, or a local one. */
  checkpoints?: NonNullable<GuardProxyOptions['checkpoints']>;
  /** Keeps the running proxy on the policy in force (cluster mode: watches; local mode: the file as loaded). */
  follow(proxy: GuardProxy, metrics?: ProxyMetrics): void;
  stop(): Promise<void>;
}

/** The proxy options a mode's services stand for. */
export function servicesOptions(
  s: ProxyServices,
): Pick<
  GuardProxyOptions,
  'policy' | 'resolvePath' | 'pod' | 'kubernetesJwks' | 'approvals' | 'events' | 'checkpoints'
> {
  return {
    policy: s.policy,
    events: s.events,
    ...(s.resolvePath ? { resolvePath: s.resolvePath } : {}),
    ...(s.pod ? { pod: s.pod } : {}),
    ...(s.kubernetesJwks ? { kubernetesJwks: s.kubernetesJwks } : {}),
    ...(s.approvals ? { approvals: s.approvals } : {}),
    ...(s.checkpoints ? { checkpoints: s.checkpoints } : {}),
  };
}

/** The pod this process runs in, from the downward API (the injector sets POD_NAME, POD_NAMESPACE, POD_UID). */
export function podFromEnv(env: NodeJS.ProcessEnv): ProxyServices['pod'] {
  return env.POD_NAME && env.POD_NAMESPACE
    ? { name: env.POD_NAME, namespace: env.POD_NAMESPACE, ...(env.POD_UID ? { uid: env.POD_UID } : {}) }
    : undefined;
}

export interface CheckpointOptions {
  /** The operator's audit witness and its CA (the proxy's token from AGENTGATE_PROXY_TOKEN_FILE). */
  checkpointUrl?: string;
  checkpointCaFile?: string;
  /** The operator's CA for its other endpoints (default: the checkpoint CA). */
  operatorCaFile?: string;
  /** A local witness: its append-only file (keep it apart from the audit log) and its key directory. */
  witnessFile?: string;
  witnessKeyDir?: string;
  checkpointEverySeconds?: number;
  /** Names this proxy's chain (default: namespace/name/uid of the pod, else the host name). */
  auditStream?: string;
}

/** Signed checkpoints: by the operator's witness, or a local one; none when neither is configured. */
export async function checkpointsFor(
  o: CheckpointOptions,
  env: NodeJS.ProcessEnv,
  pod: ProxyServices['pod'],
): Promise<Pick<ProxyServices, 'checkpoints'>> {
  const stream = o.auditStream ?? (pod ? podStream(pod) : hostname());
  const everyMs = (o.checkpointEverySeconds ?? 60) * 1000;
  const { OperatorWitness, FileWitness } = await import('../audit/witnesses.js');
  if (o.checkpointUrl) {
    const tokenFile = env[ENV.proxyTokenFile];
    if (!tokenFile)
      throw new Error(
        `--checkpoint-url needs the proxy's token (audience agentgate-proxy): ${ENV.proxyTokenFile} is not set`,
      );
    const ca = operatorCa(o, env);
    return {
      checkpoints: {
        stream,
        everyMs,
        witness: new OperatorWitness({ url: o.checkpointUrl, tokenFile, ...(ca ? { ca } : {}) }),
      },
    };
  }
  if (o.witnessFile)
    return {
      checkpoints: {
        stream,
        everyMs,
        witness: new FileWitness({ file: o.witnessFile, keyDir: o.witnessKeyDir ?? dirname(o.witnessFile) }),
      },
    };
  return {};
}

/** The operator's CA: from AGENTGATE_OPERATOR_CA (set in the pod spec at admission) before --operator-ca / --checkpoint-ca. */
export function operatorCa(o: CheckpointOptions, env: NodeJS.ProcessEnv): Buffer | undefined {
  const pem = env[ENV.operatorCa];
  if (pem) return Buffer.from(pem);
  const file = o.operatorCaFile ?? o.checkpointCaFile;
  return file ? readFileSync(file) : undefined;
}
