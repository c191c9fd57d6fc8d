/** Where the proxy process starts its HTTP targets: the adapter over the direct gate. */
import type { ApprovalBroker } from '../approvals/broker.js';
import type { EventSink } from '../gate/record.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Principal } from '../identity/verify.js';
import type { ProxyMetrics } from '../observability/metrics.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import { isHttpTarget, type AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { DirectHttpGate } from './direct-gate.js';
import { HttpTargets } from './server.js';

export interface HttpWiring {
  policy: AgentAccessPolicy;
  runtime: () => PolicyRuntime;
  verify: (token: string) => Promise<Principal>;
  audit: AuditLog;
  /** The audit file, if any (MCP targets keep their tool baselines next to it). */
  auditFile?: string;
  failClosed: () => string | undefined;
  approvals?: ApprovalBroker;
  events?: EventSink;
  metrics?: ProxyMetrics;
  env?: NodeJS.ProcessEnv;
  resolvePath?: (p: string) => string;
  listenOverride?: Record<string, string>;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

export async function startHttpTargets(w: HttpWiring): Promise<HttpTargets | undefined> {
  const targets = w.policy.spec.targets.filter(isHttpTarget);
  if (!targets.length) return undefined;
  const gate = new DirectHttpGate({
    runtime: w.runtime,
    audit: w.audit,
    failClosed: w.failClosed,
    ...(w.approvals ? { approvals: w.approvals } : {}),
    ...(w.events ? { events: w.events } : {}),
    ...(w.metrics ? { metrics: w.metrics } : {}),
  });
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
