/** A validated policy compiled into what the data path uses per statement. */
import { Masker, type MaskerOptions } from '../masking/masker.js';
import { PolicyEngine } from './decide.js';
import type { AgentAccessPolicy } from './types.js';

export interface PolicyRuntime {
  policy: AgentAccessPolicy;
  engine: PolicyEngine;
  masker: Masker;
  /** For audit records: which policy (and generation) decided. */
  ref: { name: string; namespace?: string; generation?: number; mode: string };
  /** Who changed this version (the operator's admission stamp, cluster mode), for policy records. */
  change?: { changedBy: string; changedAt?: string; specSha256: string };
}

export function compilePolicy(policy: AgentAccessPolicy, opts: MaskerOptions = {}): PolicyRuntime {
  return {
    policy,
    engine: new PolicyEngine(policy.spec),
    masker: new Masker(policy.spec.masking, opts),
    ref: {
      name: policy.metadata.name,
      ...(policy.metadata.namespace ? { namespace: policy.metadata.namespace } : {}),
      ...(policy.metadata.generation ? { generation: policy.metadata.generation } : {}),
      mode: policy.spec.mode,
    },
    ...changeOf(policy),
  };
}

/** The admission webhook's stamp, carried by the compiled ConfigMap (agentgate.dev/changed-by …). */
function changeOf(policy: AgentAccessPolicy): Pick<PolicyRuntime, 'change'> {
  const a = policy.metadata.annotations ?? {};
  const by = a['agentgate.dev/changed-by'];
  const sha = a['agentgate.dev/spec-sha256'];
  return by && sha ? { change: { changedBy: by, ...(a['agentgate.dev/changed-at'] ? { changedAt: a['agentgate.dev/changed-at'] } : {}), specSha256: sha } } : {};
}
