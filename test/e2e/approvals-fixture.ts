/**
 * A real API server with the chart's own roles, the operator (approvals webhook, pod-facing URL), a
 * PostgreSQL stack and three injected pods of one agent (pod-a, pod-b, pod-c), each with its proxy and
 * the proxy's pod-bound token: what the approval e2e suites (attack-approvals, review-approval-summary)
 * stand on. The agent holds its service account's token (bound to the chart's agentgate-proxy role),
 * never the proxy's; approver-1/2 are in agentgate:approvers; dev-user approves only the `lenient` policy.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import { Operator } from '../../operator/operator.js';
import { KubeApprovals } from '../../proxy/approvals/kube-approvals.js';
import { ensureDevKey, issueDevToken } from '../../proxy/identity/dev-issuer.js';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { GuardProxy } from '../../proxy/server.js';
import { eventually, testCluster, type TestCluster } from './cluster.js';
import { watchShows } from './approval-watch.js';
import { tokenExchange } from './token-exchange.js';
import { podToken, proxyToken, webhookCa } from './proxy-credentials.js';
import { agentPod } from './agent-objects.js';
import { operatorFeeds } from '../../proxy/cluster/operator-feed.js';

const CHART = new URL('../../charts/agentgate', import.meta.url).pathname;
/** The person's IdP the fixture's policy trusts as a trigger issuer (its key is in `stack.dir/idp`). */
export const IDP = 'https://idp.example';

export type ApprovalsFixture = Awaited<ReturnType<typeof startApprovalsFixture>>;

/** Sets it all up under these names (namespaces and the cluster-scoped objects' name); `stop()` removes it. */
export async function startApprovalsFixture(names: { ns: string; system: string; config: string }) {
  const NS = names.ns;
  const SYSTEM = names.system;
  const CONFIG = names.config;
  let c: TestCluster;
  let op: Operator;
  let stack: LocalStack;
  let policy: AgentAccessPolicy;
  let agentKubeconfig: string;
  let agentToken: string;
  let operatorUrl: string;
  let ca: Buffer;
  const chartRbac: string[] = [];
  /** One injected pod each: its proxy (the sidecar) and the proxy's pod-bound token. */
  const pods: Record<string, { proxy: GuardProxy; broker: KubeApprovals; tokenFile: string }> = {};

  const asAgent = (args: string[], input?: string) =>
    c.kubectl(['--kubeconfig', agentKubeconfig, ...args], input === undefined ? {} : { input });
  const requests = async (): Promise<any[]> =>
    JSON.parse((await c.kubectl(['get', 'apr', '-n', NS, '-o', 'json'])).stdout).items;
  const decide = (name: string, as: string, decision: string) =>
    c.kubectl(
      [
        'patch',
        'apr',
        name,
        '-n',
        NS,
        '--type',
        'merge',
        '-p',
        JSON.stringify({ spec: { decision, comment: 'ticket 9' } }),
      ],
      { as },
    );
  const apply = async (doc: unknown): Promise<void> => {
    const r = await c.kubectl(['apply', '-f', '-'], { input: stringify(doc) });
    expect(r.code, r.stderr).to.equal(0);
  };
  /** Runs a statement through a pod's proxy, on a target, as agent-1: 'ran' or the error message. */
  const sql = async (pod: string, statement: string, target = 'billing-db', password?: string): Promise<string> => {
    const { host, port } = pods[pod]!.proxy.addresses().find((a) => a.target === target)!;
    const client = new pg.Client({
      host,
      port,
      user: 'agent',
      database: 'billing',
      password: password ?? (await stack.token('agent-1')),
    });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await client.query(statement).then(
        () => 'ran',
        (e: Error) => e.message,
      );
    } finally {
      await client.end();
    }
  };
  const scratch = async (): Promise<number[]> => {
    const d = await stack.direct();
    const r = await d.query('SELECT v FROM scratch ORDER BY id');
    await d.end();
    return r.rows.map((x) => x.v);
  };
  const named = (message: string): string =>
    /ApprovalRequest \S+\/(\S+) is pending/.exec(message)?.[1] ?? `(none in: ${message})`;
  /**
   * Approved on the API server, and seen so by the proxy of the pod that asked, where it is used (each
   * proxy's feed holds its own pod's requests only).
   */
  const approved = async (name: string) => {
    const asked = await eventually(`${name} Approved`, async () => {
      const a = (await requests()).find((r) => r.metadata.name === name);
      return a?.status?.phase === 'Approved' ? a : undefined;
    });
    const pod = pods[asked.spec.requester.pod as string];
    if (!pod) throw new Error(`${name} was asked for by ${asked.spec.requester.pod}, not a pod of this fixture`);
    await watchShows(pod.broker, name);
  };
  /** POST /approvals at the operator with a bearer token, as anyone could who reaches it. */
  const postApprovals = (token: string, body: unknown): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const req = https.request(
        new URL('/approvals', operatorUrl),
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

  /**
   * A run token for `pod`, triggered by the IdP's person `subject` (with more `claims`): their IdP token
   * and the pod's agentgate token exchanged at the operator, as `agentgate token exchange` does.
   */
  const runToken = async (pod: string, subject: string, claims?: Record<string, unknown>): Promise<string> => {
    const person = await issueDevToken({
      dir: join(stack.dir, 'idp'),
      issuer: IDP,
      subject,
      audience: 'agentgate-runs',
      ttlSeconds: 600,
      ...(claims ? { claims } : {}),
    });
    const r = await tokenExchange({
      url: operatorUrl,
      subject: person,
      actor: await podToken(c, NS, 'billing-agent', pod, 'agentgate', '10m'),
      dir: stack.dir,
      caFile: join(stack.dir, 'operator-ca.crt'),
      resource: `${NS}/billing-agent`,
    });
    return r.stdout.trim();
  };

  const stop = async (): Promise<void> => {
    for (const p of Object.values(pods)) {
      await p.proxy.stop();
      await p.broker.stop();
    }
    await stack?.postgres.stop();
    await op?.stop();
    await c?.kubectl(['delete', 'mutatingwebhookconfiguration', CONFIG]);
    await c?.kubectl(['delete', 'clusterrolebinding', CONFIG]);
    await c?.kubectl(['delete', 'clusterrole', CONFIG]);
    for (const name of chartRbac) await c?.kubectl(['delete', name, '--ignore-not-found']);
  };

  try {
    c = await testCluster();
    await c.kubectl(['create', 'namespace', NS]);
    await c.kubectl(['create', 'namespace', SYSTEM]);
    const rendered = await c.helm(['template', 'agentgate', CHART, '-n', SYSTEM, '--show-only', 'templates/rbac.yaml']);
    expect(rendered.code, rendered.stderr).to.equal(0);
    const applied = await c.kubectl(['apply', '-f', '-', '-o', 'name'], { input: rendered.stdout });
    expect(applied.code, applied.stderr).to.equal(0);
    chartRbac.push(
      ...applied.stdout
        .trim()
        .split('\n')
        .filter((n) => n.startsWith('clusterrole')),
    );
    await c.kubectl(['create', 'serviceaccount', 'billing-agent', '-n', NS]);
    await c.kubectl([
      'create',
      'rolebinding',
      'agentgate-proxy',
      '-n',
      NS,
      '--clusterrole=agentgate-proxy',
      `--serviceaccount=${NS}:billing-agent`,
    ]);
    // Approvers and dev-user (lenient's approver) may patch; dev-user, a plain user, may even create.
    await apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: CONFIG },
      rules: [
        {
          apiGroups: ['agentgate.dev'],
          resources: ['approvalrequests'],
          verbs: ['get', 'list', 'watch', 'patch', 'create'],
        },
      ],
    });
    await c.kubectl([
      'create',
      'clusterrolebinding',
      CONFIG,
      `--clusterrole=${CONFIG}`,
      '--group=agentgate:approvers',
      '--user=dev-user',
    ]);
    const admin = c.kc.getCurrentCluster()!;
    agentToken = (await c.kubectl(['create', 'token', 'billing-agent', '-n', NS, '--duration', '1h'])).stdout.trim();
    stack = await startLocalStack({
      seedSql: `${readFileSync(new URL('../../examples/local/seed.sql', import.meta.url), 'utf8')}\nCREATE TABLE scratch (id int PRIMARY KEY, v int); INSERT INTO scratch VALUES (1, 0), (2, 0);`,
    });
    await stack.proxy.stop();
    agentKubeconfig = join(stack.dir, 'agent-kubeconfig');
    writeFileSync(
      agentKubeconfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'agent',
        clusters: [
          {
            name: 'c',
            cluster: {
              server: admin.server,
              ...(admin.caData
                ? { 'certificate-authority-data': admin.caData }
                : { 'certificate-authority': admin.caFile }),
            },
          },
        ],
        users: [{ name: 'agent', user: { token: agentToken } }],
        contexts: [{ name: 'agent', context: { cluster: 'c', user: 'agent', namespace: NS } }],
      }),
    );
    policy = structuredClone(stack.policy);
    policy.metadata = { name: 'billing-agent', namespace: NS };
    // Two targets on the same database: a grant for one must not run on the other.
    policy.spec.targets = [
      policy.spec.targets[0]!,
      { ...structuredClone(policy.spec.targets[0]!), name: 'replica-db', listen: '127.0.0.1:15433' },
    ];
    policy.spec.rules = [
      { name: 'writes-need-approval', when: { sql: { unboundedWrite: true } }, action: 'RequireApproval' },
      ...policy.spec.rules!.filter((r) => r.name !== 'no-unbounded-writes'),
    ];
    policy.spec.approval = {
      mode: 'Reject',
      timeoutSeconds: 120,
      approvers: { groups: ['agentgate:approvers'] },
      requiredApprovals: 1,
      grant: { ttlSeconds: 0 },
      retentionSeconds: 3600,
    };
    await apply(policy);
    const lenient = structuredClone(policy);
    lenient.metadata = { name: 'lenient', namespace: NS };
    lenient.spec.approval = { ...policy.spec.approval, approvers: { users: ['dev-user'] } };
    await apply(lenient);
    op = new Operator({
      kc: c.kc,
      leaseNamespace: SYSTEM,
      healthAddress: { host: '127.0.0.1', port: 0 },
      webhook: {
        host: '127.0.0.1',
        port: 0,
        namespace: SYSTEM,
        dnsNames: ['localhost'],
        ipAddresses: ['127.0.0.1'],
        configurationName: CONFIG,
        injector: { image: 'x' },
        tokenExchange: {},
      },
    });
    await op.start();
    operatorUrl = `https://127.0.0.1:${op.operatorAddress!.port}`;
    ca = await webhookCa(c, SYSTEM);
    // Run tokens: alice's token and the pod's exchanged at the operator; the proxy accepts them too.
    writeFileSync(join(stack.dir, 'operator-ca.crt'), ca);
    const idpKey = await ensureDevKey(join(stack.dir, 'idp'));
    policy.spec.subjects = { serviceAccounts: [{ name: 'billing-agent' }] };
    policy.spec.identity.issuers.push({
      issuer: operatorUrl,
      audiences: ['agentgate'],
      jwksUri: `${operatorUrl}/.well-known/jwks.json`,
      caFile: join(stack.dir, 'operator-ca.crt'),
    });
    policy.spec.identity.triggerIssuers = [{ issuer: IDP, audiences: ['agentgate-runs'], jwksFile: idpKey.jwksFile }];
    await apply(policy);
    const chartWebhooks = await c.helm([
      'template',
      'agentgate',
      CHART,
      '-n',
      SYSTEM,
      '--show-only',
      'templates/operator.yaml',
    ]);
    const rules = /name: approvals\.agentgate\.dev[\s\S]*?rules:\n\s*- (\{[^\n]*\})/.exec(chartWebhooks.stdout)?.[1];
    expect(rules, 'the chart has the approvals webhook').to.be.a('string');
    const resources = /resources: \[([^\]]*)\]/
      .exec(rules!)![1]!
      .split(',')
      .map((s) => s.trim());
    await apply({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: CONFIG },
      webhooks: [
        {
          name: 'approvals.agentgate.dev',
          clientConfig: { url: `https://127.0.0.1:${op.webhookAddress!.port}/admit-approvals` },
          rules: [
            { operations: ['CREATE', 'UPDATE'], apiGroups: ['agentgate.dev'], apiVersions: ['v1alpha1'], resources },
          ],
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': NS } },
          failurePolicy: 'Fail',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          timeoutSeconds: 10,
        },
      ],
    });
    await op.renewWebhookCertificate();
    await eventually(
      'policies Ready',
      async () =>
        (await c.kubectl(['get', 'aap', '-n', NS, '-o', 'jsonpath={.items[*].status.conditions[0].status}'])).stdout ===
        'True True',
    );
    // Injected pods of the same agent (same service account, policy and subject): pod-a, pod-b, pod-c.
    for (const name of ['pod-a', 'pod-b', 'pod-c']) {
      await apply(agentPod(NS, name));
      const tokenFile = join(stack.dir, `${name}-proxy-token`);
      writeFileSync(tokenFile, await proxyToken(c, NS, 'billing-agent', name));
      // As the injected sidecar does: requests read through the operator's feed.
      const operator = { url: operatorUrl, tokenFile, ca };
      const broker = new KubeApprovals({
        feeds: operatorFeeds(operator),
        namespace: NS,
        policy: 'billing-agent',
        operator,
      });
      await broker.start();
      const proxy = await GuardProxy.start({
        policy: structuredClone(policy),
        auditFile: `${stack.dir}/${name}-audit.log`,
        env: { BILLING_DB_PASSWORD: 'agent-local-password' },
        listenOverride: { 'billing-db': '127.0.0.1:0', 'replica-db': '127.0.0.1:0' },
        approvals: broker,
        pod: { name, namespace: NS },
        runTokenIssuer: operatorUrl,
      });
      pods[name] = { proxy, broker, tokenFile };
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    c,
    op,
    stack,
    policy,
    agentKubeconfig,
    agentToken,
    operatorUrl,
    ca,
    pods,
    asAgent,
    requests,
    decide,
    apply,
    sql,
    scratch,
    named,
    approved,
    postApprovals,
    runToken,
    stop,
  };
}

type FixtureCalls = Pick<
  ApprovalsFixture,
  'asAgent' | 'requests' | 'decide' | 'apply' | 'sql' | 'scratch' | 'named' | 'approved' | 'postApprovals' | 'runToken'
>;

/**
 * The fixture for the calling suite: started in its `before` hook (then handed to `ready`, for the
 * suite's cluster, pods and policy) and stopped in its `after` hook. Its calls are usable from then on.
 */
export function approvalsSuite(
  names: { ns: string; system: string; config: string },
  ready: (f: ApprovalsFixture) => void,
): FixtureCalls {
  let started: ApprovalsFixture | undefined;
  before(async function () {
    this.timeout(1_200_000);
    started = await startApprovalsFixture(names);
    ready(started);
  });
  after(() => started?.stop());
  const f = (): ApprovalsFixture => {
    if (!started) throw new Error('the approvals fixture has not started');
    return started;
  };
  return {
    asAgent: (...a) => f().asAgent(...a),
    requests: (...a) => f().requests(...a),
    decide: (...a) => f().decide(...a),
    apply: (...a) => f().apply(...a),
    sql: (...a) => f().sql(...a),
    scratch: (...a) => f().scratch(...a),
    named: (...a) => f().named(...a),
    approved: (...a) => f().approved(...a),
    postApprovals: (...a) => f().postApprovals(...a),
    runToken: (...a) => f().runToken(...a),
  };
}
