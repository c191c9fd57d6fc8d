/**
 * The deviation-review setup on the real API server, shared by the e2e tests of #16: a namespace with
 * the chart's reviewer and proxy roles (reviewers: group agentgate:approvers, and dev-user bound to the
 * reviewer role without being a policy reviewer), a policy whose unbounded writes need an approval (Hold,
 * 2 s) and whose review has maxOpenHours 1, the operator with the approval and review webhooks (its
 * review clock can be moved on), a pod, a guard proxy on the local stack with a KubeApprovals broker,
 * and the sidecar's deviation reporter on the proxy's audit log.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { Operator } from '../../operator/operator.js';
import { realClock, type Clock } from '../../shared/kube/workqueue.js';
import { KubeApprovals } from '../../proxy/approvals/kube-approvals.js';
import { postToOperator, type OperatorEndpoint } from '../../proxy/approvals/operator-client.js';
import { DeviationReporter } from '../../proxy/cluster/deviation-reporter.js';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { GuardProxy } from '../../proxy/server.js';
import { eventually, testCluster, type TestCluster } from './cluster.js';
import { proxyToken, webhookCa } from './proxy-credentials.js';
import { agentPod } from './agent-objects.js';
import { operatorFeeds } from '../../proxy/cluster/operator-feed.js';

const ROOT = new URL('../..', import.meta.url).pathname;

export interface ReviewFixture {
  c: TestCluster;
  op: Operator;
  stack: LocalStack;
  proxy: GuardProxy;
  broker: KubeApprovals;
  reporter: DeviationReporter;
  endpoint: OperatorEndpoint;
  /** The namespace, the webhook configuration's name, the agent's Kubernetes username. */
  ns: string;
  config: string;
  sa: string;
  policy: AgentAccessPolicy;
  /** Moves the operator's review clock on (Exception deadlines). */
  clock: { offsetMs: number };
  auditFile(): string;
  items(): Promise<any[]>;
  itemOf(kind: string, rule: string): Promise<any>;
  patchDecision(
    name: string,
    decision: object,
    who: { as?: string; token?: string },
  ): ReturnType<TestCluster['kubectl']>;
  /** The proxy's audit chain as written so far. */
  chain(): any[];
  stop(): Promise<void>;
}

export interface ReviewFixtureOptions {
  namespace: string;
  config: string;
  /** The operator also witnesses audit chains and countersigns evidence (its audit key). */
  auditWitness?: boolean;
}

export async function startReviewFixture(o: ReviewFixtureOptions): Promise<ReviewFixture> {
  const NS = o.namespace;
  const CONFIG = o.config;
  const c = await testCluster();
  await c.kubectl(['create', 'namespace', NS]);
  // The chart's real roles (renamed for this namespace's run): reviewers, and what the proxy's service account may do.
  const rendered = await c.helm(['template', 'agentgate', join(ROOT, 'charts/agentgate'), '-n', 'agentgate-system']);
  expect(rendered.code, rendered.stderr).to.equal(0);
  const roles = parseAllDocuments(rendered.stdout)
    .map((d) => d.toJSON())
    .filter((d) => d?.kind === 'ClusterRole' && ['agentgate-reviewer', 'agentgate-proxy'].includes(d.metadata.name));
  expect(roles).to.have.length(2);
  for (const r of roles) {
    r.metadata.name = `${r.metadata.name}-${CONFIG}`;
    expect((await c.kubectl(['apply', '-f', '-'], { input: stringify(r) })).code).to.equal(0);
  }
  await c.kubectl([
    'create',
    'rolebinding',
    'reviewers',
    '-n',
    NS,
    `--clusterrole=agentgate-reviewer-${CONFIG}`,
    '--group=agentgate:approvers',
    '--user=dev-user',
  ]);
  await c.kubectl(['create', 'serviceaccount', 'billing-agent', '-n', NS]);
  await c.kubectl([
    'create',
    'rolebinding',
    'proxy',
    '-n',
    NS,
    `--clusterrole=agentgate-proxy-${CONFIG}`,
    `--serviceaccount=${NS}:billing-agent`,
  ]);

  const stack = await startLocalStack({
    seedSql: `${readFileSync(join(ROOT, 'examples/local/seed.sql'), 'utf8')}\nCREATE TABLE scratch (id int PRIMARY KEY, v int); INSERT INTO scratch VALUES (1, 0);`,
  });
  await stack.proxy.stop();
  const policy: AgentAccessPolicy = structuredClone(stack.policy);
  policy.metadata = { name: 'billing-agent', namespace: NS };
  policy.spec.rules = [
    { name: 'writes-need-approval', when: { sql: { unboundedWrite: true } }, action: 'RequireApproval' },
    ...policy.spec.rules!.filter((r) => r.name !== 'no-unbounded-writes'),
  ];
  policy.spec.approval = {
    mode: 'Hold',
    timeoutSeconds: 2,
    approvers: { groups: ['agentgate:approvers'] },
    requiredApprovals: 1,
    grant: { ttlSeconds: 0 },
    retentionSeconds: 3600,
  };
  policy.spec.review = { reviewers: { groups: ['agentgate:approvers'] }, maxOpenHours: 1 };
  const applied = await c.kubectl(['apply', '-f', '-'], { input: stringify(policy) });
  expect(applied.code, applied.stderr).to.equal(0);

  const offset = { offsetMs: 0 };
  const clock: Clock = { ...realClock, now: () => Date.now() + offset.offsetMs };
  const op = new Operator({
    kc: c.kc,
    leaseNamespace: NS,
    reviewClock: clock,
    healthAddress: { host: '127.0.0.1', port: 0 },
    webhook: {
      host: '127.0.0.1',
      port: 0,
      namespace: NS,
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      configurationName: CONFIG,
      injector: { image: 'x' },
      ...(o.auditWitness ? { auditWitness: {} } : {}),
    },
  });
  await op.start();
  const hook = (name: string, path: string, resources: string[]) => ({
    name,
    clientConfig: { url: `https://127.0.0.1:${op.webhookAddress!.port}${path}` },
    rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: ['agentgate.dev'], apiVersions: ['v1alpha1'], resources }],
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': NS } },
    failurePolicy: 'Fail',
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    timeoutSeconds: 10,
  });
  const mwc = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: CONFIG },
    webhooks: [
      hook('approvals.agentgate.dev', '/admit-approvals', ['approvalrequests', 'approvalrequests/status']),
      hook('reviews.agentgate.dev', '/admit-reviews', ['deviationreviews', 'deviationreviews/status']),
    ],
  };
  expect((await c.kubectl(['apply', '-f', '-'], { input: stringify(mwc) })).code).to.equal(0);
  await op.renewWebhookCertificate();
  await eventually(
    'policy Ready',
    async () =>
      (await c.kubectl(['get', 'aap', 'billing-agent', '-n', NS, '-o', 'jsonpath={.status.conditions[0].status}']))
        .stdout === 'True',
  );
  await c.kubectl(['create', '-f', '-'], {
    input: stringify(agentPod(NS)),
  });
  const tokenFile = join(stack.dir, 'pod-token');
  writeFileSync(tokenFile, await proxyToken(c, NS, 'billing-agent', 'agent-pod'));
  const ca = await webhookCa(c, NS);
  const endpoint: OperatorEndpoint = { url: `https://127.0.0.1:${op.operatorAddress!.port}`, tokenFile, ca };
  const broker = new KubeApprovals({
    feeds: operatorFeeds(endpoint),
    namespace: NS,
    policy: 'billing-agent',
    operator: endpoint,
  });
  await broker.start();
  const auditFile = (): string => `${stack.dir}/reviews-audit.log`;
  const proxy = await GuardProxy.start({
    policy: structuredClone(policy),
    auditFile: auditFile(),
    env: { BILLING_DB_PASSWORD: 'agent-local-password' },
    listenOverride: { 'billing-db': '127.0.0.1:0' },
    approvals: broker,
  });
  // As cli/commands/proxy.ts wires it in a sidecar: every chained record is looked at, deviations are sent.
  const reporter = new DeviationReporter({
    send: (body) => postToOperator(endpoint, '/deviations', body),
    lingerMs: 50,
  });
  proxy.audit.observe(reporter.observe);

  const items = async (): Promise<any[]> =>
    JSON.parse((await c.kubectl(['get', 'dr', '-n', NS, '-o', 'json'])).stdout).items;
  return {
    c,
    op,
    stack,
    proxy,
    broker,
    reporter,
    endpoint,
    ns: NS,
    config: CONFIG,
    sa: `system:serviceaccount:${NS}:billing-agent`,
    policy,
    clock: offset,
    auditFile,
    items,
    itemOf: (kind, rule) => items().then((l) => l.find((d) => d.spec.kind === kind && d.spec.rule === rule)),
    patchDecision: (name, decision, who) =>
      c.kubectl(
        [
          'patch',
          'dr',
          name,
          '-n',
          NS,
          '--type',
          'merge',
          '-p',
          JSON.stringify({ spec: { decision } }),
          ...(who.token ? ['--token', who.token] : []),
        ],
        who.as ? { as: who.as } : {},
      ),
    chain: () => {
      proxy.audit.flush();
      return readFileSync(auditFile(), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    },
    stop: async () => {
      await reporter.stop(100);
      await proxy.stop();
      await broker.stop();
      await stack.postgres.stop();
      await op.stop();
      await c.kubectl(['delete', 'mutatingwebhookconfiguration', CONFIG]);
      await c.kubectl(['delete', 'clusterrole', `agentgate-reviewer-${CONFIG}`, `agentgate-proxy-${CONFIG}`]);
    },
  };
}
