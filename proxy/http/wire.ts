/** Where the proxy process starts its HTTP targets: the adapter over the process's one gate. */
import type { Gate } from '../gate/gate.js';
import type { EventSink } from '../gate/record.js';
import type { Principal } from '../identity/verify.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import { isHttpTarget, type AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { DirectHttpGate } from './direct-gate.js';
import { HttpTargets } from './server.js';

export interface HttpWiring {
  policy: AgentAccessPolicy;
  runtime: () => PolicyRuntime;
  verify: (token: string) => Promise<Principal>;
  /** The gate every protocol of the process decides, records and seeks approvals through. */
  gate: Gate;
  /** The audit file, if any (MCP targets keep their tool baselines next to it). */
  auditFile?: string;
  /** Reports to the operator, where there is one (MCP targets report first-seen tool definitions). */
  events?: EventSink;
  env?: NodeJS.ProcessEnv;
  resolvePath?: (p: string) => string;
  listenOverride?: Record<string, string>;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

export async function startHttpTargets(w: HttpWiring): Promise<HttpTargets | undefined> {
  const targets = w.policy.spec.targets.filter(isHttpTarget);
  if (!targets.length) return undefined;
  const gate = new DirectHttpGate(w.gate);
  return HttpTargets.start({
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
