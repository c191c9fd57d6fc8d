/**
 * Leader election stopped while a lease call is in flight (an operator stopped right after it
 * started): it must neither start leading nor keep trying, or a stopped operator's controllers run on.
 * The Lease API is an in-memory stand-in whose calls the test releases.
 */
import { expect } from 'chai';
import { ApiException, type CoordinationV1Api } from '@kubernetes/client-node';
import { LeaderElector } from '../../shared/kube/leader-election.js';

function heldLeaseApi(): { api: CoordinationV1Api; calls: () => number; release: () => void } {
  let calls = 0;
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  const api = {
    readNamespacedLease: async () => {
      calls++;
      await held;
      throw new ApiException(404, 'not found', '{}', {});
    },
    createNamespacedLease: async ({ body }: { body: unknown }) => body,
    replaceNamespacedLease: async ({ body }: { body: unknown }) => body,
  };
  return { api: api as unknown as CoordinationV1Api, calls: () => calls, release: () => release() };
}

describe('leader election stopped during a lease call', () => {
  it('does not start leading, nor try again, once stopped', async () => {
    const lease = heldLeaseApi();
    let started = 0;
    const elector = new LeaderElector({
      api: lease.api,
      namespace: 'ns',
      name: 'lease',
      identity: 'me',
      retryPeriodMs: 10,
      onStartedLeading: () => started++,
      onStoppedLeading: () => undefined,
    });
    elector.start();
    await elector.stop();
    lease.release();
    await new Promise((r) => setTimeout(r, 100));
    expect(started, 'onStartedLeading after stop').to.equal(0);
    expect(elector.isLeader).to.equal(false);
    expect(lease.calls(), 'lease calls after stop').to.equal(1);
  });
});
