/**
 * Keeps the first-seen fingerprint of an MCP tool a sidecar reported (reason ToolDefinitionFirstSeen) in
 * the policy's `status.toolDefinitionBaselines`: the first report per target and tool wins, later ones
 * (another pod, a restarted sidecar) change nothing. Compiled policies carry them to every sidecar
 * (shared/contract/compiled-policy.ts), which then blocks any other definition of the tool until the
 * spec accepts it. Written with the read resourceVersion (mcp-policy-status.ts), so two pods reporting
 * at once cannot both win.
 */
import type { CustomObjectsApi } from '@kubernetes/client-node';
import {
  perTargetShare,
  TOOL_BASELINES_LIMIT,
  type ToolBaseline,
  type ToolDefinitionReport,
} from '../shared/contract/tool-definitions.js';
import { updateMcpPolicyStatus } from './mcp-policy-status.js';

export async function recordToolBaseline(
  o: { custom: CustomObjectsApi; now?: () => number },
  at: { namespace: string; policy: string; pod: string },
  report: Pick<ToolDefinitionReport, 'target' | 'tool' | 'sha256'>,
): Promise<'kept' | 'known' | 'full'> {
  const now = o.now ?? Date.now;
  return updateMcpPolicyStatus<{ toolDefinitionBaselines?: ToolBaseline[] }, 'kept' | 'known' | 'full'>(
    o.custom,
    at,
    report.target,
    (obj) => {
      const known = obj.status?.toolDefinitionBaselines ?? [];
      if (known.some((b) => b.target === report.target && b.tool === report.tool)) return { result: 'known' };
      const share = perTargetShare(obj, TOOL_BASELINES_LIMIT);
      if (known.filter((b) => b.target === report.target).length >= share) return { result: 'full' };
      const entry: ToolBaseline = {
        target: report.target,
        tool: report.tool,
        sha256: report.sha256,
        pod: at.pod,
        reportedAt: new Date(now()).toISOString(),
      };
      return { status: { toolDefinitionBaselines: [...known, entry] }, result: 'kept' };
    },
  );
}
