/**
 * Local mode: a policy file, no cluster. No Events and no approvals (RequireApproval refuses); a
 * witness when one is configured. The Kubernetes client is loaded only for a `kubernetes: true` issuer.
 */
import { loadPolicyFile } from '../policy/load.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { checkpointsFor, noEvents, podFromEnv, type CheckpointOptions, type ProxyServices } from './services.js';

export interface LocalModeOptions extends CheckpointOptions {
  /** The policy file, or the policy itself (validated) with how its relative paths resolve. */
  policyFile?: string;
  policy?: { policy: AgentAccessPolicy; resolvePath?: (p: string) => string };
  env?: NodeJS.ProcessEnv;
}

export async function localServices(o: LocalModeOptions): Promise<ProxyServices> {
  const env = o.env ?? process.env;
  const loaded = o.policy ?? loadPolicyFile(o.policyFile!);
  const pod = podFromEnv(env);
  let kubernetesJwks: ProxyServices['kubernetesJwks'];
  if (loaded.policy.spec.identity.issuers.some((i) => i.kubernetes)) {
    const kube = await import('../../shared/kube/client.js');
    kubernetesJwks = kube.serviceAccountJwks(kube.loadKubeConfig()) as never;
  }
  return {
    policy: loaded.policy,
    ...(loaded.resolvePath ? { resolvePath: loaded.resolvePath } : {}),
    ...(pod ? { pod } : {}),
    ...(kubernetesJwks ? { kubernetesJwks } : {}),
    events: noEvents,
    ...(await checkpointsFor(o, env, pod)),
    follow: () => undefined,
    stop: async () => undefined,
  };
}
