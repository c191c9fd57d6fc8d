/** A validated policy compiled into what the data path uses per statement. */
import { Masker, type MaskerOptions } from '../masking/masker.js';
import { PolicyEngine } from '../gate/decide.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { CHANGED_AT, CHANGED_BY, SPEC_SHA256 } from '../../shared/contract/labels.js';

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

/** The admission webhook's change stamp (shared/contract/labels.ts), carried by the compiled policy. */
function changeOf(policy: AgentAccessPolicy): Pick<PolicyRuntime, 'change'> {
  const a = policy.metadata.annotations ?? {};
  const by = a[CHANGED_BY];
  const sha = a[SPEC_SHA256];
  return by && sha
    ? { change: { changedBy: by, ...(a[CHANGED_AT] ? { changedAt: a[CHANGED_AT] } : {}), specSha256: sha } }
    : {};
}
