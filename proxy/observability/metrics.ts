/**
 * Prometheus metrics of the proxy (prom-client): what it decided, who it refused, whether its evidence
 * is being written and witnessed. A statement costs two map lookups and an increment of a plain number:
 * the statements counter takes those counts at scrape time (its `collect`), because prom-client hashes the
 * label set on every increment, even of a bound counter (docs/performance.md, round 15).
 */
import { Counter, Gauge, Registry } from '../../shared/observability/prometheus.js';
import { collectProcessMetrics } from '../../shared/observability/process-metrics.js';

/** Label values for names the proxy does not choose: a method it does not know, a tool past the cap. */
export const OTHER_LABEL = '_other';
const OTHER = OTHER_LABEL;
const MAX_TOOL_LABELS = 50;
const TOOL_NAME = /^[A-Za-z0-9_.:/-]{1,64}$/;
const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE']);
const MCP_METHODS = new Set(['tools/call', 'resources/read', 'prompts/get']);

export class ProxyMetrics {
  readonly registry = new Registry();
  /** Statements decided since the last scrape: target → decision → [not enforced, enforced]. */
  private readonly statementCounts = new Map<string, Map<string, [number, number]>>();
  private readonly statements: Counter = new Counter({
    name: 'agentgate_proxy_statements_total',
    help: 'Statements decided, by target, decision and whether the proxy blocked them',
    labelNames: ['target', 'decision', 'enforced'],
    registers: [this.registry],
    collect: (): void => this.reportStatements(),
  });
  private readonly httpRequests = new Counter({
    name: 'agentgate_proxy_http_requests_total',
    help: 'HTTP requests decided, by target, method, decision and whether the proxy blocked them',
    labelNames: ['target', 'method', 'decision', 'enforced'],
    registers: [this.registry],
  });
  private readonly mcpCalls = new Counter({
    name: 'agentgate_proxy_mcp_calls_total',
    help: `MCP calls decided, by target, method, tool (one the server listed or a rule names, up to ${MAX_TOOL_LABELS} per target; any other counts as "${OTHER}"), decision and whether the proxy blocked them`,
    labelNames: ['target', 'method', 'tool', 'decision', 'enforced'],
    registers: [this.registry],
  });
  /** Tool names with their own label, per target: the adapter passes only known names, still capped (a server lists what it likes). */
  private readonly toolLabels = new Map<string, Set<string>>();
  private readonly identityRejections = new Counter({
    name: 'agentgate_proxy_identity_rejections_total',
    help: 'Connections refused because their token did not verify',
    labelNames: ['target'],
    registers: [this.registry],
  });
  readonly sessions = new Gauge({
    name: 'agentgate_proxy_sessions',
    help: 'Open agent sessions',
    labelNames: ['target'],
    registers: [this.registry],
  });
  private probe?: () => { auditHealthy: boolean; checkpointFailures: number };
  private readonly auditHealthy: Gauge = new Gauge({
    name: 'agentgate_proxy_audit_healthy',
    help: '1 while the audit log can be written (0: statements are refused)',
    registers: [this.registry],
    collect: (): void => this.auditHealthy.set(this.probe?.().auditHealthy === false ? 0 : 1),
  });
  private readonly checkpointFailures: Gauge = new Gauge({
    name: 'agentgate_proxy_audit_checkpoint_failures',
    help: 'Failed attempts to have the audit chain head witnessed, since start',
    registers: [this.registry],
    collect: (): void => this.checkpointFailures.set(this.probe?.().checkpointFailures ?? 0),
  });
  private readonly idleMemoryReturns = new Counter({
    name: 'agentgate_proxy_idle_memory_returns_total',
    help: 'Full collections that gave memory back: one at start, then after quiet spells',
    registers: [this.registry],
  });
  private readonly busyPollSeconds = new Counter({
    name: 'agentgate_proxy_busy_poll_seconds_total',
    help: 'Seconds the event loop was kept polling after traffic (--busy-poll-micros), counted as each spell ends',
    registers: [this.registry],
  });

  constructor() {
    collectProcessMetrics(this.registry);
  }

  idleMemoryReturned(): void {
    this.idleMemoryReturns.inc();
  }

  busyPolled(ms: number): void {
    this.busyPollSeconds.inc(ms / 1000);
  }

  /** One decision, on the counter of its protocol (statements unless `counted` says an HTTP request or an MCP call). */
  decided(
    target: string,
    counted: { http: { method: string } } | { mcp: { method: string; tool: string } } | undefined,
    decision: string,
    enforced: boolean,
  ): void {
    if (!counted) return this.statement(target, decision, enforced);
    if ('http' in counted) {
      const method = HTTP_METHODS.has(counted.http.method) ? counted.http.method : OTHER;
      return this.httpRequests.inc({ target, method, decision, enforced: String(enforced) });
    }
    const method = MCP_METHODS.has(counted.mcp.method) ? counted.mcp.method : OTHER;
    const tool = this.toolLabel(target, counted.mcp.tool);
    this.mcpCalls.inc({ target, method, tool, decision, enforced: String(enforced) });
  }

  statement(target: string, decision: string, enforced: boolean): void {
    let byDecision = this.statementCounts.get(target);
    if (!byDecision) this.statementCounts.set(target, (byDecision = new Map()));
    const counts = byDecision.get(decision);
    if (counts) counts[enforced ? 1 : 0]++;
    else byDecision.set(decision, enforced ? [0, 1] : [1, 0]);
  }

  /** Adds the counts since the last scrape to the counter (a label set appears once it has counted one). */
  private reportStatements(): void {
    for (const [target, byDecision] of this.statementCounts)
      for (const [decision, counts] of byDecision)
        for (const enforced of [0, 1] as const) {
          if (counts[enforced] === 0) continue;
          this.statements.inc({ target, decision, enforced: String(enforced === 1) }, counts[enforced]);
          counts[enforced] = 0;
        }
  }

  private toolLabel(target: string, tool: string): string {
    if (tool === '' || tool === OTHER) return tool;
    if (!TOOL_NAME.test(tool)) return OTHER;
    let seen = this.toolLabels.get(target);
    if (!seen) this.toolLabels.set(target, (seen = new Set()));
    if (seen.has(tool)) return tool;
    if (seen.size >= MAX_TOOL_LABELS) return OTHER;
    seen.add(tool);
    return tool;
  }

  /** Where the gauges read the audit log's state at scrape time. */
  observe(probe: () => { auditHealthy: boolean; checkpointFailures: number }): void {
    this.probe = probe;
  }

  identityRejected(target: string): void {
    this.identityRejections.inc({ target });
  }
}
