/**
 * The operator, the CRDs and the proxy's cluster mode against a real kube-apiserver + etcd, driven by
 * a real kubectl.
 */
import { expect } from 'chai';
import { CoreV1Api } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import pg from 'pg';
import { Operator } from '../../operator/operator.js';
import { policyConfigMapName } from '../../shared/contract/api.js';
import { ConfigMapPolicySource } from '../../proxy/cluster/policy-source.js';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { GuardProxy } from '../../proxy/server.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { PolicyValidationError, validatePolicy } from '../../shared/contract/validate-policy.js';
import { invalidPolicies, validPolicies } from '../fixtures/policies/cases.js';
import { restartApiServer } from '../cluster/cluster.js';
import { eventually, ns, testCluster, type TestCluster } from './cluster.js';
import { kubeFeeds } from '../../proxy/cluster/kube-feeds.js';

const NS = ns('e2e-policies');

async function startOperator(c: TestCluster, port = 0): Promise<Operator> {
  const op = new Operator({
    kc: c.kc,
    leaseNamespace: NS,
    healthAddress: { host: '127.0.0.1', port },
    identity: `test-${Date.now()}`,
    relistMs: 10_000,
  });
  await op.start();
  return op;
}

async function getJson(c: TestCluster, ...args: string[]): Promise<any> {
  const r = await c.kubectl(['get', '-o', 'json', ...args]);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

const readyOf = (obj: any): any => obj.status?.conditions?.find((x: any) => x.type === 'Ready');

describe('operator on a real API server (kubectl)', function () {
  this.timeout(180_000);
  let c: TestCluster;
  let op: Operator;

  before(async function () {
    this.timeout(1_200_000); // the first run builds the control plane from Go modules (~5 min)
    c = await testCluster();
    await c.kubectl(['create', 'namespace', NS]);
    op = await startOperator(c);
  });
  after(async () => {
    await op?.stop();
    await c?.kubectl(['delete', 'namespace', NS, '--wait=false']);
  });

  it('serves the CRDs with real descriptions (kubectl explain) and short names', async () => {
    // The API server publishes a new CRD's OpenAPI a moment after it is Established.
    const explain = await eventually('kubectl explain', async () => {
      const r = await c.kubectl(['explain', 'aap.spec.rules']);
      return r.stdout.includes('DESCRIPTION') && r;
    });
    expect(explain.stdout).to.contain('the first that matches').and.contain('decides');
    const explainWhen = await c.kubectl(['explain', 'agentaccesspolicy.spec.rules.when.sql.unboundedWrite']);
    expect(explainWhen.stdout).to.contain('constant-true');
    expect((await c.kubectl(['get', 'apr', '-A'])).code).to.equal(0);
  });

  it('the API server and the policy validator agree on valid policies; the operator makes them Ready', async () => {
    for (const [i, v] of validPolicies.entries()) {
      const doc = structuredClone(v.doc);
      doc.metadata = { name: `valid-${i}`, namespace: NS };
      validatePolicy(structuredClone(doc));
      const r = await c.kubectl(['apply', '-f', '-'], { input: stringify(doc) });
      expect(r.code, r.stderr).to.equal(0);
    }
    const obj = await eventually('valid-0 Ready', async () => {
      const o = await getJson(c, 'aap', 'valid-0', '-n', NS);
      return readyOf(o)?.status === 'True' && o;
    });
    expect(readyOf(obj).observedGeneration).to.equal(obj.metadata.generation);
    expect(obj.status).to.include({ targetCount: 1, ruleCount: 3 });
    const table = await c.kubectl(['get', 'aap', 'valid-0', '-n', NS]);
    expect(table.stdout).to.match(/MODE\s+TARGETS\s+RULES\s+READY\s+AGE/);
    expect(table.stdout).to.match(/valid-0\s+Enforce\s+1\s+3\s+True/);
    const cm = await getJson(c, 'configmap', policyConfigMapName('valid-0'), '-n', NS);
    expect(cm.metadata.ownerReferences[0]).to.include({ kind: 'AgentAccessPolicy', name: 'valid-0', controller: true });
    expect(JSON.parse(cm.data['policy.json']).spec.rules[0].name).to.equal('no-ddl');
    const events = await c.kubectl(['get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=valid-0']);
    expect(events.stdout).to.contain('Compiled');
  });

  it('invalid policies: refused by the API server naming the field, or Ready=False with an Event — and the proxy validator refuses each', async () => {
    for (const [i, bad] of invalidPolicies.entries()) {
      if (bad.path === 'kind') continue; // kubectl cannot even map a wrong kind to a resource
      const doc = structuredClone(bad.doc) as AgentAccessPolicy;
      doc.metadata = { name: `invalid-${i}`, namespace: NS };
      expect(() => validatePolicy(structuredClone(doc)), bad.name).to.throw(PolicyValidationError);
      const r = await c.kubectl(['apply', '-f', '-'], { input: stringify(doc) });
      if (bad.structural) {
        expect(r.code, `${bad.name} was accepted by the API server`).to.not.equal(0);
        expect(r.stderr, bad.name).to.contain(bad.path.replace(/\[\d+\]$/, ''));
        continue;
      }
      if (r.code !== 0) {
        // CEL rules in the CRD caught it: the message names the field.
        const parent = bad.path.slice(0, bad.path.lastIndexOf('.'));
        expect(r.stderr.includes(bad.path) || r.stderr.includes(`${parent}:`), `${bad.name}: ${r.stderr}`).to.equal(
          true,
        );
        continue;
      }
      const obj = await eventually(`${bad.name} Ready=False`, async () => {
        const o = await getJson(c, 'aap', `invalid-${i}`, '-n', NS);
        return readyOf(o)?.status === 'False' && o;
      });
      expect(readyOf(obj).message, bad.name).to.contain(bad.path).and.contain(bad.reason);
      const ev = await c.kubectl([
        'get',
        'events',
        '-n',
        NS,
        '--field-selector',
        `involvedObject.name=invalid-${i},reason=InvalidPolicy`,
      ]);
      expect(ev.stdout, bad.name).to.contain(bad.reason);
    }
  });

  it('a referenced Secret that does not exist makes the policy Ready=False with an Event', async () => {
    const doc = structuredClone(validPolicies[0]!.doc);
    doc.metadata = { name: 'needs-secret', namespace: NS };
    doc.spec.targets[0]!.credentials = { secretRef: { name: 'billing-db-credentials', key: 'password' } };
    expect((await c.kubectl(['apply', '-f', '-'], { input: stringify(doc) })).code).to.equal(0);
    const obj = await eventually('Ready=False', async () => {
      const o = await getJson(c, 'aap', 'needs-secret', '-n', NS);
      return readyOf(o)?.status === 'False' && o;
    });
    expect(readyOf(obj).message).to.contain('Secret billing-db-credentials not found');
  });

  it('serves /healthz, /readyz and Prometheus /metrics', async () => {
    const base = `http://127.0.0.1:${op.address!.port}`;
    expect((await fetch(`${base}/healthz`)).status).to.equal(200);
    expect((await fetch(`${base}/readyz`)).status).to.equal(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).to.match(/agentgate_reconcile_total\{result="ready"\} \d+/);
    expect(metrics).to.contain('agentgate_leader 1');
  });

  it('only one replica leads (Lease); the standby takes over when the leader stops', async () => {
    const standby = await startOperator(c);
    try {
      await new Promise((r) => setTimeout(r, 1500));
      expect(await (await fetch(`http://127.0.0.1:${standby.address!.port}/metrics`)).text()).to.contain(
        'agentgate_leader 0',
      );
      await op.stop();
      await eventually(
        'standby leads',
        async () =>
          (await (await fetch(`http://127.0.0.1:${standby.address!.port}/metrics`)).text()).includes(
            'agentgate_leader 1',
          ),
        30_000,
        200,
      );
    } finally {
      await standby.stop();
      op = await startOperator(c);
    }
  });

  describe('a proxy following the policy in the cluster', () => {
    let stack: LocalStack;
    let proxy: GuardProxy;
    let source: ConfigMapPolicySource;

    before(async () => {
      stack = await startLocalStack();
      const doc = structuredClone(stack.policy);
      doc.metadata = { name: 'live', namespace: NS };
      expect((await c.kubectl(['apply', '-f', '-'], { input: stringify(doc) })).code).to.equal(0);
      await eventually('live Ready', async () => readyOf(await getJson(c, 'aap', 'live', '-n', NS))?.status === 'True');
      source = new ConfigMapPolicySource({
        feeds: kubeFeeds(c.kc),
        namespace: NS,
        policy: 'live',
        onPolicy: (p) => proxy.updatePolicy(p),
      });
      const policy = await source.start();
      proxy = await GuardProxy.start({
        policy,
        env: { BILLING_DB_PASSWORD: 'agent-local-password' },
        listenOverride: { 'billing-db': '127.0.0.1:0' },
      });
    });
    after(async () => {
      await source?.stop();
      await proxy?.stop();
      await stack?.stop();
    });

    it('enforces a kubectl-applied rule change within 2 seconds, without restart (measured)', async () => {
      const { host, port } = proxy.addresses()[0]!;
      const client = new pg.Client({ host, port, user: 'agent', database: 'billing', password: await stack.token() });
      await client.connect();
      expect((await client.query('SELECT count(*) FROM orders')).rows[0].count).to.equal('4');
      const doc = structuredClone(stack.policy);
      doc.metadata = { name: 'live', namespace: NS };
      doc.spec.rules!.unshift({
        name: 'no-orders',
        when: { sql: { tables: ['orders'] } },
        action: 'Deny',
        message: 'orders are off limits now',
      });
      const t0 = performance.now();
      expect((await c.kubectl(['apply', '-f', '-'], { input: stringify(doc) })).code).to.equal(0);
      const denied = await eventually(
        'the new rule to be enforced',
        async () => {
          try {
            await client.query('SELECT count(*) FROM orders');
            return false;
          } catch (e) {
            return (e as Error).message.includes('no-orders') && (e as Error).message;
          }
        },
        10_000,
        20,
      );
      const ms = performance.now() - t0;
      console.log(`      policy propagation: kubectl apply → enforced by the running proxy in ${ms.toFixed(0)} ms`);
      expect(denied).to.contain('orders are off limits now');
      expect(ms).to.be.lessThan(2000);
      await client.end();
    });
  });

  describe('recovery', () => {
    it('a restarted operator reconciles what changed while it was down (level-triggered)', async () => {
      await op.stop();
      const core = c.kc.makeApiClient(CoreV1Api);
      await core.deleteNamespacedConfigMap({ name: policyConfigMapName('valid-0'), namespace: NS });
      op = await startOperator(c);
      await eventually(
        'ConfigMap recreated',
        async () => (await c.kubectl(['get', 'configmap', policyConfigMapName('valid-0'), '-n', NS])).code === 0,
        30_000,
        200,
      );
    });

    it('survives an API-server restart: the watch comes back and new changes are reconciled', async function () {
      if (!c.local) this.skip(); // an existing cluster's API server is not ours to restart
      await restartApiServer();
      const doc = structuredClone(validPolicies[0]!.doc);
      doc.metadata = { name: 'valid-0', namespace: NS };
      doc.spec.rules!.push({ name: 'after-restart', action: 'Allow' });
      const applied = await eventually(
        'apply after restart',
        async () => (await c.kubectl(['apply', '-f', '-'], { input: stringify(doc) })).code === 0,
        30_000,
        500,
      );
      expect(applied).to.equal(true);
      const obj = await eventually(
        'reconciled after restart',
        async () => {
          const o = await getJson(c, 'aap', 'valid-0', '-n', NS);
          return readyOf(o)?.observedGeneration === o.metadata.generation && o.status.ruleCount === 4 && o;
        },
        90_000,
        500,
      );
      expect(readyOf(obj).status).to.equal('True');
    });
  });
});
