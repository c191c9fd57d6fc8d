/** Where the proxy process starts its MCP targets: the adapter over the process's one gate. */
import type { HttpWiring } from '../http/wire.js';
import { isMcpTarget } from '../../shared/contract/policy-types.js';
import { McpGate } from './gate.js';
import { McpTargets } from './server.js';

export async function startMcpTargets(w: HttpWiring): Promise<McpTargets | undefined> {
  const targets = w.policy.spec.targets.filter(isMcpTarget);
  if (!targets.length) return undefined;
  const gate = new McpGate(w.gate);
  return McpTargets.start({
    targets,
    runtime: w.runtime,
    verify: w.verify,
    gate,
    ...(w.env ? { env: w.env } : {}),
    ...(w.resolvePath ? { resolvePath: w.resolvePath } : {}),
    ...(w.listenOverride ? { listenOverride: w.listenOverride } : {}),
    ...(w.log ? { log: w.log } : {}),
  });
}
