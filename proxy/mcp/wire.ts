/** Where the proxy process starts its MCP targets: the adapter over the MCP gate. */
import { dirname, join } from 'node:path';
import type { HttpWiring } from '../http/wire.js';
import { isMcpTarget } from '../../shared/contract/policy-types.js';
import { McpGate } from './gate.js';
import { McpTargets } from './server.js';
import { FileBaselines } from './tool-baselines.js';

export async function startMcpTargets(w: HttpWiring): Promise<McpTargets | undefined> {
  const targets = w.policy.spec.targets.filter(isMcpTarget);
  if (!targets.length) return undefined;
  const gate = new McpGate({
    runtime: w.runtime,
    audit: w.audit,
    failClosed: w.failClosed,
    ...(w.approvals ? { approvals: w.approvals } : {}),
    ...(w.events ? { events: w.events } : {}),
    ...(w.metrics ? { metrics: w.metrics } : {}),
  });
  return McpTargets.start({
    targets,
    runtime: w.runtime,
    verify: w.verify,
    gate,
    // Local mode: first-seen tool fingerprints survive a restart in a file next to the audit log.
    ...(w.auditFile ? { baselines: new FileBaselines(join(dirname(w.auditFile), 'mcp-tool-baselines.jsonl')) } : {}),
    ...(w.env ? { env: w.env } : {}),
    ...(w.resolvePath ? { resolvePath: w.resolvePath } : {}),
    ...(w.listenOverride ? { listenOverride: w.listenOverride } : {}),
    ...(w.log ? { log: w.log } : {}),
  });
}
