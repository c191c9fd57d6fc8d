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
import { readFileSync, writeFileSync } from 'node:fs';
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

const NS = ns('rv-apr');
const SYSTEM = ns('rv-apr-sys');
const CONFIG = ns('rv-apr-cfg');
const CHART = new URL('../../charts/agentgate', import.meta.url).pathname;
const BIN = new URL('../../bin/agentgate.js', import.meta.url).pathname;
const IDP = 'https://idp.example';
const run = promisify(execFile);

describe('review: what approvers are shown of a held statement', function () {
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

  it('R6 (medium, class 1): the Command column approvers see in `kubectl get apr` names the write, not a comment the agent put in front of it', async () => {
    // The agent pads a comment so that the 100-character summary (the CRD's Command column) reads as a count.
    const statement =
      '/* SELECT count(*) FROM scratch -- read-only monthly report, changes nothing, safe to approve. */ UPDATE scratch SET v = 9';
    const refused = await sql('pod-a', statement);
    const name = named(refused);
    const listed = await c.kubectl(['get', 'apr', name, '-n', NS], { as: 'approver-1' });
    expect(listed.code, listed.stderr).to.equal(0);
    // What the approver saw, and what they approve by name:
    const seen = listed.stdout;
    expect((await decide(name, 'approver-1', 'Approved')).code).to.equal(0);
    await approved(name);
    await new Promise((r) => setTimeout(r, 500));
    expect(await sql('pod-a', statement)).to.equal('ran');
    expect(await scratch()).to.deep.equal([9, 9]);
    expect(seen, `kubectl get apr showed:\n${seen}`).to.match(/UPDATE/);
    expect(seen, 'the Command column leads with the classification').to.match(/UPDATE scratch \(write\)/);
    expect(seen, 'comments are not shown, literals are masked').to.not.match(/read-only|safe to approve|= 9/);
  });

  it('R8 (high, class 1): the person who triggered the run cannot approve its statement under their Kubernetes (OIDC) username', async () => {
    // alice triggers a run (her IdP token, sub alice@example.com, exchanged at the operator with the pod's token).
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
    const runA = (
      await run(process.execPath, [
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
      ])
    ).stdout.trim();
    const statement = 'UPDATE scratch SET v = 11';
    const name = named(await sql('pod-a', statement, 'billing-db', runA));
    const asked = (await requests()).find((a) => a.metadata.name === name);
    expect(asked.spec.requester.triggeredBy).to.equal('alice@example.com');
    expect(asked.spec.requester.triggeredByUsernames, 'the operator records her Kubernetes username').to.deep.equal([
      `${IDP}#alice@example.com`,
    ]);
    // The same alice, signed in to the API server through the same IdP: kube-apiserver's OIDC
    // authenticator names her "<issuer>#<sub>" (the default --oidc-username-prefix for a non-email
    // claim). The authenticator's output is simulated with impersonation (no OIDC on this test cluster);
    // she is in the approvers group as an approver of this policy.
    const alice = ['--as', `${IDP}#alice@example.com`, '--as-group', 'agentgate:approvers'];
    const self = await c.kubectl([
      'patch',
      'apr',
      name,
      '-n',
      NS,
      '--type',
      'merge',
      '-p',
      JSON.stringify({ spec: { decision: 'Approved', comment: 'lgtm' } }),
      ...alice,
    ]);
    let ran = false;
    if (self.code === 0) {
      await approved(name);
      await new Promise((r) => setTimeout(r, 500));
      ran = (await sql('pod-a', statement, 'billing-db', runA)) === 'ran';
    }
    expect(
      { admitted: self.code === 0, ran },
      `the person who triggered the run approved it herself: ${self.stdout}${self.stderr}`,
    ).to.deep.equal({ admitted: false, ran: false });
  });

  it('R8 (email claim): a person the API server names by email (as the policy states) cannot approve; the fallback also refuses <prefix>:<sub>', async () => {
    const mapped = structuredClone(policy);
    mapped.spec.identity.triggerIssuers = [
      { ...mapped.spec.identity.triggerIssuers![0]!, kubernetesUsername: { claim: 'email' } },
    ];
    await apply(mapped);
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
          'pod-c',
        ])
      ).stdout.trim(),
    );
    const person = await issueDevToken({
      dir: join(stack.dir, 'idp'),
      issuer: IDP,
      subject: 'u-42',
      audience: 'agentgate-runs',
      ttlSeconds: 600,
      claims: { email: 'Bob@Example.com', email_verified: true },
    });
    const runC = (
      await run(process.execPath, [
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
      ])
    ).stdout.trim();
    const name = named(await sql('pod-c', 'UPDATE scratch SET v = 12', 'billing-db', runC));
    const asked = (await requests()).find((a) => a.metadata.name === name);
    expect(asked.spec.requester).to.deep.include({
      triggeredBy: 'u-42',
      triggeredByEmail: 'Bob@Example.com',
      triggeredByUsernames: [`${IDP}#u-42`, 'Bob@Example.com'],
    });
    for (const as of ['Bob@Example.com', 'bob@example.com', 'oidc:u-42']) {
      const self = await c.kubectl([
        'patch',
        'apr',
        name,
        '-n',
        NS,
        '--type',
        'merge',
        '-p',
        JSON.stringify({ spec: { decision: 'Approved' } }),
        '--as',
        as,
        '--as-group',
        'agentgate:approvers',
      ]);
      expect(self.code, `${as}: ${self.stdout}`).to.not.equal(0);
      expect(self.stderr).to.contain('no self-approval');
    }
    await apply(policy);
  });

  it('R9 (medium, class 11/1): a one-shot grant runs once: never when its use cannot be recorded, not again after the sidecar restarts', async () => {
    const statement = 'UPDATE scratch SET v = v + 100';
    const name = named(await sql('pod-b', statement));
    expect((await decide(name, 'approver-1', 'Approved')).code).to.equal(0);
    await approved(name);
    await new Promise((r) => setTimeout(r, 500));
    const before = (await scratch())[0]!;
    const podUid = JSON.parse((await c.kubectl(['get', 'pod', 'pod-b', '-n', NS, '-o', 'json'])).stdout).metadata.uid;
    /** The sidecar restarts (crash, OOM, node pressure): a new process, same pod (POD_UID), the same API server. */
    const restart = async (url: string): Promise<void> => {
      await pods['pod-b']!.proxy.stop();
      await pods['pod-b']!.broker.stop();
      const broker = new KubeApprovals({
        kc: c.kc,
        namespace: NS,
        policy: 'billing-agent',
        podUid,
        operator: { url, tokenFile: pods['pod-b']!.tokenFile, ca, timeoutMs: 2_000 },
      });
      await broker.start();
      const proxy = await GuardProxy.start({
        policy: structuredClone(policy),
        auditFile: `${stack.dir}/pod-b-audit-${Math.random()}.log`,
        env: { BILLING_DB_PASSWORD: 'agent-local-password' },
        listenOverride: { 'billing-db': '127.0.0.1:0', 'replica-db': '127.0.0.1:0' },
        approvals: broker,
        pod: { name: 'pod-b', namespace: NS, uid: podUid },
        runTokenIssuer: operatorUrl,
      });
      pods['pod-b'] = { proxy, broker, tokenFile: pods['pod-b']!.tokenFile };
    };
    // The operator out of reach (the threat model's third case): the use cannot be recorded, so it does not run.
    await restart('https://127.0.0.1:1');
    const unrecorded = await sql('pod-b', statement);
    expect(unrecorded)
      .to.include(name)
      .and.to.match(/could not be recorded/);
    expect((await scratch())[0]! - before).to.equal(0);
    // The operator reachable again: the grant runs once, recorded Used before the statement ran.
    await restart(operatorUrl);
    expect(await sql('pod-b', statement)).to.equal('ran');
    expect(await sql('pod-b', statement)).to.not.equal('ran');
    await restart(operatorUrl);
    const again = await sql('pod-b', statement);
    const phase = (await requests()).find((a) => a.metadata.name === name)?.status?.phase;
    expect({
      again: again === 'ran' ? 'ran' : 'refused',
      executions: ((await scratch())[0]! - before) / 100,
      phase,
    }).to.deep.equal({ again: 'refused', executions: 1, phase: 'Used' });
  });
});
