/**
 * A hostile agent against approvals (issue #17, class 1), on a real API server with the chart's own
 * roles. The agent holds its service account's token (bound to the chart's agentgate-proxy role),
 * never the proxy's pod-bound token; a plain user has only what RBAC gives. An approval must grant
 * exactly what the approvers were shown, for the pod and target that asked: requests are created by
 * the operator only, from the proxy's pod token; the policy (approvers, quorum) is the pod's; a grant
 * is not usable from another pod or on another target; retries join the open request (and a one-shot
 * grant runs one of them); creation is limited per pod. (The run binding is in test/unit/approval-binding.test.ts: it needs run tokens.)
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { stringify } from 'yaml';
import { Operator } from '../../operator/operator.js';
import { KubeApprovals } from '../../proxy/approvals/kube-approvals.js';
import { ensureDevKey, issueDevToken } from '../../proxy/identity/dev-issuer.js';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { GuardProxy } from '../../proxy/server.js';
import { eventually, ns, testCluster, type TestCluster } from './cluster.js';

const NS = ns('e2e-attack-apr');
const SYSTEM = ns('agentgate-attack-apr');
const CONFIG = ns('agentgate-attack-apr');
const CHART = new URL('../../charts/agentgate', import.meta.url).pathname;
const BIN = new URL('../../bin/agentgate.js', import.meta.url).pathname;
const IDP = 'https://idp.example';
const run = promisify(execFile);

describe('attack: an approval grants exactly what the approvers were shown, for the pod and target that asked', function () {
  this.timeout(180_000);
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
  const approved = (name: string) =>
    eventually(
      `${name} Approved`,
      async () => (await requests()).find((a) => a.metadata.name === name)?.status?.phase === 'Approved',
    );
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

  before(async function () {
    this.timeout(1_200_000);
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
    ca = Buffer.from(
      JSON.parse((await c.kubectl(['get', 'secret', 'agentgate-webhook-tls', '-n', SYSTEM, '-o', 'json'])).stdout).data[
        'ca.crt'
      ],
      'base64',
    );
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
      await apply({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          namespace: NS,
          annotations: { 'agentgate.dev/status': JSON.stringify({ policy: `${NS}/billing-agent` }) },
        },
        spec: { serviceAccountName: 'billing-agent', containers: [{ name: 'agent', image: 'example.com/agent:1' }] },
      });
      const tokenFile = join(stack.dir, `${name}-proxy-token`);
      writeFileSync(
        tokenFile,
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
            name,
            '--duration',
            '1h',
          ])
        ).stdout.trim(),
      );
      const broker = new KubeApprovals({
        kc: c.kc,
        namespace: NS,
        policy: 'billing-agent',
        operator: { url: operatorUrl, tokenFile, ca },
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
  });

  after(async () => {
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
  });

  const forged = (policyName: string, text: string, hashOf: string) =>
    stringify({
      apiVersion: 'agentgate.dev/v1alpha1',
      kind: 'ApprovalRequest',
      metadata: { generateName: 'billing-agent-', namespace: NS, labels: { 'agentgate.dev/policy': 'billing-agent' } },
      spec: {
        policy: policyName,
        rule: 'writes-need-approval',
        target: 'billing-db',
        requester: { subject: 'agent-1' },
        command: { text, sha256: createHash('sha256').update(hashOf).digest('hex') },
        expiresAt: new Date(Date.now() + 600_000).toISOString(),
      },
    });

  it("the agent's service account cannot create an ApprovalRequest (RBAC), nor a plain user whom RBAC lets (admission): showing a SELECT with a DELETE's hash, or naming an easier policy, is impossible", async () => {
    const before = (await requests()).length;
    for (const doc of [
      forged('billing-agent', 'SELECT count(*) FROM scratch', 'DELETE FROM scratch'),
      forged('lenient', 'DELETE FROM scratch', 'DELETE FROM scratch'),
    ]) {
      const byAgent = await asAgent(['create', '-f', '-', '-o', 'name'], doc);
      expect(byAgent.code, byAgent.stdout).to.not.equal(0);
      expect(byAgent.stderr).to.match(/forbidden/i);
      const byUser = await c.kubectl(['create', '-f', '-', '-o', 'name'], { as: 'dev-user', input: doc });
      expect(byUser.code, byUser.stdout).to.not.equal(0);
      expect(byUser.stderr).to.contain('created by the agentgate operator only');
    }
    expect((await requests()).length).to.equal(before);
  });

  it("the operator's POST /approvals takes no agent token, and takes from the proxy neither a policy nor a pod: they come from the pod", async () => {
    const ask = {
      rule: 'writes-need-approval',
      target: 'billing-db',
      command: {
        text: 'DELETE FROM scratch',
        sha256: createHash('sha256').update('DELETE FROM scratch').digest('hex'),
      },
      requester: { subject: 'agent-1', runId: 'none' },
    };
    const withAgentToken = await postApprovals(agentToken, ask);
    expect(withAgentToken.status, withAgentToken.text).to.equal(401);
    // Nor can it mint the proxy's token (audience agentgate-proxy) for its service account.
    const minted = await asAgent([
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
      'pod-a',
    ]);
    expect(minted.code, minted.stdout).to.not.equal(0);
    expect(minted.stderr).to.match(/forbidden/i);
    const podToken = readFileSync(pods['pod-a']!.tokenFile, 'utf8').trim();
    const namingPolicy = await postApprovals(podToken, { ...ask, policy: 'lenient' });
    expect(namingPolicy.status, namingPolicy.text).to.equal(400);
    const namingPod = await postApprovals(podToken, {
      ...ask,
      requester: { ...ask.requester, pod: 'pod-b', serviceAccount: `${NS}/other` },
    });
    expect(namingPod.status, namingPod.text).to.equal(400);
    // Through the proxy: the request names the pod's policy, pod, uid and service account; lenient's approver does not count.
    const refused = await sql('pod-a', 'UPDATE scratch SET v = 1');
    const apr = (await requests()).find((a) => a.metadata.name === named(refused));
    expect(apr.spec.policy).to.equal('billing-agent');
    const podUid = JSON.parse((await c.kubectl(['get', 'pod', 'pod-a', '-n', NS, '-o', 'json'])).stdout).metadata.uid;
    expect(apr.spec.requester).to.deep.include({
      subject: 'agent-1',
      runId: 'none',
      pod: 'pod-a',
      podUid,
      serviceAccount: `${NS}/billing-agent`,
    });
    expect(apr.metadata.labels['agentgate.dev/pod-uid']).to.equal(podUid);
    const byLenient = await decide(apr.metadata.name, 'dev-user', 'Approved');
    expect(byLenient.stderr).to.contain('dev-user is not an approver for policy billing-agent');
    expect(await scratch()).to.deep.equal([0, 0]);
  });

  it('retries of a pending statement join the open request instead of piling up requests', async () => {
    const statement = 'UPDATE scratch SET v = 2';
    const answers = [await sql('pod-a', statement), await sql('pod-a', statement), await sql('pod-a', statement)];
    const names = new Set(answers.map(named));
    expect(names.size, answers.join('\n')).to.equal(1);
    expect((await requests()).filter((a) => a.spec.command.text === statement)).to.have.length(1);
    expect(await scratch()).to.deep.equal([0, 0]);
  });

  it('a grant asked for by one pod is not usable by another pod of the same agent', async () => {
    const statement = 'UPDATE scratch SET v = 3';
    const name = named(await sql('pod-a', statement));
    expect((await decide(name, 'approver-1', 'Approved')).code).to.equal(0);
    await approved(name);
    await new Promise((r) => setTimeout(r, 500)); // both proxies' watches have seen it
    const fromB = await sql('pod-b', statement);
    expect(fromB).to.match(/is pending/);
    expect(named(fromB)).to.not.equal(name);
    expect(await scratch()).to.deep.equal([0, 0]);
    expect(await sql('pod-a', statement)).to.equal('ran');
    expect(await scratch()).to.deep.equal([3, 3]);
  });

  it('a grant approved for target billing-db does not run on replica-db', async () => {
    const statement = 'UPDATE scratch SET v = 4';
    const name = named(await sql('pod-a', statement, 'billing-db'));
    expect((await decide(name, 'approver-1', 'Approved')).code).to.equal(0);
    await approved(name);
    await new Promise((r) => setTimeout(r, 500));
    const onReplica = await sql('pod-a', statement, 'replica-db');
    expect(onReplica).to.match(/is pending/);
    const replicaRequest = (await requests()).find((a) => a.metadata.name === named(onReplica));
    expect(replicaRequest.spec.target).to.equal('replica-db');
    expect(await scratch()).to.deep.equal([3, 3]);
    expect(await sql('pod-a', statement, 'billing-db')).to.equal('ran');
    expect(await scratch()).to.deep.equal([4, 4]);
  });

  it('a grant approved in one run does not release the same statement in another run of the same agent in the same pod', async () => {
    const runToken = async (): Promise<string> => {
      const actorFile = join(stack.dir, `actor-${Math.random()}`);
      writeFileSync(
        actorFile,
        (
          await c.kubectl([
            'create',
            'token',
            'billing-agent',
            '-n',
            NS,
            '--duration',
            '10m',
            '--audience',
            'agentgate',
            '--bound-object-kind',
            'Pod',
            '--bound-object-name',
            'pod-a',
          ])
        ).stdout.trim(),
      );
      const person = await issueDevToken({
        dir: join(stack.dir, 'idp'),
        issuer: IDP,
        subject: 'alice@example.com',
        audience: 'agentgate-runs',
        ttlSeconds: 600,
      });
      const r = await run(process.execPath, [
        BIN,
        'token',
        'exchange',
        '--url',
        operatorUrl,
        '--subject-token',
        person,
        '--actor-token-file',
        actorFile,
        '--ca',
        join(stack.dir, 'operator-ca.crt'),
        '--resource',
        `${NS}/billing-agent`,
      ]);
      return r.stdout.trim();
    };
    const [runA, runB] = [await runToken(), await runToken()];
    const statement = 'UPDATE scratch SET v = 5';
    const name = named(await sql('pod-a', statement, 'billing-db', runA));
    const asked = (await requests()).find((a) => a.metadata.name === name);
    expect(asked.spec.requester.triggeredBy).to.equal('alice@example.com');
    expect(asked.spec.requester.runId).to.not.equal('none');
    expect((await decide(name, 'approver-1', 'Approved')).code).to.equal(0);
    await approved(name);
    await new Promise((r) => setTimeout(r, 500));
    const inRunB = await sql('pod-a', statement, 'billing-db', runB);
    expect(inRunB).to.match(/is pending/);
    expect(named(inRunB)).to.not.equal(name);
    expect(await scratch()).to.deep.equal([4, 4]);
    expect(await sql('pod-a', statement, 'billing-db', runA)).to.equal('ran');
    expect(await scratch()).to.deep.equal([5, 5]);
  });

  it('in Hold mode, sessions holding the same statement wait on one request, and a one-shot approval runs it once', async () => {
    const statement = 'UPDATE scratch SET v = v + 1';
    const hold = structuredClone(policy);
    hold.spec.approval!.mode = 'Hold';
    pods['pod-a']!.proxy.updatePolicy(hold);
    try {
      const first = sql('pod-a', statement);
      const apr = await eventually(
        'a request',
        async () => (await requests()).find((a) => a.spec.command.text === statement),
        30_000,
        100,
      );
      const second = sql('pod-a', statement);
      await new Promise((r) => setTimeout(r, 1000));
      expect((await requests()).filter((a) => a.spec.command.text === statement)).to.have.length(1);
      expect((await decide(apr.metadata.name, 'approver-1', 'Approved')).code).to.equal(0);
      const results = await Promise.all([first, second]);
      expect(
        results.filter((r) => r === 'ran'),
        results.join('\n'),
      ).to.have.length(1);
      expect(results.find((r) => r !== 'ran')).to.contain('already used');
      expect(await scratch()).to.deep.equal([6, 6]);
    } finally {
      pods['pod-a']!.proxy.updatePolicy(structuredClone(policy));
    }
  });

  it('creation is limited per pod: at most 5 pending requests; the next statement is refused naming the limit, and other pods are not affected', async () => {
    const answers: string[] = [];
    for (let i = 0; i < 6; i++) answers.push(await sql('pod-c', `UPDATE scratch SET v = ${100 + i}`));
    expect(
      answers.slice(0, 5).every((a) => /is pending/.test(a)),
      answers.join('\n'),
    ).to.equal(true);
    expect(answers[5]).to.match(
      /approval request could not be created \(.*pending approval requests \(at most 5\).*\); nothing was executed/,
    );
    const uid = JSON.parse((await c.kubectl(['get', 'pod', 'pod-c', '-n', NS, '-o', 'json'])).stdout).metadata.uid;
    expect((await requests()).filter((a) => a.spec.requester.podUid === uid)).to.have.length(5);
    expect(await sql('pod-b', 'UPDATE scratch SET v = 200')).to.match(/is pending/);
    expect(await scratch()).to.deep.equal([6, 6]);
  });
});
