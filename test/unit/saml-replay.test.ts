/**
 * Hostile review of issue #15: a captured SAML assertion replayed at another operator replica (the
 * chart runs two, both serving /token) or at the same operator after a restart. The operator's replay
 * guard is built as operator.ts builds it: this process's cache, then the cluster's record (a Lease per
 * assertion, created once; AlreadyExists is a replay). The API server is stood in for by a map with its
 * create semantics.
 */
import { ApiException, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplayCache } from '../../operator/identity/replay-cache.js';
import { SAML2_TOKEN_TYPE } from '../../operator/identity/saml-subject.js';
import {
  ClusterReplayStore,
  EXPIRES_ANNOTATION,
  REPLAY_LABEL,
  replayGuards,
} from '../../operator/identity/shared-replay.js';
import type { AgentAccessPolicy, TriggerIssuerSpec } from '../../shared/contract/policy-types.js';
import { startExchange, type ExchangeHarness } from '../support/exchange-harness.js';
import { b64url, startSamlIdp, type SamlTestIdp } from '../support/saml-idp.js';

const IDP = 'https://idp.example/saml';
const SP = 'https://agentgate.example/sp';
// Replicas share the operator's public URL; the harnesses listen on different ports, so it is set here.
const RECIPIENT = 'https://agentgate-operator.agentgate-system.svc/token';

/** Leases in one namespace, with the API server's create/list/delete semantics. */
function fakeLeases(o: { failWith?: () => number | undefined } = {}): {
  api: CoordinationV1Api;
  leases: Map<string, V1Lease>;
} {
  const leases = new Map<string, V1Lease>();
  const err = (code: number): ApiException<string> =>
    new ApiException(code, `HTTP ${code}`, JSON.stringify({ message: `status ${code}` }), {});
  const api = {
    async createNamespacedLease({ body }: { namespace: string; body: V1Lease }): Promise<V1Lease> {
      const code = o.failWith?.();
      if (code) throw err(code);
      if (leases.has(body.metadata!.name!)) throw err(409);
      leases.set(body.metadata!.name!, body);
      return body;
    },
    async listNamespacedLease({
      labelSelector,
    }: {
      namespace: string;
      labelSelector?: string;
    }): Promise<{ items: V1Lease[] }> {
      const [k, v] = (labelSelector ?? '').split('=');
      return { items: [...leases.values()].filter((l) => !k || l.metadata?.labels?.[k!] === v) };
    },
    async deleteNamespacedLease({ name }: { name: string; namespace: string }): Promise<void> {
      if (!leases.delete(name)) throw err(404);
    },
  } as unknown as CoordinationV1Api;
  return { api, leases };
}

describe('rev15: SAML assertion replay across operator replicas and restarts', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'agentgate-rev15-replay-'));
  let idp: SamlTestIdp;
  const trigger = (): TriggerIssuerSpec => ({
    issuer: IDP,
    audiences: [SP],
    saml: { certificates: [idp.certPem], recipient: RECIPIENT },
  });
  const policy = (): AgentAccessPolicy => ({
    apiVersion: 'agentgate.dev/v1alpha1',
    kind: 'AgentAccessPolicy',
    metadata: { name: 'billing-agent', namespace: 'agents' },
    spec: {
      mode: 'Enforce',
      subjects: { serviceAccounts: [{ name: 'billing-agent' }] },
      identity: { issuers: [], maxTokenLifetimeSeconds: 900, triggerIssuers: [trigger()] },
      targets: [],
      defaultAction: 'Deny',
    },
  });
  const harnesses: ExchangeHarness[] = [];
  /** An operator process: its own cache (empty at start), the cluster's record shared. */
  const operatorProcess = async (store: ClusterReplayStore): Promise<ExchangeHarness> => {
    const h = await startExchange({ policy, dir, replay: replayGuards(new ReplayCache(), store) });
    harnesses.push(h);
    return h;
  };

  before(() => {
    idp = startSamlIdp({ entityId: IDP, spEntityId: SP, acsUrl: RECIPIENT });
  });
  after(async () => {
    await Promise.all(harnesses.map((h) => h.close()));
  });

  it('an assertion exchanged at one replica is refused at the other, and after either restarts', async () => {
    const { api } = fakeLeases();
    const store = new ClusterReplayStore(api, 'agentgate-system');
    const replicaA = await operatorProcess(store);
    const replicaB = await operatorProcess(store);
    const token = b64url(await idp.assertion({ lifetimeSeconds: 120 }));
    expect((await replicaA.exchange(token, SAML2_TOKEN_TYPE)).status).to.equal(200);
    const atB = await replicaB.exchange(token, SAML2_TOKEN_TYPE);
    expect(atB.body.error_description, JSON.stringify(atB.body)).to.match(/already exchanged \(replay\)/);
    const restartedA = await operatorProcess(store);
    const afterRestart = await restartedA.exchange(token, SAML2_TOKEN_TYPE);
    expect(afterRestart.body.error_description, JSON.stringify(afterRestart.body)).to.match(
      /already exchanged \(replay\)/,
    );
  });

  it('when the cluster record cannot be written, the assertion is refused (fail closed), not exchanged unrecorded', async () => {
    const { api } = fakeLeases({ failWith: () => 403 });
    const replica = await operatorProcess(new ClusterReplayStore(api, 'agentgate-system'));
    const r = await replica.exchange(b64url(await idp.assertion()), SAML2_TOKEN_TYPE);
    expect(r.status).to.equal(400);
    expect(r.body.error).to.equal('invalid_grant');
    expect(r.body.error_description).to.match(
      /cannot check the assertion for replay: cannot record the assertion as used \(status 403\)/,
    );
  });

  it('records are named by a hash (no assertion ID in object names), labelled, and collected only once expired', async () => {
    let now = 1_000_000;
    const { api, leases } = fakeLeases();
    const store = new ClusterReplayStore(api, 'agentgate-system', () => now);
    expect(await store.claim('issuer\n_a', now + 1000)).to.equal(true);
    expect(await store.claim('issuer\n_b', now + 5000)).to.equal(true);
    expect(await store.claim('issuer\n_a', now + 1000)).to.equal(false);
    const [first] = [...leases.values()];
    expect(first!.metadata!.name).to.match(/^agentgate-replay-[0-9a-f]{40}$/);
    expect(first!.metadata!.labels).to.deep.equal({ [REPLAY_LABEL]: 'true' });
    expect(first!.metadata!.annotations![EXPIRES_ANNOTATION]).to.equal(new Date(now + 1000).toISOString());
    now += 2000;
    expect(await store.collect()).to.equal(1);
    expect(await store.claim('issuer\n_b', now + 5000)).to.equal(false);
    expect(await store.claim('issuer\n_a', now + 1000)).to.equal(true);
  });
});
