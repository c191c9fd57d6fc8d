/**
 * Real service-account tokens from the test control plane (`kubectl create token`), verified by the
 * proxy against the cluster's own issuer keys and bound to the pod and service account.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { stringify } from 'yaml';
import { CoreV1Api } from '@kubernetes/client-node';
import { EventRecorder } from '../../shared/kube/events.js';
import { serviceAccountJwks } from '../../shared/kube/client.js';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { GuardProxy } from '../../proxy/server.js';
import { eventually, ns, testCluster, type TestCluster } from './cluster.js';

const NS = ns('e2e-identity');

describe('Kubernetes service-account identity on a real API server', function () {
  this.timeout(120_000);
  let c: TestCluster;
  let stack: LocalStack;
  let proxy: GuardProxy;
  let issuer: string;
  let recorder: EventRecorder;
  let podUid: string;

  const pod = (name: string, sa: string): string =>
    stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: NS },
      spec: { serviceAccountName: sa, containers: [{ name: 'agent', image: 'example.com/agent:1' }] },
    });

  const token = async (sa: string, extra: string[] = []): Promise<string> => {
    const r = await c.kubectl(['create', 'token', sa, '-n', NS, '--duration', '10m', ...extra]);
    if (r.code !== 0) throw new Error(r.stderr);
    return r.stdout.trim();
  };

  const connect = (password: string): Promise<pg.Client> => {
    const { host, port } = proxy.addresses()[0]!;
    const client = new pg.Client({ host, port, user: 'agent', database: 'billing', password });
    return client.connect().then(() => client);
  };

  const refused = async (password: string): Promise<string> => {
    try {
      const cl = await connect(password);
      await cl.end();
    } catch (e) {
      expect((e as { code?: string }).code).to.equal('28P01');
      return (e as Error).message;
    }
    throw new Error('token was accepted');
  };

  before(async function () {
    this.timeout(1_200_000);
    c = await testCluster();
    await c.kubectl(['create', 'namespace', NS]);
    for (const sa of ['billing-agent', 'intruder']) await c.kubectl(['create', 'serviceaccount', sa, '-n', NS]);
    for (const [name, sa] of [
      ['agent-pod', 'billing-agent'],
      ['other-pod', 'billing-agent'],
      ['intruder-pod', 'intruder'],
    ]) {
      const r = await c.kubectl(['create', '-f', '-'], { input: pod(name!, sa!) });
      expect(r.code, r.stderr).to.equal(0);
    }
    issuer = JSON.parse((await c.kubectl(['get', '--raw', '/.well-known/openid-configuration'])).stdout).issuer;
    podUid = (await c.kubectl(['get', 'pod', 'agent-pod', '-n', NS, '-o', 'jsonpath={.metadata.uid}'])).stdout;
    recorder = new EventRecorder(c.kc.makeApiClient(CoreV1Api), { component: 'agentgate-proxy', minIntervalMs: 0 });
    stack = await startLocalStack();
    await stack.proxy.stop();
    const policy = structuredClone(stack.policy);
    policy.metadata = { name: 'billing-agent', namespace: NS };
    policy.spec.identity.issuers = [{ issuer, audiences: ['agentgate'], kubernetes: true }];
    policy.spec.subjects = { serviceAccounts: [{ name: 'billing-agent' }] };
    proxy = await GuardProxy.start({
      policy,
      auditFile: `${stack.dir}/k8s-audit.log`,
      env: { BILLING_DB_PASSWORD: 'agent-local-password' },
      listenOverride: { 'billing-db': '127.0.0.1:0' },
      kubernetesJwks: serviceAccountJwks(c.kc) as never,
      pod: { name: 'agent-pod', namespace: NS },
      events: (type, reason, message) =>
        void recorder.emit(
          { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'agent-pod', namespace: NS, uid: podUid } },
          type,
          reason,
          message,
        ),
    });
  });
  after(async () => {
    await proxy?.stop();
    await stack?.postgres.stop();
  });

  it('accepts the pod-bound token of the right service account and audits who it is', async () => {
    const client = await connect(
      await token('billing-agent', [
        '--audience',
        'agentgate',
        '--bound-object-kind',
        'Pod',
        '--bound-object-name',
        'agent-pod',
      ]),
    );
    expect((await client.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).to.equal(4);
    await client.end();
    proxy.audit.flush();
    const recs = readFileSync(`${stack.dir}/k8s-audit.log`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const d = recs.find((r) => r.event.action === 'statement.decision');
    expect(d.principal.sub).to.equal(`system:serviceaccount:${NS}:billing-agent`);
    expect(d.principal.kubernetes).to.deep.equal({ namespace: NS, serviceAccount: 'billing-agent', pod: 'agent-pod' });
  });

  it('refuses a token of another pod, another service account, the wrong audience, or not bound to a pod', async () => {
    expect(
      await refused(
        await token('billing-agent', [
          '--audience',
          'agentgate',
          '--bound-object-kind',
          'Pod',
          '--bound-object-name',
          'other-pod',
        ]),
      ),
    ).to.contain(`belongs to pod ${NS}/other-pod`);
    expect(
      await refused(
        await token('intruder', [
          '--audience',
          'agentgate',
          '--bound-object-kind',
          'Pod',
          '--bound-object-name',
          'intruder-pod',
        ]),
      ),
    ).to.contain('is not a subject of this policy');
    expect(
      await refused(await token('billing-agent', ['--bound-object-kind', 'Pod', '--bound-object-name', 'agent-pod'])),
    ).to.contain('audience');
    expect(await refused(await token('billing-agent', ['--audience', 'agentgate']))).to.contain('not bound to a pod');
  });

  it('denials and identity failures become Events on the pod, one series per reason', async () => {
    const client = await connect(
      await token('billing-agent', [
        '--audience',
        'agentgate',
        '--bound-object-kind',
        'Pod',
        '--bound-object-name',
        'agent-pod',
      ]),
    );
    for (let i = 0; i < 3; i++) await client.query('DROP TABLE orders').catch(() => undefined);
    await client.end();
    const events = await eventually(
      'events on the pod',
      async () => {
        const r = JSON.parse(
          (
            await c.kubectl([
              'get',
              'events',
              '-n',
              NS,
              '--field-selector',
              'involvedObject.name=agent-pod',
              '-o',
              'json',
            ])
          ).stdout,
        ).items;
        const denied = r.find((e: any) => e.reason === 'StatementDenied');
        return denied?.count === 3 && r;
      },
      15_000,
      200,
    );
    expect(events.find((e: any) => e.reason === 'StatementDenied').message).to.contain('denied by rule "no-ddl"');
    expect(events.find((e: any) => e.reason === 'IdentityRejected').message).to.contain('a token was refused');
    const described = await c.kubectl(['describe', 'pod', 'agent-pod', '-n', NS]);
    expect(described.stdout).to.contain('StatementDenied');
  });
});
