/**
 * Assertion IDs already exchanged, recorded in the cluster so that every operator replica, and the
 * process after a restart, sees them: one coordination.k8s.io Lease per assertion, named by a hash of
 * issuer and ID. Creating it is the claim; the API server's AlreadyExists (409) is a replay. Any other
 * failure refuses the assertion (fail closed). The leader deletes the leases whose assertion expired.
 */
import { createHash } from 'node:crypto';
import type { CoordinationV1Api } from '@kubernetes/client-node';
import { messageOf, statusOf } from '../../shared/kube/client.js';

export const REPLAY_LABEL = 'agentgate.dev/saml-replay';
export const EXPIRES_ANNOTATION = 'agentgate.dev/expires-at';

/** Records a key until a time; false when it was already recorded (a replay). */
export interface ReplayGuard {
  claim(key: string, expiresAtMs: number): boolean | Promise<boolean>;
}

export class ClusterReplayStore implements ReplayGuard {
  constructor(
    private readonly api: CoordinationV1Api,
    private readonly namespace: string,
    private readonly now: () => number = Date.now,
  ) {}

  static leaseName(key: string): string {
    return `agentgate-replay-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
  }

  async claim(key: string, expiresAtMs: number): Promise<boolean> {
    const name = ClusterReplayStore.leaseName(key);
    try {
      await this.api.createNamespacedLease({
        namespace: this.namespace,
        body: {
          metadata: {
            name,
            namespace: this.namespace,
            labels: { [REPLAY_LABEL]: 'true' },
            annotations: { [EXPIRES_ANNOTATION]: new Date(expiresAtMs).toISOString() },
          },
          spec: {},
        },
      });
      return true;
    } catch (e) {
      if (statusOf(e) === 409) return false;
      throw new Error(`cannot record the assertion as used (${messageOf(e)})`, { cause: e });
    }
  }

  /** Deletes the records of expired assertions; returns how many. */
  async collect(): Promise<number> {
    const list = await this.api.listNamespacedLease({
      namespace: this.namespace,
      labelSelector: `${REPLAY_LABEL}=true`,
    });
    let n = 0;
    for (const l of list.items) {
      const until = Date.parse(l.metadata?.annotations?.[EXPIRES_ANNOTATION] ?? '');
      if (Number.isNaN(until) || until > this.now()) continue;
      try {
        await this.api.deleteNamespacedLease({ name: l.metadata!.name!, namespace: this.namespace });
        n++;
      } catch (e) {
        if (statusOf(e) !== 404) throw e;
      }
    }
    return n;
  }
}

/** Every guard must accept: the process's own cache first (no API call for a replay it saw), then the cluster's. */
export function replayGuards(...guards: ReplayGuard[]): ReplayGuard {
  return {
    async claim(key, expiresAtMs) {
      for (const g of guards) if (!(await g.claim(key, expiresAtMs))) return false;
      return true;
    },
  };
}
