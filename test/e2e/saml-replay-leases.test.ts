/**
 * The SAML replay record on the real API server: a Lease per exchanged assertion, created once
 * (AlreadyExists is a replay, for every replica and after restarts), expired ones collected.
 */
import { CoordinationV1Api } from '@kubernetes/client-node';
import { expect } from 'chai';
import { ClusterReplayStore } from '../../operator/identity/shared-replay.js';
import { ns, testCluster, type TestCluster } from './cluster.js';

const NS = ns('e2e-rev15-replay');

describe('SAML replay records on the real API server (rev15)', function () {
  this.timeout(120_000);
  let c: TestCluster;

  before(async function () {
    this.timeout(1_200_000);
    c = await testCluster();
    await c.kubectl(['create', 'namespace', NS]);
  });

  it('two replicas (two stores) share the record: the second claim is a replay; collection deletes only expired records', async () => {
    let now = Date.now();
    const replicaA = new ClusterReplayStore(c.kc.makeApiClient(CoordinationV1Api), NS, () => now);
    const replicaB = new ClusterReplayStore(c.kc.makeApiClient(CoordinationV1Api), NS, () => now);
    expect(await replicaA.claim('https://idp.example/saml\n_a1', now + 60_000)).to.equal(true);
    expect(await replicaB.claim('https://idp.example/saml\n_a1', now + 60_000)).to.equal(false);
    expect(await replicaB.claim('https://idp.example/saml\n_b2', now + 600_000)).to.equal(true);
    now += 120_000;
    expect(await replicaA.collect()).to.equal(1);
    expect(await replicaA.claim('https://idp.example/saml\n_b2', now + 600_000)).to.equal(false);
    const left = await c.kubectl(['get', 'leases', '-n', NS, '-l', 'agentgate.dev/saml-replay=true', '-o', 'name']);
    expect(left.stdout.trim().split('\n')).to.have.length(1);
  });
});
