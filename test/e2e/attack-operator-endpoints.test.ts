/**
 * Issue #17 class 6: the operator's endpoints answer only whom they serve. From a pod's point of view
 * (the AGENTGATE_OPERATOR_URL injected into it, no credentials or the agent's own token), the admission
 * paths do not exist; the pod-facing endpoints still work there. The admission listener is a port of
 * its own that serves admission only and, on this cluster (whose API server presents a client
 * certificate to webhooks, test/cluster), answers only that certificate; pods created through the API
 * server are still injected.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { Operator } from '../../operator/operator.js';
import { eventually, ns, testCluster, type TestCluster, createSecret } from './cluster.js';

const NS = ns('e2e-opendpoints');
const CONFIG = ns('agentgate-opendpoints');
const policy = parse(readFileSync(new URL('../fixtures/inject/policy.yaml', import.meta.url), 'utf8'));

interface Answer {
  status: number;
  text: string;
}
interface CallOptions {
  method?: string;
  body?: unknown;
  token?: string;
  ca: string;
  cert?: string;
  key?: string;
}

function call(url: string, o: CallOptions): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: o.method ?? 'GET',
        ca: o.ca,
        ...(o.cert ? { cert: o.cert, key: o.key } : {}),
        headers: { 'content-type': 'application/json', ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(o.body === undefined ? undefined : JSON.stringify(o.body));
  });
}

/** An AdmissionReview shaped exactly as the API server sends one. */
function review(
  kind: string,
  resource: string,
  group: string,
  object: unknown,
  extra: Record<string, unknown> = {},
): unknown {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      kind: { group, version: group ? 'v1alpha1' : 'v1', kind },
      resource: { group, version: group ? 'v1alpha1' : 'v1', resource },
      namespace: NS,
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:attacker:agent', groups: ['system:serviceaccounts'] },
      object,
      ...extra,
    },
  };
}

const victimPod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'probe', namespace: NS, annotations: { 'agentgate.dev/inject': 'true' } },
  spec: { serviceAccountName: 'billing-agent', containers: [{ name: 'agent', image: 'example.com/agent:1' }] },
};
const ADMISSION = [
  { path: '/mutate-pods', body: review('Pod', 'pods', '', victimPod) },
  {
    path: '/admit-approvals',
    body: review(
      'ApprovalRequest',
      'approvalrequests',
      'agentgate.dev',
      {
        apiVersion: 'agentgate.dev/v1alpha1',
        kind: 'ApprovalRequest',
        metadata: { name: 'probe', namespace: NS },
        spec: { policy: 'billing-agent' },
      },
      { operation: 'UPDATE' },
    ),
  },
  {
    path: '/mutate-policies',
    body: review('AgentAccessPolicy', 'agentaccesspolicies', 'agentgate.dev', {
      ...policy,
      metadata: { name: 'probe', namespace: NS },
    }),
  },
];

describe('attack: operator endpoints answer only whom they serve (issue #17 class 6)', function () {
  this.timeout(180_000);
  let c: TestCluster;
  let op: Operator;
  let ca: string;
  /** What an injected pod is told: AGENTGATE_OPERATOR_URL (here on 127.0.0.1, where the operator listens). */
  let podUrl: string;
  let agentToken: string;
  let apiServerClient: { cert: string; key: string } | undefined;

  before(async function () {
    this.timeout(1_200_000);
    c = await testCluster();
    const clientCaFile = c.local?.webhookClientCaFile;
    if (clientCaFile) {
      const dir = dirname(clientCaFile);
      apiServerClient = {
        cert: readFileSync(join(dir, 'webhook-client.crt'), 'utf8'),
        key: readFileSync(join(dir, 'webhook-client.key'), 'utf8'),
      };
    }
    await c.kubectl(['create', 'namespace', NS]);
    await c.kubectl(['create', 'serviceaccount', 'billing-agent', '-n', NS]);
    await c.kubectl(['label', 'namespace', NS, 'agentgate.dev/injection=enabled']);
    await createSecret(c, NS, 'billing-db-credentials', { password: 's3cret' });
    await createSecret(c, NS, 'reports-credentials', { password: 'r3ports' });
    expect(
      (
        await c.kubectl(['apply', '-f', '-'], {
          input: stringify({ ...policy, metadata: { name: 'billing-agent', namespace: NS } }),
        })
      ).code,
    ).to.equal(0);
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
        tokenExchange: {},
        ...(clientCaFile ? { admissionClientCa: readFileSync(clientCaFile, 'utf8') } : {}),
      },
    });
    await op.start();
    await eventually(
      'policy Ready',
      async () =>
        (await c.kubectl(['get', 'aap', 'billing-agent', '-n', NS, '-o', 'jsonpath={.status.conditions[0].status}']))
          .stdout === 'True',
    );
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
    await op.renewWebhookCertificate();
    const tls = JSON.parse(
      (await c.kubectl(['get', 'secret', 'agentgate-webhook-tls', '-n', NS, '-o', 'json'])).stdout,
    );
    ca = Buffer.from(tls.data['ca.crt'], 'base64').toString();
    // A real pod, created through the API server: injected, and told where the operator is.
    const created = await eventually(
      'pod injected',
      async () => {
        const r = await c.kubectl(['create', '-f', '-', '-o', 'json'], {
          input: stringify({ ...victimPod, metadata: { ...victimPod.metadata, name: 'agent-1' } }),
        });
        return r.code === 0 && JSON.parse(r.stdout);
      },
      30_000,
      500,
    );
    const agent = created.spec.containers.find((x: { name: string }) => x.name === 'agent');
    const url = new URL(agent.env.find((e: { name: string }) => e.name === 'AGENTGATE_OPERATOR_URL').value);
    url.hostname = '127.0.0.1'; // the certificate names both
    podUrl = url.origin;
    agentToken = (
      await c.kubectl(['create', 'token', 'billing-agent', '-n', NS, '--audience', 'agentgate'])
    ).stdout.trim();
  });

  after(async () => {
    await op?.stop();
    await c?.kubectl(['delete', 'mutatingwebhookconfiguration', CONFIG]);
    await c?.kubectl(['delete', 'namespace', NS, '--wait=false']);
  });

  for (const { path, body } of ADMISSION) {
    it(`POST ${path} on the pod-facing URL is 404, with no credentials and with the agent's token, and reveals nothing`, async () => {
      for (const token of [undefined, agentToken]) {
        const r = await call(`${podUrl}${path}`, { method: 'POST', body, ca, ...(token ? { token } : {}) });
        expect(r.status, `${path} ${token ? 'with' : 'without'} a token: ${r.text}`).to.equal(404);
        for (const secret of ['billing', 'billing-db-credentials', 'reports', 'patch', 'allowed'])
          expect(r.text).not.to.contain(secret);
      }
    });
  }

  it('the pod-facing endpoints still answer on AGENTGATE_OPERATOR_URL', async () => {
    const jwks = await call(`${podUrl}/.well-known/jwks.json`, { ca });
    expect(jwks.status).to.equal(200);
    expect(JSON.parse(jwks.text).keys).to.have.length.greaterThan(0);
    expect((await call(`${podUrl}/.well-known/audit-keys.json`, { ca })).status).to.equal(200);
    // The token exchange is there: it refuses the request (no subject token), not 404.
    expect((await call(`${podUrl}/token`, { method: 'POST', body: {}, ca })).status).to.be.oneOf([400, 401]);
  });

  it('the admission listener is another port, and serves none of the pod-facing endpoints', async function () {
    const admission = `https://127.0.0.1:${op.webhookAddress!.port}`;
    expect(admission).not.to.equal(podUrl);
    const client = apiServerClient ?? {};
    for (const path of ['/.well-known/jwks.json', '/.well-known/audit-keys.json', '/healthz'])
      expect((await call(`${admission}${path}`, { ca, ...client })).status, path).to.equal(404);
    for (const path of ['/token', '/audit/checkpoints', '/approvals/used'])
      expect((await call(`${admission}${path}`, { method: 'POST', body: {}, ca, ...client })).status, path).to.equal(
        404,
      );
  });

  it('the admission listener acts only on a genuine AdmissionReview', async () => {
    const admission = `https://127.0.0.1:${op.webhookAddress!.port}`;
    const client = apiServerClient ?? {};
    const genuine = ADMISSION[0]!.body as { request: Record<string, unknown> };
    const forged = [
      { request: genuine.request },
      { ...genuine, apiVersion: 'admission.k8s.io/v1beta1' },
      { ...genuine, request: { ...genuine.request, uid: 'x' } },
      { ...genuine, request: { ...genuine.request, resource: { group: '', version: 'v1', resource: 'configmaps' } } },
      { ...genuine, request: { ...genuine.request, userInfo: {} } },
    ];
    for (const body of forged) {
      const r = await call(`${admission}/mutate-pods`, { method: 'POST', body, ca, ...client });
      expect(r.status, JSON.stringify(body).slice(0, 200)).to.equal(400);
      expect(r.text).not.to.contain('billing');
    }
  });

  it("with the API server's client CA configured, a caller without its certificate cannot even complete the handshake", async function () {
    if (!apiServerClient) this.skip(); // an external cluster (AGENTGATE_E2E_KUBECONFIG) without the test's admission configuration
    const admission = `https://127.0.0.1:${op.webhookAddress!.port}`;
    let failed: unknown;
    try {
      await call(`${admission}/mutate-pods`, { method: 'POST', body: ADMISSION[0]!.body, ca });
    } catch (e) {
      failed = e;
    }
    expect(failed, 'the admission listener answered a caller without a client certificate').to.be.instanceOf(Error);
    // The API server itself presents its certificate: a genuine review is answered.
    const r = await call(`${admission}/mutate-pods`, {
      method: 'POST',
      body: ADMISSION[0]!.body,
      ca,
      ...apiServerClient,
    });
    expect(r.status).to.equal(200);
  });

  it('the chart points the webhook configurations at the admission port and pods at the pod-facing one', async () => {
    const chart = new URL('../../charts/agentgate', import.meta.url).pathname;
    const r = await c.helm(['template', 'agentgate', chart, '-n', 'agentgate-system']);
    expect(r.code, r.stderr).to.equal(0);
    const docs = r.stdout
      .split(/^---$/m)
      .map((d) => parse(d))
      .filter(Boolean);
    const service = docs.find((d) => d.kind === 'Service' && d.metadata.name === 'agentgate-webhook');
    const container = docs.find((d) => d.kind === 'Deployment').spec.template.spec.containers[0];
    const portNamed = (name: string): number =>
      container.ports.find((x: { name: string }) => x.name === name).containerPort;
    const env = Object.fromEntries(container.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
    const targetOf = (svc: any, port: number): number =>
      portNamed(svc.spec.ports.find((x: { port: number }) => x.port === port).targetPort);
    // Pods reach https://agentgate-webhook.<ns>.svc (port 443): the pod-facing listener, and nothing else.
    expect(targetOf(service, 443)).to.equal(Number(env.AGENTGATE_API_PORT));
    expect(service.spec.ports.map((x: { name: string }) => x.name)).to.deep.equal(['https']);
    const webhooks = docs.find((d) => d.kind === 'MutatingWebhookConfiguration').webhooks;
    for (const w of webhooks) {
      // The API server reaches admission through a Service of its own, whose name pods are not handed.
      expect(w.clientConfig.service.name, w.name).to.equal('agentgate-admission');
      const admission = docs.find((d) => d.kind === 'Service' && d.metadata.name === w.clientConfig.service.name);
      expect(w.clientConfig.service.port, w.name).not.to.equal(443);
      expect(targetOf(admission, w.clientConfig.service.port), w.name).to.equal(Number(env.AGENTGATE_WEBHOOK_PORT));
    }
    expect(env.AGENTGATE_ADMISSION_SERVICE).to.equal('agentgate-admission.agentgate-system.svc');
    expect(env.AGENTGATE_WEBHOOK_PORT).not.to.equal(env.AGENTGATE_API_PORT);
    // A NetworkPolicy with no admission sources would admit everyone: the chart refuses to render it.
    const open = await c.helm(['template', 'agentgate', chart, '--set', 'webhook.networkPolicy.enabled=true']);
    expect(open.code).not.to.equal(0);
    expect(open.stderr).to.contain('admissionFrom');
  });

  it('admission still works for pods created through the API server', async () => {
    const r = await c.kubectl(['create', '-f', '-', '-o', 'json'], {
      input: stringify({ ...victimPod, metadata: { ...victimPod.metadata, name: 'agent-2' } }),
    });
    expect(r.code, r.stderr).to.equal(0);
    const created = JSON.parse(r.stdout);
    expect(created.spec.initContainers.map((x: { name: string }) => x.name)).to.include('agentgate-proxy');
  });
});
