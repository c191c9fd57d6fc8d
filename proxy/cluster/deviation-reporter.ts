/**
 * Reports the proxy's deviations to the operator for review (POST /deviations, with the proxy's own
 * pod-bound token), off the statement path: the audit log tells it about each record as written
 * (`observe`, a cheap test and an array push); records are read, batched and sent later, from a
 * bounded queue, retried with backoff. The audit chain stays the source of truth: a deviation the queue
 * drops or the operator never receives is still in the chain, and the evidence report shows it as not
 * reported. An audit log that cannot be written is reported too (without a hash: it is not in the chain).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Gauge, type Registry } from '../../shared/observability/prometheus.js';
import type { AuditFields, AuditRecord } from '../audit/record.js';
import { parseRecord } from '../audit/record.js';
import { auditUnwritable, deviationOf, mayDeviate, type DeviationReport } from '../audit/deviation-of.js';

export interface DeviationReporterOptions {
  /** Sends one batch; rejects with `status` (HTTP) when the operator refused it. */
  send: (body: { deviations: DeviationReport[] }) => Promise<unknown>;
  /** Deviations waiting at most (default 10000); beyond, the newest are dropped (they stay in the chain). */
  maxQueue?: number;
  /** Per call (default 100, the operator's limit). */
  batchSize?: number;
  /** Wait after the first deviation so a burst goes in one call (default 200 ms). */
  lingerMs?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  now?: () => Date;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

export class DeviationReporter {
  private readonly lines: string[] = [];
  private readonly queue: DeviationReport[] = [];
  /** Masked text of recent approval requests, by namespace/name (approval.decided does not repeat it). */
  private readonly requested = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private healthTimer?: NodeJS.Timeout;
  private sending?: Promise<void>;
  private failures = 0;
  private stopped = false;
  private auditDown = false;
  /** Deviations dropped because the queue was full, or refused by the operator as malformed. */
  dropped = 0;
  sent = 0;

  constructor(private readonly o: DeviationReporterOptions) {}

  /** The audit log's hook: called for every record written, on the statement path. Never throws. */
  readonly observe = (fields: AuditFields, line: string): void => {
    if (this.stopped || !mayDeviate(fields)) return;
    if (this.lines.length + this.queue.length >= (this.o.maxQueue ?? 10_000)) {
      this.dropped++;
      return;
    }
    this.lines.push(line);
    this.schedule(this.o.lingerMs ?? 200);
  };

  /**
   * What the log got before `observe` was attached (the proxy's start: a recordings repair that
   * failed): the lines of `file` from byte `offset` (its size before the proxy opened it).
   */
  catchUp(file: string, offset: number): void {
    let text: string;
    try {
      const fd = openSync(file, 'r');
      try {
        const size = fstatSync(fd).size;
        if (size <= offset) return;
        const buf = Buffer.alloc(size - offset);
        readSync(fd, buf, 0, buf.length, offset);
        text = buf.toString('utf8');
      } finally {
        closeSync(fd);
      }
    } catch {
      return; // no file (yet), or rotated away: nothing to catch up on
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        this.observe(parseRecord(line), line);
      } catch {
        // a torn line is the audit log's concern (it refuses to continue after one)
      }
    }
  }

  /** Reports an unwritable audit log once per outage (the proxy refuses every statement meanwhile). */
  watchAuditHealth(audit: { healthy: boolean; error?: Error }, everyMs = 2000): void {
    this.healthTimer = setInterval(() => {
      if (audit.healthy) this.auditDown = false;
      else if (!this.auditDown) {
        this.auditDown = true;
        this.enqueue(auditUnwritable(audit.error?.message ?? 'unknown error', this.now()));
      }
    }, everyMs);
    this.healthTimer.unref();
  }

  /** A gauge of deviations waiting or dropped (the operator has not got them; the chain has). */
  registerMetrics(registry: Registry): void {
    const gauge: Gauge = new Gauge({
      name: 'agentgate_proxy_deviations_unreported',
      help: 'Deviations not (yet) reported to the operator for review, by reason (queued, dropped); they stay in the audit chain',
      labelNames: ['reason'],
      registers: [registry],
      collect: () => {
        gauge.set({ reason: 'queued' }, this.pending);
        gauge.set({ reason: 'dropped' }, this.dropped);
      },
    });
  }

  get pending(): number {
    return this.lines.length + this.queue.length;
  }

  /** Stops, after one last attempt (bounded by `graceMs`) to send what is queued. */
  async stop(graceMs = 2000): Promise<void> {
    clearInterval(this.healthTimer);
    clearTimeout(this.timer);
    this.drainLines();
    this.stopped = true;
    const last = (async () => {
      await this.sending;
      if (this.queue.length) await this.sendBatch().catch(() => undefined);
    })();
    await Promise.race([last, new Promise((r) => setTimeout(r, graceMs).unref())]);
  }

  private now(): Date {
    return this.o.now?.() ?? new Date();
  }

  private enqueue(d: DeviationReport): void {
    if (this.queue.length >= (this.o.maxQueue ?? 10_000)) {
      this.dropped++;
      return;
    }
    this.queue.push(d);
    this.schedule(this.o.lingerMs ?? 200);
  }

  private schedule(ms: number): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pump();
    }, ms);
    this.timer.unref();
  }

  /** Parses the observed lines into reports (off the statement path). */
  private drainLines(): void {
    for (const line of this.lines.splice(0)) {
      let r: AuditRecord;
      try {
        r = parseRecord(line);
      } catch {
        continue;
      }
      if (r.event.action === 'approval.requested') {
        const ref = (r.detail as { approvalRequest?: unknown } | undefined)?.approvalRequest;
        if (typeof ref === 'string' && r.db?.query?.text) {
          this.requested.set(ref, r.db.query.text);
          if (this.requested.size > 1000) this.requested.delete(this.requested.keys().next().value!);
        }
        continue;
      }
      const d = deviationOf(r, (ref) => this.requested.get(ref));
      if (d) this.queue.push(d);
    }
  }

  private async pump(): Promise<void> {
    if (this.sending) return;
    this.drainLines();
    if (!this.queue.length) return;
    this.sending = this.sendBatch().then(
      () => {
        this.failures = 0;
      },
      (e: Error & { status?: number }) => {
        this.failures++;
        this.o.log?.('warn', 'reporting deviations to the operator failed; retrying (they stay in the audit chain)', {
          error: e.message,
          pending: this.pending,
        });
      },
    );
    await this.sending;
    this.sending = undefined;
    if (this.pending && !this.stopped) {
      const backoff = this.failures
        ? Math.min((this.o.initialBackoffMs ?? 1000) * 2 ** (this.failures - 1), this.o.maxBackoffMs ?? 60_000)
        : 0;
      this.schedule(backoff);
    }
  }

  private async sendBatch(): Promise<void> {
    const batch = this.queue.slice(0, this.o.batchSize ?? 100);
    try {
      await this.o.send({ deviations: batch });
      this.sent += batch.length;
    } catch (e) {
      const status = (e as { status?: number }).status;
      // A batch the operator calls malformed would be refused for ever: drop it (the chain keeps it).
      if (status !== 400) throw e;
      this.dropped += batch.length;
      this.o.log?.(
        'error',
        'the operator refused a batch of deviation reports as malformed; dropped (they stay in the audit chain)',
        { error: (e as Error).message, count: batch.length },
      );
    }
    this.queue.splice(0, batch.length);
  }
}
