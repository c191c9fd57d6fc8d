/**
 * Sidecar injection through the real admission chain: a MutatingWebhookConfiguration on the real
 * API server calls the operator's webhook by URL on 127.0.0.1; pods are created with kubectl.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { Operator } from '../../operator/operator.js';
import { eventually, ns, testCluster, type TestCluster, createSecret } from './cluster.js';

const NS = ns('e2e-inject');
const PLAIN = ns('e2e-plain');
const CONFIG = ns('agentgate-e2e');
const policy = parse(readFileSync(new URL('../fixtures/inject/policy.yaml', import.meta.url), 'utf8'));

const pod = (name: string, annotations: Record<string, string>, namespace = NS): string =>
  stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, annotations },
    spec: {
      serviceAccountName: 'billing-agent',
      containers: [{ name: 'agent', image: 'example.com/agents/billing:1.4' }],
    },
  });

describe('sidecar injection webhook on a real API server (kubectl)', function () {
  this.timeout(180_000);
  let c: TestCluster;
  let op: Operator;

  before(async function () {
    this.timeout(1_200_000);
    c = await testCluster();
    for (const ns of [NS, PLAIN]) {
      await c.kubectl(['create', 'namespace', ns]);
      await c.kubectl(['create', 'serviceaccount', 'billing-agent', '-n', ns]);
    }
    await c.kubectl(['label', 'namespace', NS, 'agentgate.dev/injection=enabled']);
    await createSecret(c, NS, 'billing-db-credentials', { password: 's3cret' });
    await createSecret(c, NS, 'reports-credentials', { password: 'r3ports' });
    const doc = { ...policy, metadata: { name: 'billing-agent', namespace: NS } };
    expect((await c.kubectl(['apply', '-f', '-'], { input: stringify(doc) })).code).to.equal(0);
    op = new Operator({
      kc: c.kc,
      leaseNamespace: NS,
      healthAddress: { host: '127.0.0.1', port: 0 },
      webhook: {
        host: '127.0.0.1',
        port: 0,
        namespace: NS,
        dnsNames: ['localhost'],
        ipAddresses: ['127.0.0.1'],
        configurationName: CONFIG,
        injector: { image: 'ghcr.io/agentgate/agentgate:e2e' },
      },
    });
    await op.start();
    await eventually('policy Ready', async () => {
      const r = await c.kubectl([
        'get',
        'aap',
        'billing-agent',
        '-n',
        NS,
        '-o',
        'jsonpath={.status.conditions[0].status}',
      ]);
      return r.stdout === 'True';
    });
    const mwc = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: CONFIG },
      webhooks: [
        {
          name: 'pods.agentgate.dev',
          clientConfig: { url: `https://127.0.0.1:${op.webhookAddress!.port}/mutate-pods` },
          rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
          namespaceSelector: { matchLabels: { 'agentgate.dev/injection': 'enabled' } },
          failurePolicy: 'Fail',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          timeoutSeconds: 10,
        },
      ],
    };
    expect((await c.kubectl(['apply', '-f', '-'], { input: stringify(mwc) })).code).to.equal(0);
    await op.renewWebhookCertificate(); // the operator's own caBundle injection
  });

  after(async () => {
    await op?.stop();
    await c?.kubectl(['delete', 'mutatingwebhookconfiguration', CONFIG]);
    await c?.kubectl(['delete', 'namespace', NS, PLAIN, '--wait=false']);
  });

  it('the operator put its CA into the webhook configuration', async () => {
    const r = await c.kubectl([
      'get',
      'mutatingwebhookconfiguration',
      CONFIG,
      '-o',
      'jsonpath={.webhooks[0].clientConfig.caBundle}',
    ]);
    expect(Buffer.from(r.stdout, 'base64').toString()).to.contain('BEGIN CERTIFICATE');
  });

  it('an annotated pod comes back with the proxy sidecar, the token volume and env; credentials only in the proxy', async () => {
    const created = await eventually(
      'pod accepted',
      async () => {
        const r = await c.kubectl(['create', '-f', '-', '-o', 'json'], {
          input: pod('agent-1', { 'agentgate.dev/inject': 'true' }),
        });
        return r.code === 0 && JSON.parse(r.stdout);
      },
      30_000,
      500,
    );
    const proxy = created.spec.initContainers.find((x: any) => x.name === 'agentgate-proxy');
    expect(proxy.args.slice(0, 7)).to.deep.equal([
      'proxy',
      '--policy-ref',
      `${NS}/billing-agent`,
      '--audit-file',
      '/var/log/agentgate/audit.log',
      '--health-address',
      '0.0.0.0:15021',
    ]);
    // The operator: approvals go through it, and it witnesses the audit chain.
    const url = proxy.args[8];
    expect(url).to.match(/^https:\/\/localhost:\d+$/);
    expect(proxy.args.slice(7)).to.deep.equal(['--operator-url', url, '--checkpoint-url', url]);
    // The proxy's trust in the operator is fixed in the pod spec at admission, not read from the (editable) ConfigMap.
    const proxyEnv = Object.fromEntries(proxy.env.map((e: any) => [e.name, e.value]));
    expect(proxyEnv.AGENTGATE_OPERATOR_CA).to.contain('BEGIN CERTIFICATE');
    expect(proxy.volumeMounts.map((m: any) => m.name)).not.to.include('agentgate-operator-ca');
    expect(proxy.startupProbe.httpGet).to.deep.include({ path: '/readyz', port: 15021 }); // the agent starts after the proxy is ready
    // The operator's CA reaches the agents through the policy's compiled ConfigMap.
    const caVolume = created.spec.volumes.find((v: any) => v.name === 'agentgate-operator-ca');
    expect(caVolume.configMap).to.deep.include({ name: 'agentgate-policy-billing-agent', optional: true });
    const cm = await eventually(
      'the compiled ConfigMap carries the operator CA',
      async () => {
        const r = JSON.parse(
          (await c.kubectl(['get', 'configmap', 'agentgate-policy-billing-agent', '-n', NS, '-o', 'json'])).stdout,
        );
        return r.data?.['operator-ca.crt'] ? r : undefined;
      },
      10_000,
      200,
    );
    expect(cm.data['operator-ca.crt']).to.contain('BEGIN CERTIFICATE');
    expect(proxy.restartPolicy).to.equal('Always');
    const agent = created.spec.containers.find((x: any) => x.name === 'agent');
    const env = Object.fromEntries(agent.env.map((e: any) => [e.name, e.value]));
    expect(env).to.include({
      PGHOST: '127.0.0.1',
      PGPORT: '15432',
      AGENTGATE_TOKEN_FILE: '/var/run/agentgate/token/token',
      AGENTGATE_OPERATOR_CA_FILE: '/var/run/agentgate/operator/ca.crt',
    });
    expect(env.AGENTGATE_OPERATOR_URL).to.equal(proxy.args[8]); // for agentgate token exchange
    const agentMounts = agent.volumeMounts.map((m: any) => m.name);
    expect(agentMounts).to.include('agentgate-token');
    expect(agentMounts.filter((m: string) => m.startsWith('agentgate-cred'))).to.deep.equal([]);
    expect(proxy.volumeMounts.map((m: any) => m.name)).to.include('agentgate-cred-billing-db');
    const token = created.spec.volumes.find((v: any) => v.name === 'agentgate-token').projected.sources[0]
      .serviceAccountToken;
    expect(token).to.include({ audience: 'agentgate', expirationSeconds: 900 });
    expect(JSON.parse(created.metadata.annotations['agentgate.dev/status']).policy).to.equal(`${NS}/billing-agent`);
  });

  it('a pod without the annotation is untouched', async () => {
    const r = await c.kubectl(['create', '-f', '-', '-o', 'json'], { input: pod('plain-1', {}) });
    expect(r.code, r.stderr).to.equal(0);
    const created = JSON.parse(r.stdout);
    expect(created.spec.initContainers).to.equal(undefined);
    expect(created.metadata.annotations?.['agentgate.dev/status']).to.equal(undefined);
  });

  it('an opted-out pod and a pod in a namespace without injection are untouched', async () => {
    const out = JSON.parse(
      (
        await c.kubectl(['create', '-f', '-', '-o', 'json'], {
          input: pod('optout-1', { 'agentgate.dev/inject': 'false' }),
        })
      ).stdout,
    );
    expect(out.spec.initContainers).to.equal(undefined);
    const other = JSON.parse(
      (
        await c.kubectl(['create', '-f', '-', '-o', 'json'], {
          input: pod('elsewhere-1', { 'agentgate.dev/inject': 'true' }, PLAIN),
        })
      ).stdout,
    );
    expect(other.spec.initContainers).to.equal(undefined);
  });

  it('a busy-poll window in the annotation reaches the sidecar with a CPU request for it; a malformed one refuses the pod', async () => {
    const r = await c.kubectl(['create', '-f', '-', '-o', 'json'], {
      input: pod('agent-poll-1', { 'agentgate.dev/inject': 'true', 'agentgate.dev/busy-poll-micros': '300' }),
    });
    expect(r.code, r.stderr).to.equal(0);
    const created = JSON.parse(r.stdout);
    const proxy = created.spec.initContainers.find((x: any) => x.name === 'agentgate-proxy');
    expect(proxy.args.slice(-2)).to.deep.equal(['--busy-poll-micros', '300']);
    expect(proxy.resources.requests.cpu).to.equal('1');
    expect(JSON.parse(created.metadata.annotations['agentgate.dev/status']).busyPollMicros).to.equal(300);
    const bad = await c.kubectl(['create', '-f', '-'], {
      input: pod('agent-poll-2', { 'agentgate.dev/inject': 'true', 'agentgate.dev/busy-poll-micros': '1e9' }),
    });
    expect(bad.code).to.not.equal(0);
    expect(bad.stderr)
      .to.contain('denied the request')
      .and.contain('agentgate.dev/busy-poll-micros must be an integer number of µs from 0 (off) to 10000, got "1e9"');
  });

  it('a pod asking for a policy that does not exist is refused with a clear message', async () => {
    const r = await c.kubectl(['create', '-f', '-'], {
      input: pod('agent-2', { 'agentgate.dev/inject': 'true', 'agentgate.dev/policy': 'no-such-policy' }),
    });
    expect(r.code).to.not.equal(0);
    expect(r.stderr)
      .to.contain('denied the request')
      .and.contain('AgentAccessPolicy "no-such-policy", which does not exist');
  });
});
