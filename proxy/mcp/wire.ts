/** Where the proxy process starts its MCP targets: the adapter over the process's one gate. */
import { dirname, join } from 'node:path';
import type { HttpWiring } from '../http/wire.js';
import { isMcpTarget } from '../../shared/contract/policy-types.js';
import { McpGate } from './gate.js';
import { McpTargets } from './server.js';
import { TOOL_DEFINITION_FIRST_SEEN } from '../../shared/contract/tool-definitions.js';
import { toolBaselinesOf } from '../../shared/contract/compiled-policy.js';
import { TOOL_BASELINES_ANNOTATION } from '../../shared/contract/labels.js';
import { FileBaselines, MemoryBaselines, ReportedBaselines, type BaselineStore } from './tool-baselines.js';

export async function startMcpTargets(w: HttpWiring): Promise<McpTargets | undefined> {
  const targets = w.policy.spec.targets.filter(isMcpTarget);
  if (!targets.length) return undefined;
  const gate = new McpGate(w.gate);
  return McpTargets.start({
    targets,
    runtime: w.runtime,
    verify: w.verify,
    gate,
    baselines: baselines(w),
    ...(w.env ? { env: w.env } : {}),
    ...(w.resolvePath ? { resolvePath: w.resolvePath } : {}),
    ...(w.listenOverride ? { listenOverride: w.listenOverride } : {}),
    ...(w.log ? { log: w.log } : {}),
  });
}

/**
 * First-seen tool fingerprints: those the policy in force carries (a cluster's, from the policy's status)
 * first; else this sidecar's, in a file next to the audit log (a restarted sidecar keeps them), reported
 * to the operator where there is one (Events go there).
 */
function baselines(w: HttpWiring): BaselineStore {
  const local = w.auditFile
    ? new FileBaselines(join(dirname(w.auditFile), 'mcp-tool-baselines.jsonl'))
    : new MemoryBaselines();
  const events = w.events;
  let cached: { raw: string | undefined; map: Map<string, string> } | undefined;
  return new ReportedBaselines({
    local,
    compiled: () => {
      const doc = w.runtime().policy;
      const raw = doc.metadata.annotations?.[TOOL_BASELINES_ANNOTATION];
      if (!cached || cached.raw !== raw) cached = { raw, map: toolBaselinesOf(doc) };
      return cached.map;
    },
    report: (target, tool, sha256) =>
      events?.(
        'Normal',
        TOOL_DEFINITION_FIRST_SEEN,
        `tool "${tool}" on target ${target} first seen (sha256 ${sha256})`,
        {
          toolDefinition: { target, tool, sha256 },
        },
      ),
  });
}
