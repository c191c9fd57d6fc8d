/** The operator's manager: leader-only runnables run on the replica holding the Lease, fresh each term. */
import { expect } from 'chai';
import { ApiException, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { Manager, type Runnable } from '../../shared/kube/manager.js';

/** One Lease in memory, with the API server's optimistic concurrency. */
function leaseApi(): CoordinationV1Api {
  let lease: V1Lease | undefined;
  let version = 0;
  const conflict = (): never => {
    throw new ApiException(409, 'conflict', '{}', {});
  };
  return {
    readNamespacedLease: async () => {
      if (!lease) throw new ApiException(404, 'not found', '{}', {});
      return structuredClone(lease);
    },
    createNamespacedLease: async ({ body }: { body: V1Lease }) => {
      if (lease) conflict();
      lease = { ...body, metadata: { ...body.metadata, resourceVersion: String(++version) } };
      return lease;
    },
    replaceNamespacedLease: async ({ body }: { body: V1Lease }) => {
      if (body.metadata?.resourceVersion !== lease?.metadata?.resourceVersion) conflict();
      lease = { ...body, metadata: { ...body.metadata, resourceVersion: String(++version) } };
      return lease;
    },
  } as unknown as CoordinationV1Api;
}

const until = async (what: string, ok: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
};

describe('gate12: operator manager with leader-only runnables', () => {
  it('runs leader-only runnables on the leader only, a fresh one per term, stopped on shutdown and taken over by the next leader', async () => {
    const api = leaseApi();
    const log: string[] = [];
    const replica = (id: string): { m: Manager; made: number } => {
      const state = { made: 0 } as { m: Manager; made: number };
      state.m = new Manager({
        api,
        namespace: 'ns',
        name: 'op',
        identity: id,
        retryPeriodMs: 10,
        onLeadership: (l) => log.push(`${id} ${l ? 'leads' : 'follows'}`),
      });
      state.m.addLeaderOnly('controller', (): Runnable => {
        const n = ++state.made;
        return {
          start: async () => void log.push(`${id} start ${n}`),
          stop: async () => void log.push(`${id} stop ${n}`),
        };
      });
      return state;
    };
    const a = replica('a');
    a.m.start();
    await until('a leads', () => a.m.isLeader && a.m.running('controller') !== undefined);
    const b = replica('b');
    b.m.start();
    await new Promise((r) => setTimeout(r, 60));
    expect(b.m.isLeader).to.equal(false);
    expect(b.m.running('controller')).to.equal(undefined);
    await a.m.stop();
    expect(a.m.running('controller')).to.equal(undefined);
    await until('b leads', () => b.m.isLeader && b.m.running('controller') !== undefined);
    await b.m.stop();
    expect(log).to.deep.equal([
      'a leads',
      'a start 1',
      'a follows',
      'a stop 1',
      'b leads',
      'b start 1',
      'b follows',
      'b stop 1',
    ]);
  });
});
