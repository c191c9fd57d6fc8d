/**
 * Keeps the first-seen fingerprint of an MCP tool a sidecar reported (reason ToolDefinitionFirstSeen) in
 * the policy's `status.toolDefinitionBaselines`: the first report per target and tool wins, later ones
 * (another pod, a restarted sidecar) change nothing. Compiled policies carry them to every sidecar
 * (shared/contract/compiled-policy.ts), which then blocks any other definition of the tool until the
 * spec accepts it. Written with the read resourceVersion; a conflict is read again and retried, so two
 * pods reporting at once cannot both win.
 */
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { GROUP, POLICY_PLURAL, VERSION } from '../shared/contract/api.js';
import type { AgentAccessPolicy } from '../shared/contract/policy-types.js';
import {
  perTargetShare,
  TOOL_BASELINES_LIMIT,
  type ToolBaseline,
  type ToolDefinitionReport,
} from '../shared/contract/tool-definitions.js';
import { mergePatch, statusOf } from '../shared/kube/client.js';
import { ProxyRequestError } from './identity/proxy-token.js';

type PolicyObject = AgentAccessPolicy & {
  metadata: { resourceVersion?: string };
  status?: { toolDefinitionBaselines?: ToolBaseline[] };
};

export async function recordToolBaseline(
  o: { custom: CustomObjectsApi; now?: () => number },
  at: { namespace: string; policy: string; pod: string },
  report: Pick<ToolDefinitionReport, 'target' | 'tool' | 'sha256'>,
): Promise<'kept' | 'known' | 'full'> {
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
    if (obj.spec?.targets?.find((t) => t.name === report.target)?.protocol !== 'mcp')
      throw new ProxyRequestError(400, `policy ${at.policy} has no MCP target ${report.target}`);
    const known = obj.status?.toolDefinitionBaselines ?? [];
    if (known.some((b) => b.target === report.target && b.tool === report.tool)) return 'known';
    const share = perTargetShare(obj, TOOL_BASELINES_LIMIT);
    if (known.filter((b) => b.target === report.target).length >= share) return 'full';
    const entry: ToolBaseline = {
      target: report.target,
      tool: report.tool,
      sha256: report.sha256,
      pod: at.pod,
      reportedAt: new Date(now()).toISOString(),
    };
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
            status: { toolDefinitionBaselines: [...known, entry] },
          },
        },
        mergePatch,
      );
      return 'kept';
    } catch (e) {
      if (statusOf(e) !== 409 || attempt >= 4) throw e;
    }
  }
}
