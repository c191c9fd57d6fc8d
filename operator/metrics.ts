/** Prometheus metrics of the operator (prom-client), served on /metrics. */
import { Counter, Gauge, Histogram, Registry } from '../shared/observability/prometheus.js';
import { collectProcessMetrics } from '../shared/observability/process-metrics.js';
import type { PolicyControllerMetrics } from './policy-controller.js';
import type { DeviationKind, ReviewState } from './reviews/types.js';

export class OperatorMetrics implements PolicyControllerMetrics {
  readonly registry = new Registry();
  private readonly reconciles = new Counter({
    name: 'agentgate_reconcile_total',
    help: 'Policy reconciles by result',
    labelNames: ['result'],
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'agentgate_reconcile_duration_seconds',
    help: 'Policy reconcile duration',
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  private readonly restarts = new Counter({
    name: 'agentgate_informer_restarts_total',
    help: 'Informer restarts (watch errors and periodic relists)',
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'agentgate_leader',
    help: '1 while this replica is the leader',
    registers: [this.registry],
  });
  private readonly checkpoints = new Counter({
    name: 'agentgate_audit_checkpoints_total',
    help: 'Audit chain heads offered by proxies, by result (signed, regressed, refused, error)',
    labelNames: ['result'],
    registers: [this.registry],
  });

  private readonly deviations = new Counter({
    name: 'agentgate_deviations_reported_total',
    help: 'Deviations proxies reported for review, by namespace and kind',
    labelNames: ['namespace', 'kind'],
    registers: [this.registry],
  });
  /** The review queue, read from the leader's cache at scrape time (a standby replica reports none). */
  private reviewQueue?: () => { namespace: string; state: ReviewState; count: number }[];

  constructor() {
    collectProcessMetrics(this.registry);
    const gauge: Gauge = new Gauge({
      name: 'agentgate_deviation_reviews',
      help: 'DeviationReview items by namespace and state (Open and Exception are the review queue; Exception = open past maxOpenHours)',
      labelNames: ['namespace', 'state'],
      registers: [this.registry],
      collect: () => {
        gauge.reset();
        for (const q of this.reviewQueue?.() ?? []) gauge.set({ namespace: q.namespace, state: q.state }, q.count);
      },
    });
  }

  deviationsReported(namespace: string, kind: DeviationKind, n: number): void {
    this.deviations.inc({ namespace, kind }, n);
  }

  /** Set while leading (the review controller's cache), cleared when standing by. */
  observeReviewQueue(sizes: (() => { namespace: string; state: ReviewState; count: number }[]) | undefined): void {
    this.reviewQueue = sizes;
  }

  reconciled(result: string, seconds: number): void {
    this.reconciles.inc({ result });
    this.duration.observe(seconds);
  }

  checkpoint(result: 'signed' | 'regressed' | 'refused' | 'error'): void {
    this.checkpoints.inc({ result });
  }

  informerRestart(): void {
    this.restarts.inc();
  }
}
