/**
 * One status write on behalf of a sidecar's report about an MCP target: reads the policy the reporting
 * pod follows, lets `change` say what its status becomes (or that nothing changes), and writes it with the
 * resourceVersion it read, so a concurrent status write (the policy controller's reconcile, another pod's
 * report) is never overwritten; a conflict is read again and retried.
 */
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { GROUP, POLICY_PLURAL, VERSION } from '../shared/contract/api.js';
import type { AgentAccessPolicy } from '../shared/contract/policy-types.js';
import { mergePatch, statusOf } from '../shared/kube/client.js';
import { ProxyRequestError } from './identity/proxy-token.js';

export type PolicyObject<S> = AgentAccessPolicy & {
  metadata: { generation?: number; resourceVersion?: string };
  status?: S;
};

/** What a report makes of the policy's status: `status` to merge in (absent: nothing to write) and the answer. */
export interface StatusChange<R> {
  status?: Record<string, unknown>;
  result: R;
}

const ATTEMPTS = 5;

export async function updateMcpPolicyStatus<S, R>(
  custom: CustomObjectsApi,
  at: { namespace: string; policy: string; pod: string },
  target: string,
  change: (policy: PolicyObject<S>) => StatusChange<R>,
): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    let obj: PolicyObject<S>;
    try {
      obj = (await custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: at.namespace,
        plural: POLICY_PLURAL,
        name: at.policy,
      })) as PolicyObject<S>;
    } catch (e) {
      if (statusOf(e) === 404)
        throw new ProxyRequestError(
          409,
          `policy ${at.namespace}/${at.policy}, which pod ${at.pod} follows, does not exist`,
        );
      throw e;
    }
    if (obj.spec?.targets?.find((t) => t.name === target)?.protocol !== 'mcp')
      throw new ProxyRequestError(400, `policy ${at.policy} has no MCP target ${target}`);
    const { status, result } = change(obj);
    if (!status) return result;
    try {
      await custom.patchNamespacedCustomObjectStatus(
        {
          group: GROUP,
          version: VERSION,
          namespace: at.namespace,
          plural: POLICY_PLURAL,
          name: at.policy,
          body: { metadata: { resourceVersion: obj.metadata.resourceVersion }, status },
        },
        mergePatch,
      );
      return result;
    } catch (e) {
      if (statusOf(e) !== 409 || attempt >= ATTEMPTS) throw e;
    }
  }
}
