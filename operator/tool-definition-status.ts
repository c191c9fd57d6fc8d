/**
 * Records a rug pull the sidecar reported on its policy's status: the change joins
 * `status.toolDefinitionChanges` (unless the spec already accepts it) and the ToolDefinitionsAccepted
 * condition turns False. Written with the read resourceVersion, so a concurrent status write (the policy
 * controller's reconcile) is never overwritten (mcp-policy-status.ts).
 */
import type { CustomObjectsApi } from '@kubernetes/client-node';
import {
  TOOL_DEFINITIONS_CONDITION,
  toolDefinitionsState,
  type ToolDefinitionChange,
  type ToolDefinitionReport,
} from '../shared/contract/tool-definitions.js';
import { updateMcpPolicyStatus } from './mcp-policy-status.js';
import { mergeCondition, type PolicyCondition } from './policy-conditions.js';

export async function recordToolDefinitionChange(
  o: { custom: CustomObjectsApi; now?: () => number },
  at: { namespace: string; policy: string; pod: string },
  report: ToolDefinitionReport,
): Promise<void> {
  const now = o.now ?? Date.now;
  await updateMcpPolicyStatus<
    { conditions?: PolicyCondition[]; toolDefinitionChanges?: ToolDefinitionChange[] },
    undefined
  >(o.custom, at, report.target, (obj) => {
    const known = obj.status?.toolDefinitionChanges ?? [];
    if (known.some((c) => c.target === report.target && c.tool === report.tool && c.sha256 === report.sha256))
      return { result: undefined };
    const change: ToolDefinitionChange = { ...report, pod: at.pod, reportedAt: new Date(now()).toISOString() };
    const hadCondition = !!obj.status?.conditions?.some((c) => c.type === TOOL_DEFINITIONS_CONDITION);
    const state = toolDefinitionsState(obj, obj.metadata.generation ?? 0, [...known, change], hadCondition);
    if (!state.condition) return { result: undefined }; // already accepted by the spec: nothing to show
    const conditions = mergeCondition(obj.status?.conditions ?? [], state.condition, now());
    return { status: { conditions, toolDefinitionChanges: state.open }, result: undefined };
  });
}
