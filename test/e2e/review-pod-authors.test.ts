/**
 * Red-team review of issue #17 (classes 4, 5, 1): what a plain namespaced user (dev-user) can do in an
 * injection-enabled agent namespace with ordinary pod rights — no Secret rights, no
 * serviceaccounts/token, no rights on AgentAccessPolicy or the operator's namespace — with the chart's
 * webhook rules on a real API server. Each test asserts the secure behaviour.
 *
 * No kubelet runs here, so where a pod's projected token would be written by the kubelet, the test
 * mints exactly that token (same service account, audience, bound pod) with the admin context, as the
 * team's own e2e tests do. The attack steps themselves run as dev-user.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { Operator } from '../../operator/operator.js';
import { eventually, ns, testCluster, type TestCluster, createSecret } from './cluster.js';
import { webhookCa } from './proxy-credentials.js';

const NS = ns('rv-pods');
const SYSTEM = ns('rv-pods-sys');
const CONFIG = ns('rv-pods');
const USER = 'dev-user';
const policy = parse(readFileSync(new URL('../fixtures/inject/policy.yaml', import.meta.url), 'utf8'));

describe('review: a pod author without Secret or token rights, in an injection-enabled namespace', function () {
  this.timeout(180_000);
  let c: TestCluster;
  let op: Operator;
  let operatorUrl: string;
  let ca: Buffer;
  const create = (doc: unknown): Promise<{ code: number; stdout: string; stderr: string }> =>
    c.kubectl(['create', '-f', '-', '-o', 'json'], { as: USER, input: stringify(doc) });
  const pod = (name: string, metadata: Record<string, unknown>, spec: Record<string, unknown>) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, ...metadata },
    spec: { serviceAccountName: 'billing-agent', ...spec },
  });
  const post = (path: string, token: string, body: unknown): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const req = https.request(
        new URL(path, operatorUrl),
        { method: 'POST', ca, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  /** The token the kubelet would project into the pod's agentgate-proxy volume. */
  const kubeletToken = async (podName: string): Promise<string> =>
    (
      await c.kubectl([
        'create',
        'token',
        'billing-agent',
        '-n',
        NS,
        '--audience',
        'agentgate-proxy',
        '--bound-object-kind',
        'Pod',
        '--bound-object-name',
        podName,
        '--duration',
        '1h',
      ])
    ).stdout.trim();

  before(async function () {
    this.timeout(1_200_000);
    c = await testCluster();
    await c.kubectl(['create', 'namespace', NS]);
    await c.kubectl(['create', 'namespace', SYSTEM]);
    await c.kubectl(['label', 'namespace', NS, 'agentgate.dev/injection=enabled']);
    await c.kubectl(['create', 'serviceaccount', 'billing-agent', '-n', NS]);
    await createSecret(c, NS, 'billing-db-credentials', { password: 's3cret' });
    await createSecret(c, NS, 'reports-credentials', { password: 'r3ports' });
    // Ordinary pod rights: create, read, patch, delete pods. No Secrets, no serviceaccounts/token.
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'pod-author', namespace: NS },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['create', 'get', 'list', 'patch', 'update', 'delete'] }],
    };
    expect((await c.kubectl(['apply', '-f', '-'], { input: stringify(role) })).code).to.equal(0);
    await c.kubectl(['create', 'rolebinding', 'pod-author', '-n', NS, '--role', 'pod-author', '--user', USER]);
    for (const check of [
      ['get', 'secrets'],
      ['create', 'serviceaccounts/token'],
      ['get', 'agentaccesspolicies.agentgate.dev'],
    ]) {
      expect(
        (await c.kubectl(['auth', 'can-i', ...check, '-n', NS], { as: USER })).stdout.trim(),
        check.join(' '),
      ).to.equal('no');
    }
    expect(
      (
        await c.kubectl(['apply', '-f', '-'], {
          input: stringify({ ...policy, metadata: { name: 'billing-agent', namespace: NS } }),
        })
      ).code,
    ).to.equal(0);
    op = new Operator({
      kc: c.kc,
      leaseNamespace: SYSTEM,
      watchNamespace: NS,
      healthAddress: { host: '127.0.0.1', port: 0 },
      webhook: {
        host: '127.0.0.1',
        port: 0,
        namespace: SYSTEM,
        dnsNames: ['localhost'],
        ipAddresses: ['127.0.0.1'],
        configurationName: CONFIG,
        injector: { image: 'ghcr.io/agentgate/agentgate:e2e' },
      },
    });
    await op.start();
    operatorUrl = `https://127.0.0.1:${op.operatorAddress!.port}`;
    ca = await webhookCa(c, SYSTEM);
    await eventually(
      'policy Ready',
      async () =>
        (await c.kubectl(['get', 'aap', 'billing-agent', '-n', NS, '-o', 'jsonpath={.status.conditions[0].status}']))
          .stdout === 'True',
    );
    // The chart's pod webhook rules, verbatim (CREATE and UPDATE of pods, UPDATE of pods/ephemeralcontainers).
    const chart = readFileSync(new URL('../../charts/agentgate/templates/operator.yaml', import.meta.url), 'utf8');
    const podHook = chart.slice(chart.indexOf('- name: pods.agentgate.dev'), chart.indexOf('namespaceSelector:'));
    const rules = podHook
      .split('\n')
      .filter((l) => l.trim().startsWith('- {operations:'))
      .map((l) => parse(l.trim().slice(2)));
    expect(rules).to.deep.include({
      operations: ['UPDATE'],
      apiGroups: [''],
      apiVersions: ['v1'],
      resources: ['pods'],
    });
    const mwc = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: CONFIG },
      webhooks: [
        {
          name: 'pods.agentgate.dev',
          clientConfig: { url: `https://127.0.0.1:${op.webhookAddress!.port}/mutate-pods` },
          rules,
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
    await eventually(
      'webhook serving',
      async () => {
        const r = await create(
          pod(
            `warmup-${Date.now()}`,
            { annotations: { 'agentgate.dev/inject': 'true' } },
            { containers: [{ name: 'agent', image: 'x' }] },
          ),
        );
        return r.code === 0 && JSON.parse(r.stdout).spec.initContainers?.[0]?.name === 'agentgate-proxy';
      },
      30_000,
      500,
    );
  });

  after(async () => {
    await op?.stop();
    await c?.kubectl(['delete', 'mutatingwebhookconfiguration', CONFIG]);
  });

  it("R1 (high, class 4): a pod that does not opt in (or opts out) may not mount a policy target's credentials Secret", async () => {
    // Same service account as the agent, same namespace; it simply leaves out (or sets false) agentgate.dev/inject.
    const attempts = [
      pod(
        'creds-no-label',
        {},
        {
          containers: [
            {
              name: 'agent',
              image: 'busybox',
              env: [
                {
                  name: 'PGPASSWORD',
                  valueFrom: { secretKeyRef: { name: 'billing-db-credentials', key: 'password' } },
                },
              ],
            },
          ],
        },
      ),
      pod(
        'creds-opt-out',
        { annotations: { 'agentgate.dev/inject': 'false' } },
        {
          containers: [{ name: 'agent', image: 'busybox', volumeMounts: [{ name: 'c', mountPath: '/c' }] }],
          volumes: [{ name: 'c', secret: { secretName: 'billing-db-credentials' } }],
        },
      ),
    ];
    const admitted: string[] = [];
    for (const doc of attempts) {
      const r = await create(doc);
      if (r.code === 0) admitted.push(doc.metadata.name);
    }
    expect(
      admitted,
      "pods admitted with the target credentials (the agent's container then reads the password the sidecar was meant to keep)",
    ).to.deep.equal([]);
  });

  it('R2 (high, classes 1/5/6): a pod that is not an injected agent pod is not treated as an agentgate proxy by the operator', async () => {
    // Opted out, so admission does not look at it: a container merely *named* agentgate-proxy with the
    // sidecar's --policy-ref, and a projected token for audience agentgate-proxy (the sidecar's own).
    const fake = pod(
      'fake-proxy',
      { annotations: { 'agentgate.dev/inject': 'false' } },
      {
        containers: [
          {
            name: 'agentgate-proxy',
            image: 'evil/anything',
            args: ['proxy', '--policy-ref', `${NS}/billing-agent`],
            volumeMounts: [{ name: 't', mountPath: '/t' }],
          },
        ],
        volumes: [
          {
            name: 't',
            projected: {
              sources: [
                { serviceAccountToken: { audience: 'agentgate-proxy', expirationSeconds: 3600, path: 'token' } },
              ],
            },
          },
        ],
      },
    );
    const created = await create(fake);
    if (created.code !== 0) return; // refused at admission: held
    const token = await kubeletToken('fake-proxy');
    // A request approvers of billing-agent will see as agent-1's, triggered by nobody, in the real agent's name.
    const text = 'DELETE FROM invoices WHERE id = 42';
    const ask = await post('/approvals', token, {
      rule: 'writes-need-approval',
      target: 'billing-db',
      command: { text, sha256: createHash('sha256').update(text).digest('hex') },
      requester: { subject: 'agent-1', runId: 'none' },
    });
    // And the audit witness signs any chain head it is offered for this "proxy".
    const checkpoint = await post('/audit/checkpoints', token, {
      seq: 1_000_000,
      hash: 'a'.repeat(64),
      time: new Date().toISOString(),
    });
    expect(
      { approvals: ask.status, checkpoints: checkpoint.status },
      `operator answered: ${ask.text} | ${checkpoint.text}`,
    ).to.deep.equal({ approvals: 403, checkpoints: 403 });
  });

  it("R3 (medium, class 4): a later pod UPDATE cannot swap the injected sidecar's image (it holds the credentials and the proxy token)", async () => {
    const r = await create(
      pod(
        'swap-1',
        { annotations: { 'agentgate.dev/inject': 'true' } },
        { containers: [{ name: 'agent', image: 'example.com/agents/billing:1.4' }] },
      ),
    );
    expect(r.code, r.stderr).to.equal(0);
    const injected = JSON.parse(r.stdout);
    const i = injected.spec.initContainers.findIndex((x: { name: string }) => x.name === 'agentgate-proxy');
    expect(i).to.be.greaterThanOrEqual(0);
    const patch = [{ op: 'replace', path: `/spec/initContainers/${i}/image`, value: 'evil/credential-dumper:latest' }];
    const swapped = await c.kubectl(
      ['patch', 'pod', 'swap-1', '-n', NS, '--type', 'json', '-p', JSON.stringify(patch), '-o', 'json'],
      { as: USER },
    );
    const image = swapped.code === 0 ? JSON.parse(swapped.stdout).spec.initContainers[i].image : undefined;
    expect(
      image,
      "the sidecar (with the credentials Secret and the agentgate-proxy token mounted) now runs the pod author's image",
    ).to.not.equal('evil/credential-dumper:latest');
  });

  it("R4 (medium, class 4): an opted-in pod may not mount the node's kubelet directory (the sidecar's Secret tmpfs) through hostPath", async () => {
    const r = await create(
      pod(
        'hostpath-1',
        { annotations: { 'agentgate.dev/inject': 'true' } },
        {
          containers: [
            { name: 'agent', image: 'busybox', volumeMounts: [{ name: 'k', mountPath: '/k', readOnly: true }] },
          ],
          volumes: [{ name: 'k', hostPath: { path: '/var/lib/kubelet/pods' } }],
        },
      ),
    );
    expect(
      r.code,
      'admitted: the agent container reads /k/<pod uid>/volumes/kubernetes.io~secret/agentgate-cred-billing-db/password',
    ).to.not.equal(0);
  });

  it('R1: nor through a projected Secret, envFrom, an init container or a later debug container; an unrelated Secret is fine', async () => {
    const attempts = [
      pod(
        'creds-projected',
        {},
        {
          containers: [{ name: 'agent', image: 'busybox' }],
          volumes: [{ name: 'p', projected: { sources: [{ secret: { name: 'billing-db-credentials' } }] } }],
        },
      ),
      pod(
        'creds-envfrom',
        { annotations: { 'agentgate.dev/inject': 'false' } },
        {
          initContainers: [
            { name: 'setup', image: 'busybox', envFrom: [{ secretRef: { name: 'billing-db-credentials' } }] },
          ],
          containers: [{ name: 'agent', image: 'busybox' }],
        },
      ),
      pod(
        'proxy-audience',
        {},
        {
          containers: [{ name: 'agent', image: 'busybox' }],
          volumes: [
            {
              name: 't',
              projected: {
                sources: [
                  { serviceAccountToken: { audience: 'agentgate-proxy', expirationSeconds: 3600, path: 'token' } },
                ],
              },
            },
          ],
        },
      ),
    ];
    for (const doc of attempts) {
      const r = await create(doc);
      expect(r.code, doc.metadata.name).to.not.equal(0);
      expect(r.stderr, doc.metadata.name).to.contain('agentgate:');
    }
    const plain = await create(
      pod(
        'plain-1',
        {},
        { containers: [{ name: 'agent', image: 'busybox', envFrom: [{ secretRef: { name: 'app-settings' } }] }] },
      ),
    );
    expect(plain.code, plain.stderr).to.equal(0);
    // kubectl debug into the plain pod with the target's password in the debug container's environment.
    const debug = {
      spec: {
        ephemeralContainers: [
          {
            name: 'dbg',
            image: 'busybox',
            env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'billing-db-credentials', key: 'password' } } }],
          },
        ],
      },
    };
    const r = await c.kubectl([
      'patch',
      'pod',
      'plain-1',
      '-n',
      NS,
      '--subresource',
      'ephemeralcontainers',
      '--type',
      'strategic',
      '-p',
      JSON.stringify(debug),
    ]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain(
      'ephemeralContainer dbg: env PW reads the target credentials Secret billing-db-credentials',
    );
  });

  it('R2: a pod the webhook did not inject gets no stamp later, and its agentgate-proxy token opens nothing at the operator', async () => {
    const plain = await create(pod('plain-2', {}, { containers: [{ name: 'agent', image: 'busybox' }] }));
    expect(plain.code, plain.stderr).to.equal(0);
    const stamp = JSON.stringify({ version: 1, policy: `${NS}/billing-agent`, sidecar: 'agentgate-proxy' });
    const patched = await c.kubectl(['annotate', 'pod', 'plain-2', '-n', NS, `agentgate.dev/status=${stamp}`], {
      as: USER,
    });
    expect(patched.code).to.not.equal(0);
    expect(patched.stderr).to.contain("the agentgate.dev/status annotation is the injector's");
    // Even holding a token of the sidecar's audience bound to it, the pod is not a proxy.
    const token = await kubeletToken('plain-2');
    const text = 'DELETE FROM invoices WHERE id = 42';
    const ask = await post('/approvals', token, {
      rule: 'writes-need-approval',
      target: 'billing-db',
      command: { text, sha256: createHash('sha256').update(text).digest('hex') },
      requester: { subject: 'agent-1', runId: 'none' },
    });
    const checkpoint = await post('/audit/checkpoints', token, {
      seq: 1_000_000,
      hash: 'a'.repeat(64),
      time: new Date().toISOString(),
    });
    expect({ approvals: ask.status, checkpoints: checkpoint.status }).to.deep.equal({
      approvals: 403,
      checkpoints: 403,
    });
    expect(ask.text).to.contain('not an agentgate-injected pod');
  });

  it("R3: nor drop or rewrite the injector's stamp of an injected pod; its own containers' images may still change", async () => {
    const r = await create(
      pod(
        'swap-2',
        { annotations: { 'agentgate.dev/inject': 'true' } },
        { containers: [{ name: 'agent', image: 'example.com/agents/billing:1.4' }] },
      ),
    );
    expect(r.code, r.stderr).to.equal(0);
    const dropped = await c.kubectl(['annotate', 'pod', 'swap-2', '-n', NS, 'agentgate.dev/status-'], { as: USER });
    expect(dropped.code).to.not.equal(0);
    const rewritten = await c.kubectl(
      [
        'annotate',
        'pod',
        'swap-2',
        '-n',
        NS,
        '--overwrite',
        `agentgate.dev/status=${JSON.stringify({ version: 1, policy: `${NS}/other` })}`,
      ],
      { as: USER },
    );
    expect(rewritten.code).to.not.equal(0);
    const agentImage = await c.kubectl(
      [
        'patch',
        'pod',
        'swap-2',
        '-n',
        NS,
        '--type',
        'json',
        '-p',
        JSON.stringify([{ op: 'replace', path: '/spec/containers/0/image', value: 'example.com/agents/billing:1.5' }]),
      ],
      { as: USER },
    );
    expect(agentImage.code, agentImage.stderr).to.equal(0);
    const labelled = await c.kubectl(['label', 'pod', 'swap-2', '-n', NS, 'team=billing'], { as: USER });
    expect(labelled.code, labelled.stderr).to.equal(0);
  });

  it('R4: nor run a privileged or host-reaching container; a pod that does not opt in may not mount hostPath either', async () => {
    const attempts = [
      pod(
        'priv-1',
        { annotations: { 'agentgate.dev/inject': 'true' } },
        { containers: [{ name: 'agent', image: 'busybox', securityContext: { privileged: true } }] },
      ),
      pod(
        'caps-1',
        { annotations: { 'agentgate.dev/inject': 'true' } },
        {
          containers: [
            { name: 'agent', image: 'busybox', securityContext: { capabilities: { add: ['DAC_READ_SEARCH'] } } },
          ],
        },
      ),
      pod(
        'hostpath-2',
        {},
        {
          containers: [{ name: 'agent', image: 'busybox', volumeMounts: [{ name: 'k', mountPath: '/k' }] }],
          volumes: [{ name: 'k', hostPath: { path: '/var/lib/kubelet' } }],
        },
      ),
    ];
    for (const doc of attempts) expect((await create(doc)).code, doc.metadata.name).to.not.equal(0);
  });
});
