/**
 * The proxy process, wired in one place: the mode's services (modes/local.ts or modes/cluster.ts), the
 * guard proxy (server.ts, whose listeners hand sessions to the gate), and the health and metrics server.
 */
import { dirname, join } from 'node:path';
import type { HealthServer } from '../shared/kube/health-server.js';
import { log } from '../shared/log.js';
import { BusyPoll } from './busy-poll.js';
import { IDLE_MEMORY_DEFAULTS, IdleMemoryReturn, processProbe } from './idle-memory.js';
import { servicesOptions, type ProxyServices } from './modes/services.js';
import type { ProxyMetrics } from './observability/metrics.js';
import { GuardProxy } from './server.js';

export interface ProxyCommand {
  /** Local mode: a policy file. */
  policyFile?: string;
  /** Cluster mode: namespace/name of an AgentAccessPolicy, followed through its compiled ConfigMap. */
  policyRef?: string;
  auditFile?: string;
  auditMaxBytes?: number;
  auditStdout: boolean;
  /**
   * The operator's endpoint for what only the proxy may ask (approval requests, used grants) and its CA;
   * the proxy's token from AGENTGATE_PROXY_TOKEN_FILE. Defaults to the checkpoint URL.
   */
  operatorUrl?: string;
  operatorCaFile?: string;
  /** The operator's audit witness (cluster mode) and its CA; the proxy's token from AGENTGATE_PROXY_TOKEN_FILE. */
  checkpointUrl?: string;
  checkpointCaFile?: string;
  /** A local witness: its append-only file (keep it apart from the audit log) and its key directory. */
  witnessFile?: string;
  witnessKeyDir?: string;
  checkpointEverySeconds?: number;
  /** Session recordings (default on, in sessions/ beside the audit file). */
  recordings?: boolean;
  recordingsDir?: string;
  /** host:port of the health and metrics server (/healthz, /readyz, /metrics); off when unset. */
  healthAddress?: string;
  /** Names this proxy's chain (default: namespace/pod in a pod, else the host name). */
  auditStream?: string;
  /**
   * Cluster mode: refuse statements once the policy could not be followed for this long (default 60 s,
   * or AGENTGATE_POLICY_STALENESS_SECONDS).
   */
  policyStalenessSeconds?: number;
  /**
   * Give memory back once the event loop was quiet this long (idle-memory.ts); also once at start. 0: never.
   * Default 10.
   */
  idleMemorySeconds?: number;
  /** Keep the event loop polling this many µs after Postgres traffic that awaits an answer (busy-poll.ts). 0/unset: off. */
  busyPollMicros?: number;
}

/** Runs until SIGINT/SIGTERM; returns -1 so the process stays alive while listening. */
export async function runProxy(o: ProxyCommand): Promise<number> {
  const logFn = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void =>
    void log.log(level, message, fields);
  // Each mode is loaded only when used: local mode's policy file reader (yaml) has no place in a sidecar.
  let services: ProxyServices;
  if (o.policyRef) {
    const { clusterServices } = await import('./modes/cluster.js');
    services = await clusterServices({
      ...o,
      policyRef: o.policyRef,
      policyStalenessSeconds: o.policyStalenessSeconds ?? Number(process.env.AGENTGATE_POLICY_STALENESS_SECONDS ?? 60),
      log: logFn,
    });
  } else {
    const { localServices } = await import('./modes/local.js');
    services = await localServices({ ...o, policyFile: o.policyFile! });
  }
  // The metrics and health server (prom-client, express) are loaded only when asked for.
  const metrics = o.healthAddress ? new (await import('./observability/metrics.js')).ProxyMetrics() : undefined;
  const proxy = await GuardProxy.start({
    ...servicesOptions(services),
    ...(metrics ? { metrics } : {}),
    ...(o.auditFile ? { auditFile: o.auditFile } : {}),
    ...(o.recordings !== false && (o.recordingsDir || o.auditFile)
      ? { recordingsDir: o.recordingsDir ?? join(dirname(o.auditFile!), 'sessions') }
      : {}),
    ...(o.auditMaxBytes ? { auditMaxBytes: o.auditMaxBytes } : {}),
    auditStdout: o.auditStdout,
    ...(o.busyPollMicros
      ? { onTraffic: new BusyPoll(o.busyPollMicros, undefined, (ms) => metrics?.busyPolled(ms)).poke }
      : {}),
    log: logFn,
  }).catch(async (e: unknown) => {
    // Nothing keeps running (and the process alive) when the proxy cannot start.
    await services.stop();
    throw e;
  });
  services.follow(proxy, metrics);
  let health: HealthServer | undefined;
  if (o.healthAddress && metrics) {
    const { startHealthServer } = await import('../shared/kube/health-server.js');
    const i = o.healthAddress.lastIndexOf(':');
    health = await startHealthServer({
      host: o.healthAddress.slice(0, i) || '0.0.0.0',
      port: Number(o.healthAddress.slice(i + 1)),
      metrics,
      health: { notReady: () => proxy.notReady() },
    });
    log.info('health and metrics', { address: `${o.healthAddress.slice(0, i) || '0.0.0.0'}:${health.port}` });
  }
  const idleMemory = returnIdleMemory(o.idleMemorySeconds ?? IDLE_MEMORY_DEFAULTS.quietMs / 1000, metrics);
  for (const a of proxy.addresses()) log.info('ready', a);
  const shutdown = (signal: string): void => {
    log.info('shutting down', { signal });
    idleMemory?.stop();
    void Promise.all([services.stop(), proxy.stop()])
      .then(() => health?.close())
      .then(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  return -1;
}

/** Returns the memory start-up left behind (before the proxy says it is ready), then watches for quiet spells. */
function returnIdleMemory(quietSeconds: number, metrics: ProxyMetrics | undefined): IdleMemoryReturn | undefined {
  if (quietSeconds <= 0) return undefined;
  const idle = new IdleMemoryReturn(processProbe(), { quietMs: quietSeconds * 1000 }, (r) => {
    metrics?.idleMemoryReturned();
    log.info('returned idle memory', {
      reason: r.reason,
      heapBeforeMiB: +(r.heapBeforeBytes / 1048576).toFixed(1),
      heapAfterMiB: +(r.heapAfterBytes / 1048576).toFixed(1),
      pauseMs: +r.pauseMs.toFixed(1),
    });
  });
  idle.returnNow('start');
  idle.start();
  return idle;
}
