/**
 * Prometheus metrics of the proxy (prom-client): what it decided, who it refused, whether its evidence
 * is being written and witnessed. Counters are looked up once per label set, so a statement costs a
 * map lookup and an increment.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export class ProxyMetrics {
  readonly registry = new Registry();
  private readonly statements = new Counter({
    name: 'agentgate_proxy_statements_total',
    help: 'Statements decided, by target, decision and whether the proxy blocked them',
    labelNames: ['target', 'decision', 'enforced'],
    registers: [this.registry],
  });
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
  private readonly bound = new Map<string, Counter.Internal>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  statement(target: string, decision: string, enforced: boolean): void {
    const key = `${target}\0${decision}\0${enforced}`;
    let c = this.bound.get(key);
    if (!c) this.bound.set(key, (c = this.statements.labels(target, decision, String(enforced))));
    c.inc();
  }

  /** Where the gauges read the audit log's state at scrape time. */
  observe(probe: () => { auditHealthy: boolean; checkpointFailures: number }): void {
    this.probe = probe;
  }

  identityRejected(target: string): void {
    this.identityRejections.inc({ target });
  }
}
