/**
 * The chart against the real API server (helm install with the built helm), and the operator running
 * with nothing but the chart's least-privilege RBAC (a real service-account token from the API server).
 */
import { expect } from 'chai';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { Operator } from '../../operator/operator.js';
import { validPolicies } from '../fixtures/policies/cases.js';
import { eventually, ns, testCluster, type TestCluster } from './cluster.js';

const SYSTEM = 'agentgate-system';
const NS = ns('e2e-rbac');
const SA = `system:serviceaccount:${SYSTEM}:agentgate-operator`;

describe('Helm chart and least-privilege RBAC on a real API server', function () {
  this.timeout(180_000);
  let c: TestCluster;

  before(async function () {
    this.timeout(1_200_000);
    c = await testCluster();
  });
  after(async () => {
    await c?.helm(['uninstall', 'agentgate', '-n', SYSTEM]);
    await c?.kubectl(['delete', 'namespace', NS, '--wait=false']);
  });

  it('helm install creates CRDs, RBAC, the operator Deployment, Service and webhook configuration', async () => {
    const chart = new URL('../../charts/agentgate', import.meta.url).pathname;
    // This control plane runs no pods, so the chart's operator never serves its webhooks: policy changes
    // must not wait for it here (the default, Fail, refuses unrecorded changes).
    const r = await c.helm([
      'upgrade',
      '--install',
      'agentgate',
      chart,
      '-n',
      SYSTEM,
      '--create-namespace',
      '--wait=false',
      '--set',
      'webhook.policyChangesFailurePolicy=Ignore',
    ]);
    expect(r.code, r.stderr).to.equal(0);
    for (const what of [
      ['deployment', 'agentgate-operator', '-n', SYSTEM],
      ['service', 'agentgate-webhook', '-n', SYSTEM],
      ['service', 'agentgate-admission', '-n', SYSTEM],
      ['mutatingwebhookconfiguration', 'agentgate'],
      ['clusterrole', 'agentgate-operator'],
      ['crd', 'agentaccesspolicies.agentgate.dev'],
    ]) {
      expect((await c.kubectl(['get', ...what])).code, what.join(' ')).to.equal(0);
    }
  });

  it('the operator service account can do its job and nothing more', async () => {
    const expectations: [string[], boolean][] = [
      [['patch', 'agentaccesspolicies.agentgate.dev', '--subresource=status', '-n', 'anywhere'], true],
      [['watch', 'agentaccesspolicies.agentgate.dev', '-n', 'anywhere'], true],
      [['get', 'secrets', '-n', 'anywhere'], false],
      [['get', 'secrets/agentgate-webhook-tls', '-n', SYSTEM], true],
      [['patch', 'approvalrequests.agentgate.dev', '--subresource=status', '-n', 'anywhere'], true],
      [['create', 'configmaps', '-n', 'anywhere'], true],
      [['list', 'secrets', '-n', 'anywhere'], false],
      [['update', 'agentaccesspolicies.agentgate.dev', '-n', 'anywhere'], false],
      [['delete', 'pods', '-n', 'anywhere'], false],
      [['update', 'leases', '-n', 'kube-system'], false],
      [['update', 'leases/agentgate-operator', '-n', SYSTEM], true],
      // SAML replay records: one lease per exchanged assertion, expired ones deleted by the leader.
      [['create', 'leases', '-n', SYSTEM], true],
      [['delete', 'leases', '-n', SYSTEM], true],
      [['delete', 'leases', '-n', 'kube-system'], false],
      [['update', 'mutatingwebhookconfigurations/other'], false],
      [['update', 'mutatingwebhookconfigurations/agentgate'], true],
      [['update', 'secrets/agentgate-audit-signing-keys', '-n', SYSTEM], true],
      [['update', 'secrets/other', '-n', SYSTEM], false],
      // Evidence countersignatures: who the caller is and whether they hold the auditor's verb.
      [['create', 'tokenreviews.authentication.k8s.io'], true],
      [['create', 'subjectaccessreviews.authorization.k8s.io'], true],
    ];
    for (const [args, want] of expectations) {
      const r = await c.kubectl(['auth', 'can-i', ...args, '--as', SA]);
      expect(r.stdout.trim() === 'yes', `can-i ${args.join(' ')}: ${r.stdout}${r.stderr}`).to.equal(want);
    }
  });

  it("the chart's agentgate-auditor role grants countersigning and reading review inputs, nothing it does not name", async () => {
    await c.kubectl([
      'create',
      'clusterrolebinding',
      `auditor-${NS}`,
      '--clusterrole',
      'agentgate-auditor',
      '--user',
      'auditor-test',
    ]);
    try {
      // SubjectAccessReviews, as the operator asks them (kubectl auth can-i only knows discovered resources).
      for (const [verb, resource, group, namespace, want] of [
        ['countersign', 'evidencebundles', 'agentgate.dev', 'anywhere', true],
        ['countersign', 'evidencebundles', 'agentgate.dev', '', true],
        ['list', 'deviationreviews', 'agentgate.dev', 'anywhere', true],
        ['patch', 'deviationreviews', 'agentgate.dev', 'anywhere', false],
        ['get', 'secrets', '', 'anywhere', false],
      ] as [string, string, string, string, boolean][]) {
        const sar = {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user: 'auditor-test',
            resourceAttributes: { verb, resource, group, ...(namespace ? { namespace } : {}) },
          },
        };
        const r = await c.kubectl(['create', '-f', '-', '-o', 'json'], { input: JSON.stringify(sar) });
        expect(
          JSON.parse(r.stdout).status.allowed === true,
          `${verb} ${resource}.${group} in ${namespace || 'the cluster'}: ${r.stderr}`,
        ).to.equal(want);
      }
    } finally {
      await c.kubectl(['delete', 'clusterrolebinding', `auditor-${NS}`]);
    }
  });

  it('an operator running with only that RBAC serves its webhook, keeps its audit keys and reconciles a policy to Ready', async () => {
    const token = (
      await c.kubectl(['create', 'token', 'agentgate-operator', '-n', SYSTEM, '--duration', '10m'])
    ).stdout.trim();
    const admin = c.kc.getCurrentCluster()!;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [
        {
          name: 'c',
          server: admin.server,
          caData: admin.caData,
          ...(admin.caFile ? { caFile: admin.caFile } : {}),
          skipTLSVerify: false,
        },
      ],
      users: [{ name: 'operator', token }],
      contexts: [{ name: 'operator', cluster: 'c', user: 'operator' }],
      currentContext: 'operator',
    });
    await c.kubectl(['create', 'namespace', NS]);
    const doc = structuredClone(validPolicies[0]!.doc);
    doc.metadata = { name: 'rbac-check', namespace: NS };
    expect((await c.kubectl(['apply', '-f', '-'], { input: stringify(doc) })).code).to.equal(0);
    // With its webhook server: PKI Secret, caBundle, and the audit witness's signing keys.
    const op = new Operator({
      kc,
      leaseNamespace: SYSTEM,
      healthAddress: { host: '127.0.0.1', port: 0 },
      webhook: {
        host: '127.0.0.1',
        port: 0,
        namespace: SYSTEM,
        dnsNames: ['localhost'],
        configurationName: 'agentgate',
        injector: { image: 'x' },
      },
    });
    await op.start();
    expect(op.auditKeys!.jwks().keys).to.have.length(1);
    try {
      await eventually(
        'Ready with least privilege',
        async () => {
          const r = await c.kubectl([
            'get',
            'aap',
            'rbac-check',
            '-n',
            NS,
            '-o',
            'jsonpath={.status.conditions[0].status}',
          ]);
          return r.stdout === 'True';
        },
        60_000,
        250,
      );
      expect((await c.kubectl(['get', 'configmap', 'agentgate-policy-rbac-check', '-n', NS])).code).to.equal(0);
    } finally {
      await op.stop();
    }
  });
});
