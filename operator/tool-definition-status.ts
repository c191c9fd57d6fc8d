/**
 * Records a rug pull the sidecar reported on its policy's status: the change joins
 * `status.toolDefinitionChanges` (unless the spec already accepts it) and the ToolDefinitionsAccepted
 * condition turns False. Written with the read resourceVersion, so a concurrent status write (the policy
 * controller's reconcile) is never overwritten; a conflict is read again and retried.
 */
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { GROUP, POLICY_PLURAL, VERSION } from '../shared/contract/api.js';
import type { AgentAccessPolicy } from '../shared/contract/policy-types.js';
import {
  TOOL_DEFINITIONS_CONDITION,
  toolDefinitionsState,
  type ToolDefinitionChange,
  type ToolDefinitionReport,
} from '../shared/contract/tool-definitions.js';
import { mergePatch, statusOf } from '../shared/kube/client.js';
import { ProxyRequestError } from './identity/proxy-token.js';
import { mergeCondition, type PolicyCondition } from './policy-conditions.js';

type PolicyObject = AgentAccessPolicy & {
  metadata: { generation?: number; resourceVersion?: string };
  status?: { conditions?: PolicyCondition[]; toolDefinitionChanges?: ToolDefinitionChange[] };
};

export async function recordToolDefinitionChange(
  o: { custom: CustomObjectsApi; now?: () => number },
  at: { namespace: string; policy: string; pod: string },
  report: ToolDefinitionReport,
): Promise<void> {
  const now = o.now ?? Date.now;
  for (let attempt = 0; ; attempt++) {
    let obj: PolicyObject;
    try {
      obj = (await o.custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: at.namespace,
        plural: POLICY_PLURAL,
        name: at.policy,
      })) as PolicyObject;
    } catch (e) {
      if (statusOf(e) === 404)
        throw new ProxyRequestError(
          409,
          `policy ${at.namespace}/${at.policy}, which pod ${at.pod} follows, does not exist`,
        );
      throw e;
    }
    const target = obj.spec?.targets?.find((t) => t.name === report.target);
    if (target?.protocol !== 'mcp')
      throw new ProxyRequestError(400, `policy ${at.policy} has no MCP target ${report.target}`);
    const known = obj.status?.toolDefinitionChanges ?? [];
    if (known.some((c) => c.target === report.target && c.tool === report.tool && c.sha256 === report.sha256)) return;
    const change: ToolDefinitionChange = { ...report, pod: at.pod, reportedAt: new Date(now()).toISOString() };
    const hadCondition = !!obj.status?.conditions?.some((c) => c.type === TOOL_DEFINITIONS_CONDITION);
    const state = toolDefinitionsState(obj, obj.metadata.generation ?? 0, [...known, change], hadCondition);
    if (!state.condition) return; // already accepted by the spec: nothing to show
    const conditions = mergeCondition(obj.status?.conditions ?? [], state.condition, now());
    try {
      await o.custom.patchNamespacedCustomObjectStatus(
        {
          group: GROUP,
          version: VERSION,
          namespace: at.namespace,
          plural: POLICY_PLURAL,
          name: at.policy,
          body: {
            metadata: { resourceVersion: obj.metadata.resourceVersion },
            status: { conditions, toolDefinitionChanges: state.open },
          },
        },
        mergePatch,
      );
      return;
    } catch (e) {
      if (statusOf(e) !== 409 || attempt >= 4) throw e;
    }
  }
}
