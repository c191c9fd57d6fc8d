/**
 * Hostile run tokens (issue #17, class 3). A proxy accepts a run token only from the operator's
 * run-token issuer (named in the compiled policy), exchanged under its own policy, naming a person of
 * one of its own triggerIssuers, with an actor that is a service account of its own pod (by uid).
 * Real API server, real `kubectl create token`, the real token exchange; the proxy follows the
 * compiled ConfigMap as a sidecar does.
 */
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import * as jose from 'jose';
import { stringify } from 'yaml';
import { serviceAccountJwks } from '../../shared/kube/client.js';
import { Operator } from '../../operator/operator.js';
import { ConfigMapPolicySource } from '../../proxy/cluster/policy-source.js';
import { ensureDevKey, issueDevToken } from '../../proxy/identity/dev-issuer.js';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { GuardProxy } from '../../proxy/server.js';
import { eventually, ns, testCluster, type TestCluster } from './cluster.js';
import { tokenExchange } from './token-exchange.js';
import { loopbackWebhook } from './operator-options.js';
import { kubeFeeds } from '../../proxy/cluster/kube-feeds.js';

const NS = ns('e2e-atk-runs');
const IDP = 'https://idp.example';
const CI = 'https://ci.example';
const AGENT_ISSUER = 'https://agents.example';

describe('attack: run tokens from elsewhere (another policy, another issuer, no pod binding)', function () {
  this.timeout(180_000);
  let c: TestCluster;
  let op: Operator;
  let stack: LocalStack;
  let proxy: GuardProxy;
  let source: ConfigMapPolicySource;
  let dir: string;
  let caFile: string;
  let operatorUrl: string;
  let compiled: AgentAccessPolicy;

  const pod = (name: string): string =>
    stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: NS },
      spec: { serviceAccountName: 'billing-agent', containers: [{ name: 'agent', image: 'example.com/agent:1' }] },
    });
  const podUid = async (name: string): Promise<string> =>
    (await c.kubectl(['get', 'pod', name, '-n', NS, '-o', 'jsonpath={.metadata.uid}'])).stdout;
  const saToken = async (podName: string): Promise<string> => {
    const r = await c.kubectl([
      'create',
      'token',
      'billing-agent',
      '-n',
      NS,
      '--duration',
      '10m',
      '--audience',
      'agentgate',
      '--bound-object-kind',
      'Pod',
      '--bound-object-name',
      podName,
    ]);
    if (r.code !== 0) throw new Error(r.stderr);
    return r.stdout.trim();
  };
  const person = (issuer: string, subject: string): Promise<string> =>
    issueDevToken({
      dir: join(dir, issuer === CI ? 'ci' : 'idp'),
      issuer,
      subject,
      audience: 'agentgate-runs',
      ttlSeconds: 600,
    });
  const exchange = async (subject: string, actor: string, resource: string): Promise<string> => {
    const r = await tokenExchange({ url: operatorUrl, subject, actor, dir, caFile, resource: `${NS}/${resource}` });
    return r.stdout.trim();
  };
  /** A token signed with the operator's own run-token key: what only a flaw (or a stolen key) could mint. */
  const operatorSigned = async (claims: Record<string, unknown>): Promise<string> => {
    const { kid, key } = await op.runTokenKeys!.signingKey();
    const t = Math.floor(Date.now() / 1000);
    return new jose.SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
      .setIssuer(operatorUrl)
      .setSubject('alice@example.com')
      .setAudience('agentgate')
      .setIssuedAt(t)
      .setNotBefore(t)
      .setExpirationTime(t + 600)
      .setJti(randomUUID())
      .sign(key);
  };
  const refusal = async (password: string): Promise<string> => {
    const { host, port } = proxy.addresses()[0]!;
    const client = new pg.Client({ host, port, user: 'agent', database: 'billing', password });
    return client.connect().then(
      async () => {
        await client.end();
        return 'accepted';
      },
      (e: Error & { code?: string }) => `${e.code} ${e.message}`,
    );
  };

  before(async function () {
    this.timeout(1_200_000);
    c = await testCluster();
    dir = mkdtempSync(join(tmpdir(), 'agentgate-atk-runs-'));
    await c.kubectl(['create', 'namespace', NS]);
    await c.kubectl(['create', 'serviceaccount', 'billing-agent', '-n', NS]);
    await c.kubectl(['create', '-f', '-'], { input: pod('agent-pod') });
    const idpKey = await ensureDevKey(join(dir, 'idp'));
    const ciKey = await ensureDevKey(join(dir, 'ci'));
    const agentKey = await ensureDevKey(join(dir, 'agents'));
    op = new Operator({
      kc: c.kc,
      leaseNamespace: NS,
      watchNamespace: NS,
      healthAddress: { host: '127.0.0.1', port: 0 },
      webhook: {
        ...loopbackWebhook(NS),
        tokenExchange: {},
        auditWitness: false,
      },
    });
    await op.start();
    operatorUrl = `https://127.0.0.1:${op.operatorAddress!.port}`;
    const tls = JSON.parse(
      (await c.kubectl(['get', 'secret', 'agentgate-webhook-tls', '-n', NS, '-o', 'json'])).stdout,
    );
    caFile = join(dir, 'operator-ca.crt');
    writeFileSync(caFile, Buffer.from(tls.data['ca.crt'], 'base64'));
    const clusterIssuer = JSON.parse(
      (await c.kubectl(['get', '--raw', '/.well-known/openid-configuration'])).stdout,
    ).issuer;

    stack = await startLocalStack();
    await stack.proxy.stop();
    // Policy A (the one the proxy enforces): people from the company IdP trigger runs.
    // Policy B: same service account, but a CI system that names whoever it likes as the trigger.
    const policyFor = (
      name: string,
      trigger: { issuer: string; jwksFile: string },
      agentIssuer?: boolean,
    ): AgentAccessPolicy => {
      const p: AgentAccessPolicy = structuredClone(stack.policy);
      p.metadata = { name, namespace: NS };
      p.spec.subjects = { serviceAccounts: [{ name: 'billing-agent' }] };
      p.spec.identity = {
        issuers: [
          { issuer: clusterIssuer, audiences: ['agentgate'], kubernetes: true },
          { issuer: operatorUrl, audiences: ['agentgate'], jwksUri: `${operatorUrl}/.well-known/jwks.json`, caFile },
          ...(agentIssuer ? [{ issuer: AGENT_ISSUER, audiences: ['agentgate'], jwksFile: agentKey.jwksFile }] : []),
        ],
        maxTokenLifetimeSeconds: 900,
        requireTriggeredBy: true,
        triggerIssuers: [{ issuer: trigger.issuer, audiences: ['agentgate-runs'], jwksFile: trigger.jwksFile }],
      };
      return p;
    };
    for (const p of [
      policyFor('billing-a', { issuer: IDP, jwksFile: idpKey.jwksFile }, true),
      policyFor('billing-b', { issuer: CI, jwksFile: ciKey.jwksFile }),
    ]) {
      expect((await c.kubectl(['apply', '-f', '-'], { input: stringify(p) })).code).to.equal(0);
      await eventually(
        `policy ${p.metadata.name} Ready`,
        async () =>
          (await c.kubectl(['get', 'aap', p.metadata.name, '-n', NS, '-o', 'jsonpath={.status.conditions[0].status}']))
            .stdout === 'True',
      );
    }
    // The sidecar's view: the compiled policy, its pod (name and uid).
    source = new ConfigMapPolicySource({
      feeds: kubeFeeds(c.kc),
      namespace: NS,
      policy: 'billing-a',
      onPolicy: (p) => proxy?.updatePolicy(p),
    });
    compiled = await source.start();
    proxy = await GuardProxy.start({
      policy: compiled,
      auditFile: join(dir, 'audit.log'),
      env: { BILLING_DB_PASSWORD: 'agent-local-password' },
      listenOverride: { 'billing-db': '127.0.0.1:0' },
      kubernetesJwks: serviceAccountJwks(c.kc) as never,
      pod: { name: 'agent-pod', namespace: NS, uid: await podUid('agent-pod') },
    });
  });
  after(async () => {
    await source?.stop();
    await proxy?.stop();
    await stack?.postgres.stop();
    await op?.stop();
  });

  it("the compiled policy names the operator's run-token issuer; a run token exchanged under this policy is accepted", async () => {
    expect(compiled.metadata.annotations?.['agentgate.dev/run-token-issuer']).to.equal(operatorUrl);
    const token = await exchange(await person(IDP, 'alice@example.com'), await saToken('agent-pod'), 'billing-a');
    expect(await refusal(token)).to.equal('accepted');
  });

  it('a run token exchanged under another policy (a CI trigger issuer naming anyone) is refused', async () => {
    const token = await exchange(await person(CI, 'ceo@example.com'), await saToken('agent-pod'), 'billing-b');
    expect((jose.decodeJwt(token) as { policy?: string }).policy).to.equal(`${NS}/billing-b`);
    const r = await refusal(token);
    expect(r)
      .to.match(/^28P01 /)
      .and.contain(`exchanged under policy "${NS}/billing-b", not this proxy's policy ${NS}/billing-a`);
  });

  it("a run token whose person's issuer this policy no longer trusts is refused", async () => {
    const token = await exchange(await person(IDP, 'alice@example.com'), await saToken('agent-pod'), 'billing-a');
    const narrowed = structuredClone(compiled);
    narrowed.spec.identity.triggerIssuers = [
      { issuer: 'https://other-idp.example', audiences: ['agentgate-runs'], jwksFile: '/nonexistent' },
    ];
    proxy.updatePolicy(narrowed);
    try {
      expect(await refusal(token))
        .to.match(/^28P01 /)
        .and.contain(`names a person from issuer "${IDP}", which is not one of this policy's triggerIssuers`);
    } finally {
      proxy.updatePolicy(compiled);
    }
  });

  it('run-token claims from another trusted issuer are refused, not read as a run token (nor as a plain token)', async () => {
    const forged = await issueDevToken({
      dir: join(dir, 'agents'),
      issuer: AGENT_ISSUER,
      subject: 'ceo@example.com',
      audience: 'agentgate',
      ttlSeconds: 600,
      claims: {
        run_id: 'r-1',
        policy: `${NS}/billing-a`,
        triggered_by_iss: IDP,
        act: { sub: `system:serviceaccount:${NS}:billing-agent` },
      },
    });
    expect(await refusal(forged))
      .to.match(/^28P01 /)
      .and.contain("not issued by the operator's run-token issuer");
  });

  it('a run token without act.kubernetes (no pod to bind) is refused; so is a token of the run-token issuer that is not a run token', async () => {
    const unbound = await operatorSigned({
      run_id: 'r-2',
      policy: `${NS}/billing-a`,
      triggered_by_iss: IDP,
      act: { sub: `system:serviceaccount:${NS}:billing-agent` },
    });
    expect(await refusal(unbound))
      .to.match(/^28P01 /)
      .and.contain('act.kubernetes is missing');
    const plain = await operatorSigned({});
    expect(await refusal(plain))
      .to.match(/^28P01 /)
      .and.contain('must be a run token');
  });

  it('a run token of a deleted pod does not work for a pod re-created under the same name (pod uid binding)', async () => {
    const oldPodToken = await saToken('agent-pod');
    const oldRun = await exchange(await person(IDP, 'alice@example.com'), oldPodToken, 'billing-a');
    await c.kubectl(['delete', 'pod', 'agent-pod', '-n', NS, '--grace-period=0', '--force', '--wait=false']);
    await eventually('pod gone', async () => (await c.kubectl(['get', 'pod', 'agent-pod', '-n', NS])).code !== 0);
    await c.kubectl(['create', '-f', '-'], { input: pod('agent-pod') });
    const uid = await podUid('agent-pod');
    await proxy.stop();
    proxy = await GuardProxy.start({
      policy: compiled,
      auditFile: join(dir, 'audit-2.log'),
      env: { BILLING_DB_PASSWORD: 'agent-local-password' },
      listenOverride: { 'billing-db': '127.0.0.1:0' },
      kubernetesJwks: serviceAccountJwks(c.kc) as never,
      pod: { name: 'agent-pod', namespace: NS, uid },
    });
    expect(await refusal(oldRun))
      .to.match(/^28P01 /)
      .and.contain('earlier pod named');
    const fresh = await exchange(await person(IDP, 'alice@example.com'), await saToken('agent-pod'), 'billing-a');
    expect(await refusal(fresh)).to.equal('accepted');
  });
});
