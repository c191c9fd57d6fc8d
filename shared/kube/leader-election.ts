/**
 * Leader election on a coordination.k8s.io/v1 Lease, with optimistic concurrency (resourceVersion):
 * acquire when the lease is free or expired, renew while leading, step down (callback) when a renew
 * fails for longer than the lease. Time is injectable.
 */
import { type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { statusOf } from './client.js';
import { realClock, type Clock } from './workqueue.js';

export interface LeaderElectionOptions {
  api: CoordinationV1Api;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds?: number;
  retryPeriodMs?: number;
  clock?: Clock;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  log?: (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void;
}

export class LeaderElector {
  private leading = false;
  private timer?: unknown;
  private stopped = false;
  private lastRenew = 0;
  private readonly clock: Clock;

  constructor(private readonly o: LeaderElectionOptions) {
    this.clock = o.clock ?? realClock;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.stopped = false;
    void this.tick();
  }

  private get duration(): number {
    return this.o.leaseDurationSeconds ?? 15;
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      const ok = await this.tryAcquireOrRenew();
      // Stopped while the lease call was in flight: neither start leading nor schedule another round.
      if (this.stopped) return;
      if (ok) {
        this.lastRenew = this.clock.now();
        if (!this.leading) {
          this.leading = true;
          this.o.log?.('info', 'became leader', {
            lease: `${this.o.namespace}/${this.o.name}`,
            identity: this.o.identity,
          });
          this.o.onStartedLeading();
        }
      } else if (this.leading) this.stepDown('another holder took the lease');
    } catch (e) {
      if (this.stopped) return;
      this.o.log?.('warn', 'lease update failed', { error: (e as Error).message });
      if (this.leading && this.clock.now() - this.lastRenew > this.duration * 1000)
        this.stepDown('could not renew the lease in time');
    }
    this.timer = this.clock.setTimeout(() => void this.tick(), this.o.retryPeriodMs ?? 2000);
  }

  private stepDown(reason: string): void {
    this.leading = false;
    this.o.log?.('warn', 'stopped leading', { reason });
    this.o.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date(this.clock.now());
    const spec = (acquire: boolean, prev?: V1Lease) => ({
      holderIdentity: this.o.identity,
      leaseDurationSeconds: this.duration,
      renewTime: microTime(now),
      acquireTime:
        acquire || !prev?.spec?.acquireTime
          ? microTime(now)
          : microTime(new Date(prev.spec.acquireTime as unknown as string)),
      leaseTransitions: (prev?.spec?.leaseTransitions ?? 0) + (acquire && prev ? 1 : 0),
    });
    let lease: V1Lease;
    try {
      lease = await this.o.api.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
    } catch (e) {
      if (statusOf(e) !== 404) throw e;
      try {
        await this.o.api.createNamespacedLease({
          namespace: this.o.namespace,
          body: { metadata: { name: this.o.name, namespace: this.o.namespace }, spec: spec(true) },
        });
        return true;
      } catch (err) {
        if (statusOf(err) === 409) return false;
        throw err;
      }
    }
    const holder = lease.spec?.holderIdentity;
    const renewed = lease.spec?.renewTime ? new Date(lease.spec.renewTime as unknown as string).getTime() : 0;
    const expired = renewed + (lease.spec?.leaseDurationSeconds ?? this.duration) * 1000 < now.getTime();
    if (holder && holder !== this.o.identity && !expired) return false;
    try {
      await this.o.api.replaceNamespacedLease({
        name: this.o.name,
        namespace: this.o.namespace,
        body: { ...lease, spec: spec(holder !== this.o.identity, lease) },
      });
      return true;
    } catch (e) {
      if (statusOf(e) === 409) return false; // someone else updated it first
      throw e;
    }
  }

  /** Stops renewing; releases the lease so a successor does not wait for expiry. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.o.api.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
      if (lease.spec?.holderIdentity === this.o.identity) {
        await this.o.api.replaceNamespacedLease({
          name: this.o.name,
          namespace: this.o.namespace,
          body: {
            ...lease,
            spec: { ...lease.spec, holderIdentity: undefined as unknown as string, renewTime: microTime(new Date(0)) },
          },
        });
      }
    } catch {
      /* best effort */
    }
  }
}

/**
 * Lease times are MicroTime (six fractional digits); client-node would send a Date with three, which
 * the API server refuses, so they are sent preformatted.
 */
function microTime(d: Date): Date {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z') as unknown as Date;
}
