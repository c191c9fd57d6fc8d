/**
 * The sidecar reads what it follows through the operator (GET /feeds/*, /kubernetes/jwks), with its own
 * pod-bound token, on a real API server: the scope is the authenticated pod's alone, whatever the request
 * says; a long poll answers as soon as something changed; the policy source over these feeds enforces a
 * new generation, reports a tampered ConfigMap, fails closed on a deleted policy and on an operator out of
 * reach past the staleness bound; and cluster mode wired with the operator loads no Kubernetes client.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Operator } from '../../operator/operator.js';
import { getFromOperator, type OperatorEndpoint } from '../../proxy/approvals/operator-client.js';
import { operatorFeeds } from '../../proxy/cluster/operator-feed.js';
import { ConfigMapPolicySource } from '../../proxy/cluster/policy-source.js';
import { FEEDS, KUBERNETES_JWKS_PATH } from '../../shared/contract/feeds.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { examplePolicy, feedsFixture } from './feeds-fixture.js';
import { agentPod } from './agent-objects.js';
import { eventually, kubectlOk, ns, testCluster, type TestCluster } from './cluster.js';
import { podToken, proxyToken } from './proxy-credentials.js';

const NS = ns('e2e-feeds');
const SYSTEM = ns('agentgate-feeds');

interface Answer {
  token: string;
  items: { metadata: { name: string; namespace: string; labels?: Record<string, string> } }[];
}

describe('the operator feeds what a sidecar follows (no Kubernetes client in the sidecar)', function () {
  this.timeout(180_000);
  let c: TestCluster;
  let op: Operator;
  let newOperator: () => Operator;
  let endpoint: OperatorEndpoint;
  let dir: string;
  const feed = (path: string, o: { timeoutMs?: number } = {}): Promise<Answer> =>
    getFromOperator(endpoint, path, o) as Promise<Answer>;
  const refusal = (path: string, tokenFile = endpoint.tokenFile): Promise<string> =>
    getFromOperator({ ...endpoint, tokenFile }, path).then(
      () => 'answered',
      (e: Error) => e.message,
    );
  before(async function () {
    this.timeout(1_200_000);
    c = await testCluster();
    const f = await feedsFixture(c, { namespace: NS, system: SYSTEM, policies: ['billing-agent', 'other-agent'] });
    ({ operator: op, newOperator, endpoint, dir } = f);
    // A pod the injector did not stamp: its proxy token proves a pod, but no policy.
    const plain = agentPod(NS, 'plain-pod');
    delete plain.metadata!.annotations;
    await kubectlOk(c, ['create', '-f', '-'], stringify(plain));
    writeFileSync(join(dir, 'plain-token'), await proxyToken(c, NS, 'billing-agent', 'plain-pod'));
    writeFileSync(join(dir, 'agent-token'), await podToken(c, NS, 'billing-agent', 'agent-pod', 'agentgate', '1h'));
  });
  after(async () => {
    await op?.stop();
  });

  it("answers only the authenticated pod's policy, compiled policy and approval requests, whatever the query says", async () => {
    const widen = '?namespace=kube-system&policy=other-agent&labelSelector=&fieldSelector=';
    const policy = await feed(`${FEEDS.policy}${widen}`);
    expect(policy.items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`)).to.deep.equal([
      `${NS}/billing-agent`,
    ]);
    // Another ConfigMap with the policy's label (anyone with ConfigMap rights can make one): not listed.
    await kubectlOk(c, ['create', 'configmap', 'decoy', '-n', NS, '--from-literal=policy.json={}']);
    await kubectlOk(c, ['label', 'configmap', 'decoy', '-n', NS, 'agentgate.dev/policy=billing-agent']);
    const compiled = await feed(`${FEEDS.compiled}${widen}`);
    await kubectlOk(c, ['delete', 'configmap', 'decoy', '-n', NS]);
    expect(compiled.items.map((i) => i.metadata.name)).to.deep.equal(['agentgate-policy-billing-agent']);
    const approvals = await feed(`${FEEDS.approvals}${widen}`);
    expect(approvals.items).to.deep.equal([]);
    expect(await refusal(`${FEEDS.policy}?wait=x`)).to.match(/\(400\).*whole number/);
    expect(await refusal(`${FEEDS.policy}?after=a&after=b`)).to.match(/\(400\)/);
  });

  it("refuses the agent's own token, no token, and a pod the injector did not stamp", async () => {
    expect(await refusal(FEEDS.policy, join(dir, 'agent-token'))).to.match(/\(401\).*service-account token refused/);
    writeFileSync(join(dir, 'empty'), '');
    expect(await refusal(FEEDS.policy, join(dir, 'empty'))).to.match(/\(401\)/);
    expect(await refusal(FEEDS.compiled, join(dir, 'plain-token'))).to.match(/\(403\).*not an agentgate-injected pod/);
    expect(await refusal(KUBERNETES_JWKS_PATH, join(dir, 'agent-token'))).to.match(/\(401\)/);
  });

  it("serves the cluster's service-account keys as the API server publishes them", async () => {
    const keys = (await getFromOperator(endpoint, KUBERNETES_JWKS_PATH)) as { keys: { kid: string }[] };
    const published = JSON.parse(await kubectlOk(c, ['get', '--raw', '/openid/v1/jwks'])) as {
      keys: { kid: string }[];
    };
    expect(keys.keys.map((k) => k.kid)).to.deep.equal(published.keys.map((k) => k.kid));
  });

  it('holds a long poll while nothing changes and answers as soon as the policy does', async () => {
    const first = await feed(FEEDS.policy);
    const t0 = Date.now();
    const quiet = await feed(`${FEEDS.policy}?after=${first.token}&wait=2`);
    expect(Date.now() - t0, 'held for the wait').to.be.greaterThanOrEqual(1_900);
    expect(quiet.token).to.equal(first.token);
    const t1 = Date.now();
    const changed = feed(`${FEEDS.policy}?after=${first.token}&wait=25`, { timeoutMs: 40_000 });
    await new Promise((r) => setTimeout(r, 500));
    await kubectlOk(c, ['annotate', 'aap', 'billing-agent', '-n', NS, 'example.com/touched=1', '--overwrite']);
    const answer = await changed;
    expect(answer.token).to.not.equal(first.token);
    expect(Date.now() - t1, 'answered at the change, not at the end of the wait').to.be.lessThan(15_000);
    // A token the operator never gave is answered at once.
    const t2 = Date.now();
    await feed(`${FEEDS.policy}?after=forged&wait=25`);
    expect(Date.now() - t2).to.be.lessThan(5_000);
  });

  it('holds at most four calls per pod and feed (429 past that); a call that ended frees its place', async () => {
    const { token } = await feed(FEEDS.compiled);
    const held = [1, 2, 3, 4].map(() =>
      feed(`${FEEDS.compiled}?after=${token}&wait=3`, { timeoutMs: 20_000 }).then(() => 'answered'),
    );
    await new Promise((r) => setTimeout(r, 700));
    expect(await refusal(`${FEEDS.compiled}?after=${token}&wait=3`)).to.match(
      /\(429\).*already has 4 compiled feed calls open/,
    );
    expect((await feed(FEEDS.policy)).items, 'another feed of the same pod is its own').to.have.length(1);
    expect(await Promise.all(held)).to.deep.equal(['answered', 'answered', 'answered', 'answered']);
    expect((await feed(FEEDS.compiled)).token).to.equal(token);
  });

  describe('the policy source over the feeds', () => {
    let source: ConfigMapPolicySource;
    const seen: { policies: AgentAccessPolicy[]; unavailable: (string | undefined)[]; tampered: string[] } = {
      policies: [],
      unavailable: [],
      tampered: [],
    };
    before(async () => {
      source = new ConfigMapPolicySource({
        feeds: operatorFeeds(endpoint),
        namespace: NS,
        policy: 'billing-agent',
        stalenessMs: 3_000,
        onPolicy: (p) => seen.policies.push(p),
        onUnavailable: (r) => seen.unavailable.push(r),
        onTampered: (m) => seen.tampered.push(m),
      });
      const started = await source.start();
      expect(started.metadata.name).to.equal('billing-agent');
      expect(started.spec.rules!.length).to.be.greaterThan(0);
    });
    after(() => source?.stop());

    it('enforces a new generation once the operator compiled it', async () => {
      const doc = examplePolicy(NS, 'billing-agent');
      doc.spec.rules = doc.spec.rules!.slice(0, 1);
      await kubectlOk(c, ['apply', '-f', '-'], stringify(doc));
      await eventually('the new generation', async () => seen.policies.find((p) => p.spec.rules?.length === 1), 15_000);
    });

    it('reports a ConfigMap that is not what the operator wrote, and never enforces it', async () => {
      const cm = JSON.parse(
        await kubectlOk(c, ['get', 'configmap', 'agentgate-policy-billing-agent', '-n', NS, '-o', 'json']),
      ) as { data: Record<string, string> };
      const forged = JSON.parse(cm.data['policy.json']!) as AgentAccessPolicy;
      forged.spec.rules = [];
      forged.spec.defaultAction = 'Allow';
      const before = seen.policies.length;
      await kubectlOk(c, [
        'patch',
        'configmap',
        'agentgate-policy-billing-agent',
        '-n',
        NS,
        '--type',
        'merge',
        '-p',
        JSON.stringify({ data: { 'policy.json': JSON.stringify(forged) } }),
      ]);
      await eventually('policy.tampered', async () => seen.tampered.find((m) => /not what the operator wrote/.test(m)));
      expect(seen.policies.slice(before).some((p) => p.spec.rules?.length === 0)).to.equal(false);
    });

    it('fails closed when the policy is deleted, and again when the operator is out of reach past the bound', async () => {
      expect(source.unavailable()).to.equal(undefined);
      await kubectlOk(c, ['delete', 'aap', 'billing-agent', '-n', NS]);
      await eventually('unavailable: deleted', async () => /deleted|does not exist/.test(source.unavailable() ?? ''));
      await kubectlOk(c, ['apply', '-f', '-'], stringify(examplePolicy(NS, 'billing-agent')));
      await eventually('available again', async () => source.unavailable() === undefined, 30_000);

      await op.stop();
      const reason = await eventually('unavailable: operator gone', async () => source.unavailable(), 15_000);
      expect(reason).to.match(/not read from the control plane for \d+ s \(staleness bound 3 s\)/);
      op = newOperator();
      await op.start();
      await eventually('available once the operator answers', async () => source.unavailable() === undefined, 30_000);
      expect(seen.unavailable.at(-1)).to.equal(undefined);
    });
  });

  it('cluster mode wired with the operator reads its policy through it and loads no Kubernetes client', async () => {
    // A fresh process, as the sidecar starts: every package it resolves is logged.
    const script = `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`import { writeSync } from 'node:fs';
export async function resolve(spec, ctx, next) {
  const r = await next(spec, ctx);
  const m = /node_modules\\\\/((?:@[^/]+\\\\/)?[^/]+)\\\\//.exec(r.url);
  if (m) writeSync(2, 'package ' + m[1] + '\\\\n');
  return r;
}\`));
const { clusterServices } = await import('./proxy/modes/cluster.ts');
const s = await clusterServices({
  policyRef: ${JSON.stringify(`${NS}/billing-agent`)},
  operatorUrl: ${JSON.stringify(endpoint.url)},
  policyStalenessSeconds: 30,
  log: () => undefined,
  env: { AGENTGATE_PROXY_TOKEN_FILE: ${JSON.stringify(endpoint.tokenFile)}, AGENTGATE_OPERATOR_CA: ${JSON.stringify(endpoint.ca!.toString())} },
});
await s.kubernetesJwks?.();
process.stdout.write(s.policy.metadata.name + '\\n');
await s.stop();`;
    // Asynchronously: the operator answering it runs in this process.
    const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        {
          encoding: 'utf8',
          // No way to the API server of its own: what it reads comes through the operator.
          env: { ...process.env, KUBECONFIG: '/nonexistent', KUBERNETES_SERVICE_HOST: '' },
          timeout: 60_000,
        },
        (error, stdout, stderr) => resolve({ status: error ? ((error.code as number) ?? -1) : 0, stdout, stderr }),
      );
    });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout.trim()).to.equal('billing-agent');
    const packages = new Set([...r.stderr.matchAll(/^package (\S+)$/gm)].map((m) => m[1]));
    expect(packages, 'the hook sees packages resolved (the policy validator)').to.include('re2js');
    expect(packages).to.not.include('@kubernetes/client-node');
  });
});
