/**
 * An agent's objects on the test control plane: its pod, as the injector leaves it for the policy
 * `billing-agent`, and its policy, the example policy for one service account trusting the cluster's
 * own token issuer (the pod-bound tokens it accepts: proxy-credentials.ts `podToken`).
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { kubectlOk, type TestCluster } from './cluster.js';

/** The agent's pod (service account billing-agent), stamped with the status the injector writes. */
export function agentPod(namespace: string, name = 'agent-pod'): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      annotations: { 'agentgate.dev/status': JSON.stringify({ policy: `${namespace}/billing-agent` }) },
    },
    spec: { serviceAccountName: 'billing-agent', containers: [{ name: 'agent', image: 'example.com/agent:1' }] },
  };
}

/** `base` (e.g. the example policy) as `namespace/serviceAccount`'s, its first target listening on `listen`. */
export async function clusterAgentPolicy(
  c: TestCluster,
  base: AgentAccessPolicy,
  o: { namespace: string; serviceAccount: string; listen: string },
): Promise<AgentAccessPolicy> {
  const { issuer } = JSON.parse(await kubectlOk(c, ['get', '--raw', '/.well-known/openid-configuration'])) as {
    issuer: string;
  };
  const policy = structuredClone(base);
  policy.metadata = { name: o.serviceAccount, namespace: o.namespace };
  policy.spec.subjects = { serviceAccounts: [{ name: o.serviceAccount }] };
  policy.spec.identity = {
    issuers: [{ issuer, audiences: ['agentgate'], kubernetes: true }],
    maxTokenLifetimeSeconds: 900,
  };
  policy.spec.targets[0]!.listen = o.listen;
  return policy;
}
