/**
 * A hostile agent against the control plane, on a real API server. The agent acts with what it holds
 * in an injected pod: its service account's token (the chart's agentgate-proxy role bound to it, as
 * the proxy needs), never as admin. It tries to approve its own held statement through the status
 * subresource, to get a statement released by approvals that do not count, and to keep using a
 * policy after it was deleted; a proxy started for a missing policy must not linger; and the
 * chart's roles give neither the operator every Secret nor the agent any write it could abuse.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import { Operator } from '../../operator/operator.js';
import { KubeApprovals } from '../../proxy/approvals/kube-approvals.js';
import { ConfigMapPolicySource } from '../../proxy/cluster/policy-source.js';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { GuardProxy } from '../../proxy/server.js';
import { eventually, ns, testCluster, type TestCluster } from './cluster.js';
import { proxyToken, webhookCa } from './proxy-credentials.js';
import { agentPod } from './agent-objects.js';
import { operatorFeeds } from '../../proxy/cluster/operator-feed.js';
import { kubeFeeds } from '../../proxy/cluster/kube-feeds.js';

const NS = ns('e2e-attack-cp');
const SYSTEM = ns('agentgate-attack-cp');
const CONFIG = ns('agentgate-attack-cp');
const AGENT_SA = `system:serviceaccount:${NS}:billing-agent`;
const OPERATOR_SA = `system:serviceaccount:${SYSTEM}:agentgate-operator`;
const CHART = new URL('../../charts/agentgate', import.meta.url).pathname;

describe('attack: the control plane cannot be talked round', function () {
  this.timeout(180_000);
  let c: TestCluster;
  let op: Operator;
  let stack: LocalStack;
  let proxy: GuardProxy;
  let broker: KubeApprovals;
  let policy: AgentAccessPolicy;
  /** A kubeconfig with the agent's own service-account token (what an agent container holds). */
  let agentKubeconfig: string;
  const chartRbac: string[] = [];

  const asAgent = (args: string[], input?: string) =>
    c.kubectl(['--kubeconfig', agentKubeconfig, ...args], input === undefined ? {} : { input });
  const agentSql = async (subject = 'agent-1'): Promise<pg.Client> => {
    const { host, port } = proxy.addresses()[0]!;
    const client = new pg.Client({
      host,
      port,
      user: 'agent',
      database: 'billing',
      password: await stack.token(subject),
    });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };
  const scratch = async (): Promise<number[]> => {
    const d = await stack.direct();
    const r = await d.query('SELECT v FROM scratch ORDER BY id');
    await d.end();
    return r.rows.map((x) => x.v);
  };
  const requests = async (): Promise<any[]> =>
    JSON.parse((await c.kubectl(['get', 'apr', '-n', NS, '-o', 'json'])).stdout).items;
  const pending = (text: string): Promise<any> =>
    eventually(
      `a Pending ApprovalRequest for ${text}`,
      async () => (await requests()).find((a) => a.status?.phase === 'Pending' && a.spec.command.text === text),
      30_000,
      100,
    );
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
        JSON.stringify({ spec: { decision, comment: 'ticket 7' } }),
      ],
      { as },
    );
  const apply = async (doc: unknown): Promise<void> => {
    const r = await c.kubectl(['apply', '-f', '-'], { input: stringify(doc) });
    expect(r.code, r.stderr).to.equal(0);
  };

  before(async function () {
    this.timeout(1_200_000);
    c = await testCluster();
    await c.kubectl(['create', 'namespace', NS]);
    await c.kubectl(['create', 'namespace', SYSTEM]);
    // The chart's own roles, as helm renders them.
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
    // The agent's service account, bound to the proxy role in its namespace (as the README says).
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
    // Approvers (and a developer who approves for another policy) may patch requests; the webhook decides who counts.
    await apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: CONFIG },
      rules: [
        {
          apiGroups: ['agentgate.dev'],
          resources: ['approvalrequests', 'approvalrequests/status'],
          verbs: ['get', 'list', 'watch', 'patch'],
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
    const token = (await c.kubectl(['create', 'token', 'billing-agent', '-n', NS, '--duration', '1h'])).stdout.trim();
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
        users: [{ name: 'agent', user: { token } }],
        contexts: [{ name: 'agent', context: { cluster: 'c', user: 'agent', namespace: NS } }],
      }),
    );
    policy = structuredClone(stack.policy);
    policy.metadata = { name: 'billing-agent', namespace: NS };
    policy.spec.rules = [
      { name: 'writes-need-approval', when: { sql: { unboundedWrite: true } }, action: 'RequireApproval' },
      ...policy.spec.rules!.filter((r) => r.name !== 'no-unbounded-writes'),
    ];
    policy.spec.approval = {
      mode: 'Hold',
      timeoutSeconds: 20,
      approvers: { groups: ['agentgate:approvers'] },
      requiredApprovals: 1,
      grant: { ttlSeconds: 0 },
      retentionSeconds: 3600,
    };
    await apply(policy);
    // Another policy in the namespace whose approvers are looser (dev-user): its approvals must not count for billing-agent.
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
      },
    });
    await op.start();
    // The approvals webhook as the chart declares it (rules read from the chart), reached by URL here.
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
    // The proxy asks the operator for requests as the sidecar of agent-pod would, with its pod-bound token.
    await c.kubectl(['create', '-f', '-'], {
      input: stringify(agentPod(NS)),
    });
    const tokenFile = join(stack.dir, 'pod-token');
    writeFileSync(tokenFile, await proxyToken(c, NS, 'billing-agent', 'agent-pod'));
    const ca = await webhookCa(c, SYSTEM);
    const operator = { url: `https://127.0.0.1:${op.operatorAddress!.port}`, tokenFile, ca };
    broker = new KubeApprovals({ feeds: operatorFeeds(operator), namespace: NS, policy: 'billing-agent', operator });
    await broker.start();
    proxy = await GuardProxy.start({
      policy: structuredClone(policy),
      auditFile: `${stack.dir}/attack-audit.log`,
      env: { BILLING_DB_PASSWORD: 'agent-local-password' },
      listenOverride: { 'billing-db': '127.0.0.1:0' },
      approvals: broker,
    });
  });

  after(async () => {
    await proxy?.stop();
    await broker?.stop();
    await stack?.postgres.stop();
    await op?.stop();
    await c?.kubectl(['delete', 'mutatingwebhookconfiguration', CONFIG]);
    await c?.kubectl(['delete', 'clusterrolebinding', CONFIG]);
    await c?.kubectl(['delete', 'clusterrole', CONFIG]);
    // Cluster-scoped chart roles would collide with a later helm install of the chart.
    for (const name of chartRbac) await c?.kubectl(['delete', name, '--ignore-not-found']);
  });

  it('self-approval through the status subresource is refused, by RBAC for the agent and by admission for anyone but the operator; the held statement does not run', async () => {
    const client = await agentSql();
    const held = client.query('UPDATE scratch SET v = 1').then(
      () => 'ran',
      (e: Error) => e.message,
    );
    const apr = await pending('UPDATE scratch SET v = 1');
    const forge = JSON.stringify({ status: { phase: 'Approved', approvals: 1 } });
    const asAgentSa = await asAgent([
      'patch',
      'apr',
      apr.metadata.name,
      '-n',
      NS,
      '--subresource=status',
      '--type',
      'merge',
      '-p',
      forge,
    ]);
    expect(asAgentSa.code, asAgentSa.stdout).to.not.equal(0);
    expect(asAgentSa.stderr).to.match(/forbidden/i);
    // Someone whom RBAC lets write status (here an approver) is still refused by admission: status is the operator's.
    const asApprover = await c.kubectl(
      ['patch', 'apr', apr.metadata.name, '-n', NS, '--subresource=status', '--type', 'merge', '-p', forge],
      { as: 'approver-1' },
    );
    expect(asApprover.code, asApprover.stdout).to.not.equal(0);
    expect(asApprover.stderr).to.contain('written by the agentgate operator only');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await scratch()).to.deep.equal([0, 0]);
    expect((await requests()).find((a) => a.metadata.name === apr.metadata.name).status.phase).to.equal('Pending');
    expect((await decide(apr.metadata.name, 'approver-2', 'Denied')).code).to.equal(0);
    expect(await held).to.contain('was denied');
    expect(await scratch()).to.deep.equal([0, 0]);
    await client.end();
  });

  it('the agent cannot make a request of its own (for another policy, or showing a text that is not the statement): the statement stays pending', async () => {
    proxy.updatePolicy({
      ...structuredClone(policy),
      spec: { ...structuredClone(policy.spec), approval: { ...policy.spec.approval!, mode: 'Reject' } },
    });
    const statement = 'UPDATE scratch SET v = 2';
    const sha256 = createHash('sha256').update(statement).digest('hex');
    const forged = (policyName: string, text: string) =>
      stringify({
        apiVersion: 'agentgate.dev/v1alpha1',
        kind: 'ApprovalRequest',
        metadata: {
          generateName: 'billing-agent-',
          namespace: NS,
          labels: { 'agentgate.dev/policy': 'billing-agent' },
        },
        spec: {
          policy: policyName,
          rule: 'writes-need-approval',
          target: 'billing-db',
          requester: { subject: 'agent-1' },
          command: { text, sha256 },
          expiresAt: new Date(Date.now() + 600_000).toISOString(),
        },
      });
    // The agent cannot create requests at all (attack-approvals.test.ts covers this in depth).
    for (const doc of [forged('lenient', statement), forged('billing-agent', 'SELECT 1')]) {
      const made = await asAgent(['create', '-f', '-', '-o', 'name'], doc);
      expect(made.code, made.stdout).to.not.equal(0);
    }
    const client = await agentSql();
    const r = await client.query(statement).then(
      () => 'ran',
      (e: Error) => e.message,
    );
    expect(r).to.match(/requires approval by rule "writes-need-approval": ApprovalRequest .* is pending/);
    expect(await scratch()).to.deep.equal([0, 0]);
    await client.end();
    proxy.updatePolicy(structuredClone(policy));
  });

  it('a statement held for approval does not run when the policy became unavailable meanwhile, even once approved', async () => {
    const client = await agentSql();
    const held = client.query('UPDATE scratch SET v = 3').then(
      () => 'ran',
      (e: Error) => e.message,
    );
    const apr = await pending('UPDATE scratch SET v = 3');
    proxy.setPolicyUnavailable(`policy ${NS}/billing-agent was deleted`);
    try {
      expect((await decide(apr.metadata.name, 'approver-1', 'Approved')).code).to.equal(0);
      expect(await held).to.match(/denied by rule "policy-unavailable": policy .*billing-agent was deleted/);
      expect(await scratch()).to.deep.equal([0, 0]);
    } finally {
      proxy.setPolicyUnavailable(undefined);
      await client.end();
    }
  });

  it("a deleted policy fails closed: the open session's next statement and new sessions are refused naming why, audited; it recovers when the policy is back", async () => {
    const doomed = structuredClone(policy);
    doomed.metadata = { name: 'doomed', namespace: NS };
    delete doomed.spec.approval;
    doomed.spec.rules = doomed.spec.rules!.filter((r) => r.action !== 'RequireApproval');
    await apply(doomed);
    await eventually(
      'doomed compiled',
      async () => (await c.kubectl(['get', 'configmap', 'agentgate-policy-doomed', '-n', NS])).code === 0,
    );
    let guard: GuardProxy | undefined;
    const source = new ConfigMapPolicySource({
      feeds: kubeFeeds(c.kc),
      namespace: NS,
      policy: 'doomed',
      onPolicy: (p) => guard?.updatePolicy(p),
      onUnavailable: (reason) => guard?.setPolicyUnavailable(reason),
    });
    const started = await source.start();
    guard = await GuardProxy.start({
      policy: started,
      auditFile: `${stack.dir}/doomed-audit.log`,
      env: { BILLING_DB_PASSWORD: 'agent-local-password' },
      listenOverride: { 'billing-db': '127.0.0.1:0' },
    });
    const connect = async (): Promise<pg.Client> => {
      const { host, port } = guard!.addresses()[0]!;
      const client = new pg.Client({
        host,
        port,
        user: 'agent',
        database: 'billing',
        password: await stack.token('agent-1'),
      });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    };
    try {
      const open = await connect();
      expect((await open.query('SELECT 1 AS one')).rows).to.deep.equal([{ one: 1 }]);
      expect((await c.kubectl(['delete', 'aap', 'doomed', '-n', NS])).code).to.equal(0);
      const refused = await eventually(
        'the open session refused',
        async () => {
          const e = await open.query('SELECT 1').then(
            () => undefined,
            (err: Error & { code?: string }) => err,
          );
          return e;
        },
        15_000,
        200,
      );
      expect(refused.code).to.equal('42501');
      expect(refused.message).to.match(/policy-unavailable.*doomed.*was deleted/);
      const fresh = await connect().then(
        () => 'connected',
        (e: Error) => e.message,
      );
      expect(fresh).to.match(/doomed.*was deleted.*new sessions are refused/);
      expect(guard.notReady()).to.contain('was deleted');
      guard.audit.flush();
      const records = readFileSync(`${stack.dir}/doomed-audit.log`, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(
        records.some(
          (x) => x.event.action === 'policy.updated' && x.event.outcome === 'failure' && /was deleted/.test(x.message),
        ),
      ).to.equal(true);
      expect(
        records.some((x) => x.event.action === 'statement.decision' && x.rule?.name === 'policy-unavailable'),
      ).to.equal(true);
      await open.end();
      // Back: created again, compiled by the operator for the new object, enforced again.
      await apply(doomed);
      await eventually(
        'enforced again',
        async () => {
          const again = await connect().catch(() => undefined);
          if (!again) return false;
          const ok = await again.query('SELECT 1').then(
            () => true,
            () => false,
          );
          await again.end();
          return ok;
        },
        30_000,
        250,
      );
    } finally {
      await guard.stop();
      await source.stop();
    }
  });

  it("a proxy that cannot read its policy for longer than the staleness bound fails closed, and recovers (as the agent's service account with the chart's proxy role)", async () => {
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    kc.loadFromFile(agentKubeconfig);
    let guard: GuardProxy | undefined;
    const source = new ConfigMapPolicySource({
      feeds: kubeFeeds(kc),
      namespace: NS,
      policy: 'billing-agent',
      stalenessMs: 3000,
      onPolicy: (p) => guard?.updatePolicy(p),
      onUnavailable: (reason) => guard?.setPolicyUnavailable(reason),
    });
    guard = await GuardProxy.start({
      policy: await source.start(),
      auditFile: `${stack.dir}/stale-audit.log`,
      env: { BILLING_DB_PASSWORD: 'agent-local-password' },
      listenOverride: { 'billing-db': '127.0.0.1:0' },
    });
    const { host, port } = guard.addresses()[0]!;
    const client = new pg.Client({
      host,
      port,
      user: 'agent',
      database: 'billing',
      password: await stack.token('agent-1'),
    });
    client.on('error', () => undefined);
    await client.connect();
    try {
      expect((await client.query('SELECT 1 AS one')).rows).to.deep.equal([{ one: 1 }]);
      // The proxy loses its way to the policy (here: its read access; a partition looks the same).
      expect((await c.kubectl(['delete', 'rolebinding', 'agentgate-proxy', '-n', NS])).code).to.equal(0);
      const refused = await eventually(
        'refused once stale',
        async () =>
          client.query('SELECT 1').then(
            () => undefined,
            (e: Error & { code?: string }) => e,
          ),
        20_000,
        250,
      );
      expect(refused.code).to.equal('42501');
      expect(refused.message, refused.message).to.match(
        /cannot follow policy .*billing-agent: not read from the control plane for \d+ s \(staleness bound 3 s\)/,
      );
      await c.kubectl([
        'create',
        'rolebinding',
        'agentgate-proxy',
        '-n',
        NS,
        '--clusterrole=agentgate-proxy',
        `--serviceaccount=${NS}:billing-agent`,
      ]);
      await eventually(
        'enforced again',
        async () =>
          client.query('SELECT 1').then(
            () => true,
            () => false,
          ),
        45_000,
        250,
      );
    } finally {
      await c.kubectl([
        'create',
        'rolebinding',
        'agentgate-proxy',
        '-n',
        NS,
        '--clusterrole=agentgate-proxy',
        `--serviceaccount=${NS}:billing-agent`,
      ]);
      await client.end();
      await guard.stop();
      await source.stop();
    }
  });

  it('a proxy started for a policy that does not exist exits non-zero with the reason', async () => {
    const bin = new URL('../../bin/agentgate.js', import.meta.url).pathname;
    const child = spawn(
      process.execPath,
      [
        bin,
        'proxy',
        '--policy-ref',
        `${NS}/missing`,
        '--no-audit-stdout',
        '--audit-file',
        join(stack.dir, 'missing-audit.log'),
      ],
      { env: { ...process.env, KUBECONFIG: c.kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null | 'still running'>((resolve) => {
      const timer = setTimeout(() => resolve('still running'), 30_000);
      // 'close', not 'exit': stderr's last lines may still be on their way when the process exits.
      child.on('close', (c2) => {
        clearTimeout(timer);
        resolve(c2);
      });
    });
    if (code === 'still running') child.kill('SIGKILL');
    expect(code, stderr).to.equal(1);
    expect(stderr).to.contain(`AgentAccessPolicy ${NS}/missing does not exist`);
  });

  it("RBAC as the chart grants it: the operator reads no Secret outside its namespace; the agent's service account cannot create or write approvals or their status", async () => {
    const expectations: [string, string[], boolean][] = [
      [OPERATOR_SA, ['get', 'secrets', '-n', NS], false],
      [OPERATOR_SA, ['get', 'secrets/billing-db-credentials', '-n', NS], false],
      [OPERATOR_SA, ['list', 'secrets', '-A'], false],
      [OPERATOR_SA, ['get', 'secrets/agentgate-webhook-tls', '-n', SYSTEM], true],
      [OPERATOR_SA, ['get', 'secrets/agentgate-audit-signing-keys', '-n', SYSTEM], true],
      [OPERATOR_SA, ['patch', 'approvalrequests.agentgate.dev', '--subresource=status', '-n', NS], true],
      [AGENT_SA, ['patch', 'approvalrequests.agentgate.dev', '--subresource=status', '-n', NS], false],
      [AGENT_SA, ['update', 'approvalrequests.agentgate.dev', '--subresource=status', '-n', NS], false],
      [AGENT_SA, ['update', 'approvalrequests.agentgate.dev', '-n', NS], false],
      [AGENT_SA, ['patch', 'approvalrequests.agentgate.dev', '-n', NS], false],
      [AGENT_SA, ['delete', 'approvalrequests.agentgate.dev', '-n', NS], false],
      [AGENT_SA, ['patch', 'agentaccesspolicies.agentgate.dev', '-n', NS], false],
      [AGENT_SA, ['delete', 'configmaps', '-n', NS], false],
      [AGENT_SA, ['get', 'secrets', '-n', NS], false],
      [AGENT_SA, ['watch', 'agentaccesspolicies.agentgate.dev', '-n', NS], true],
      [AGENT_SA, ['create', 'approvalrequests.agentgate.dev', '-n', NS], false],
      [OPERATOR_SA, ['create', 'approvalrequests.agentgate.dev', '-n', NS], true],
    ];
    const wrong: string[] = [];
    for (const [who, args, want] of expectations) {
      const r = await c.kubectl(['auth', 'can-i', ...args, '--as', who]);
      if ((r.stdout.trim() === 'yes') !== want)
        wrong.push(
          `${who} can-i ${args.join(' ')}: ${r.stdout.trim()}${r.stderr.trim()} (want ${want ? 'yes' : 'no'})`,
        );
    }
    expect(wrong).to.deep.equal([]);
  });
});
