/**
 * Issue #17, class 4: an opted-in pod cannot reach around its sidecar. A plain user (dev-user, with
 * only a Role to create pods and debug them) tries, through the real admission chain on a real API
 * server: the credentials Secret as env or volume, the sidecar's token audience, the sidecar's
 * volumes by name, a preset status annotation, a container named like the sidecar, the sidecar's uid,
 * a shared process namespace with ptrace, and ephemeral (debug) containers aimed at the sidecar.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { Operator } from '../../operator/operator.js';
import { PROXY_UID } from '../../shared/contract/sidecar.js';
import { eventually, ns, testCluster, type TestCluster, createSecret } from './cluster.js';

const NS = ns('e2e-atk-pods');
const CONFIG = ns('agentgate-atk-pods');
const USER = 'dev-user';
const policy = parse(readFileSync(new URL('../fixtures/inject/policy.yaml', import.meta.url), 'utf8'));

type Spec = Record<string, unknown> & { containers?: Record<string, unknown>[] };
const agentPod = (
  name: string,
  o: { annotations?: Record<string, string>; spec?: Spec; agent?: Record<string, unknown> } = {},
): string =>
  stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, annotations: o.annotations ?? { 'agentgate.dev/inject': 'true' } },
    spec: {
      serviceAccountName: 'billing-agent',
      containers: [{ name: 'agent', image: 'example.com/agents/billing:1.4', ...o.agent }],
      ...o.spec,
    },
  });

describe('attack: an opted-in pod reaching around its sidecar (plain user, real admission)', function () {
  this.timeout(180_000);
  let c: TestCluster;
  let op: Operator;
  const create = (yaml: string): Promise<{ code: number; stdout: string; stderr: string }> =>
    c.kubectl(['create', '-f', '-', '-o', 'json'], { as: USER, input: yaml });
  const refused = async (yaml: string): Promise<string> => {
    const r = await create(yaml);
    expect(r.code, `expected a refusal, got ${r.stdout.slice(0, 200)}`).to.not.equal(0);
    expect(r.stderr).to.contain('denied the request');
    return r.stderr;
  };

  before(async function () {
    this.timeout(1_200_000);
    c = await testCluster();
    await c.kubectl(['create', 'namespace', NS]);
    await c.kubectl(['create', 'serviceaccount', 'billing-agent', '-n', NS]);
    await c.kubectl(['label', 'namespace', NS, 'agentgate.dev/injection=enabled']);
    await createSecret(c, NS, 'billing-db-credentials', { password: 's3cret' });
    await createSecret(c, NS, 'reports-credentials', { password: 'r3ports' });
    // The plain user: may create, read and delete pods and add ephemeral containers; nothing else.
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'pod-author', namespace: NS },
      rules: [
        { apiGroups: [''], resources: ['pods'], verbs: ['create', 'get', 'list', 'delete'] },
        { apiGroups: [''], resources: ['pods/ephemeralcontainers'], verbs: ['get', 'update', 'patch'] },
      ],
    };
    expect((await c.kubectl(['apply', '-f', '-'], { input: stringify(role) })).code).to.equal(0);
    await c.kubectl(['create', 'rolebinding', 'pod-author', '-n', NS, '--role', 'pod-author', '--user', USER]);
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
      watchNamespace: NS,
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
    await eventually(
      'policy Ready',
      async () =>
        (await c.kubectl(['get', 'aap', 'billing-agent', '-n', NS, '-o', 'jsonpath={.status.conditions[0].status}']))
          .stdout === 'True',
    );
    // The chart's pod rules: CREATE of pods, UPDATE of pods/ephemeralcontainers.
    const chart = readFileSync(new URL('../../charts/agentgate/templates/operator.yaml', import.meta.url), 'utf8');
    expect(chart).to.contain('resources: [pods/ephemeralcontainers]');
    const mwc = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: CONFIG },
      webhooks: [
        {
          name: 'pods.agentgate.dev',
          clientConfig: { url: `https://127.0.0.1:${op.webhookAddress!.port}/mutate-pods` },
          rules: [
            { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] },
            { operations: ['UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/ephemeralcontainers'] },
          ],
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
    // The webhook answers (its caBundle is in place) before the attacks start.
    await eventually('webhook serving', async () => (await create(agentPod('warmup'))).code === 0, 30_000, 500);
  });

  after(async () => {
    await op?.stop();
    await c?.kubectl(['delete', 'mutatingwebhookconfiguration', CONFIG]);
  });

  it('the credentials Secret as env, envFrom, a secret volume or a projected volume is refused', async () => {
    expect(
      await refused(
        agentPod('env-1', {
          agent: {
            env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'billing-db-credentials', key: 'password' } } }],
          },
        }),
      ),
    ).to.contain('container agent: env PW reads the target credentials Secret billing-db-credentials');
    expect(
      await refused(
        agentPod('env-2', {
          spec: {
            initContainers: [
              { name: 'setup', image: 'busybox', envFrom: [{ secretRef: { name: 'reports-credentials' } }] },
            ],
          },
        }),
      ),
    ).to.contain('initContainer setup: envFrom reads the target credentials Secret reports-credentials');
    expect(
      await refused(
        agentPod('vol-1', {
          spec: { volumes: [{ name: 'c', secret: { secretName: 'billing-db-credentials' } }] },
          agent: { volumeMounts: [{ name: 'c', mountPath: '/c' }] },
        }),
      ),
    ).to.contain('volume c: mounts the target credentials Secret billing-db-credentials');
    expect(
      await refused(
        agentPod('vol-2', {
          spec: { volumes: [{ name: 'p', projected: { sources: [{ secret: { name: 'reports-credentials' } }] } }] },
        }),
      ),
    ).to.contain('volume p: projects the target credentials Secret reports-credentials');
  });

  it("a projected token for the sidecar's audience, and the sidecar's volumes mounted by name, are refused", async () => {
    expect(
      await refused(
        agentPod('tok-1', {
          spec: {
            volumes: [
              {
                name: 't',
                projected: { sources: [{ serviceAccountToken: { audience: 'agentgate-proxy', path: 'token' } }] },
              },
            ],
          },
        }),
      ),
    ).to.contain("projects a token for audience agentgate-proxy, the sidecar's own");
    const stderr = await refused(
      agentPod('mnt-1', {
        agent: {
          volumeMounts: [
            { name: 'agentgate-audit', mountPath: '/audit' },
            { name: 'agentgate-cred-billing-db', mountPath: '/creds' },
          ],
        },
      }),
    );
    expect(stderr)
      .to.contain('container agent: mounts agentgate-audit, a volume of the agentgate sidecar')
      .and.contain('mounts agentgate-cred-billing-db');
  });

  it('a preset status annotation does not skip injection (stripped, with a warning); a container named like the sidecar is refused', async () => {
    const forged = JSON.stringify({ version: 1, policy: `${NS}/billing-agent`, sidecar: 'agentgate-proxy' });
    const r = await create(
      agentPod('status-1', { annotations: { 'agentgate.dev/inject': 'true', 'agentgate.dev/status': forged } }),
    );
    expect(r.code, r.stderr).to.equal(0);
    const created = JSON.parse(r.stdout);
    expect(created.spec.initContainers.map((x: { name: string }) => x.name)).to.include('agentgate-proxy');
    expect(created.metadata.annotations['agentgate.dev/status']).to.not.equal(forged);
    expect(r.stderr).to.contain('removed the agentgate.dev/status annotation');
    const plain = await create(agentPod('status-2', { annotations: { 'agentgate.dev/status': forged } }));
    expect(plain.code, plain.stderr).to.equal(0);
    expect(JSON.parse(plain.stdout).metadata.annotations?.['agentgate.dev/status']).to.equal(undefined);
    expect(
      await refused(
        agentPod('fake-sidecar', {
          spec: { initContainers: [{ name: 'agentgate-proxy', image: 'evil/passthrough', restartPolicy: 'Always' }] },
        }),
      ),
    ).to.contain("initContainer agentgate-proxy: the name agentgate-proxy is the sidecar's");
  });

  it('the sidecar runs as its own uid; an agent taking it, or ptrace in a shared process namespace, is refused', async () => {
    const shared = await create(agentPod('pidns-1', { spec: { shareProcessNamespace: true } }));
    expect(shared.code, shared.stderr).to.equal(0);
    const sidecar = JSON.parse(shared.stdout).spec.initContainers.find(
      (x: { name: string }) => x.name === 'agentgate-proxy',
    );
    expect(sidecar.securityContext).to.include({ runAsUser: PROXY_UID, runAsGroup: PROXY_UID, runAsNonRoot: true });
    expect(await refused(agentPod('uid-1', { spec: { securityContext: { runAsUser: PROXY_UID } } }))).to.contain(
      `container agent: runs as uid ${PROXY_UID}, reserved for the agentgate sidecar`,
    );
    expect(
      await refused(
        agentPod('pidns-2', {
          spec: { shareProcessNamespace: true },
          agent: { securityContext: { capabilities: { add: ['SYS_PTRACE'] } } },
        }),
      ),
    ).to.contain('container agent: adds SYS_PTRACE, in a pod that shares its process namespace with the sidecar');
  });

  it('ephemeral (debug) containers may not target the sidecar or mount its volumes; one aimed at the agent is fine', async () => {
    const created = await create(agentPod('debug-1'));
    expect(created.code, created.stderr).to.equal(0);
    const addEphemeral = async (container: Record<string, unknown>): Promise<{ code: number; stderr: string }> => {
      const current = JSON.parse(
        (await c.kubectl(['get', 'pod', 'debug-1', '-n', NS, '-o', 'json'], { as: USER })).stdout,
      );
      current.spec.ephemeralContainers = [...(current.spec.ephemeralContainers ?? []), container];
      return c.kubectl(['replace', '--raw', `/api/v1/namespaces/${NS}/pods/debug-1/ephemeralcontainers`, '-f', '-'], {
        as: USER,
        input: JSON.stringify(current),
      });
    };
    const target = await addEphemeral({ name: 'dbg-1', image: 'busybox', targetContainerName: 'agentgate-proxy' });
    expect(target.code).to.not.equal(0);
    expect(target.stderr).to.contain('ephemeralContainer dbg-1 targets the sidecar agentgate-proxy');
    const mount = await addEphemeral({
      name: 'dbg-2',
      image: 'busybox',
      volumeMounts: [{ name: 'agentgate-cred-billing-db', mountPath: '/c' }],
    });
    expect(mount.code).to.not.equal(0);
    expect(mount.stderr).to.contain("ephemeralContainer dbg-2 mounts the sidecar's volume agentgate-cred-billing-db");
    const fine = await addEphemeral({ name: 'dbg-3', image: 'busybox', targetContainerName: 'agent' });
    expect(fine.code, fine.stderr).to.equal(0);
  });
});
