/**
 * A user with ConfigMap rights in the agents' namespace but no policy rights (dev-user, a Role of
 * ConfigMap verbs only) edits the compiled policy ConfigMap the proxies used to enforce. On a real API
 * server, with the chart's own RBAC for the proxy (the agent's service account) and for the operator
 * (its service account): the policy object is the only source of truth — nothing the ConfigMap says is enforced, a
 * forged change stamp or run-token issuer never reaches the proxy, the operator restores the ConfigMap
 * at once with a CompiledPolicyTampered Event, and the proxy audits the drift (policy.tampered).
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import pg from 'pg';
import { stringify } from 'yaml';
import { Operator } from '../../operator/operator.js';
import { ConfigMapPolicySource } from '../../proxy/cluster/policy-source.js';
import { freePort } from '../../proxy/local/embedded-postgres.js';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { GuardProxy } from '../../proxy/server.js';
import { eventually, ns, testCluster, type TestCluster } from './cluster.js';
import { loopbackWebhook } from './operator-options.js';
import { kubeFeeds } from '../../proxy/cluster/kube-feeds.js';

const NS = ns('e2e-attack-src');
const SYSTEM = ns('agentgate-attack-src');
const CM = 'agentgate-policy-billing-agent';
const CHART = new URL('../../charts/agentgate', import.meta.url).pathname;
const ISSUER_ANNOTATION = 'agentgate.dev/run-token-issuer';

describe('attack: a ConfigMap editor cannot change what the proxy enforces', function () {
  this.timeout(180_000);
  let c: TestCluster;
  let op: Operator;
  let stack: LocalStack;
  let source: ConfigMapPolicySource;
  let guard: GuardProxy | undefined;
  let agentKc: KubeConfig;
  let agentKubeconfig: string;
  let original: any;
  /** The chart's cluster-scoped roles applied here: removed afterwards (helm-rbac installs the chart itself). */
  const chartRbac: string[] = [];
  let policy: AgentAccessPolicy;
  let auditFile: string;

  /** The operator with nothing but the chart's RBAC (its service account's token). */
  let operatorKc: KubeConfig;
  const newOperator = (): Operator =>
    new Operator({
      kc: operatorKc,
      leaseNamespace: SYSTEM,
      watchNamespace: NS,
      healthAddress: { host: '127.0.0.1', port: 0 },
      webhook: {
        ...loopbackWebhook(SYSTEM),
        tokenExchange: {},
        auditWitness: false,
      },
    });
  const configMap = async (): Promise<any> =>
    JSON.parse((await c.kubectl(['get', 'configmap', CM, '-n', NS, '-o', 'json'])).stdout);
  /** As dev-user: ConfigMap rights in the namespace, nothing on policies. */
  const asEditor = (args: string[]) => c.kubectl([...args, '-n', NS], { as: 'dev-user' });
  const forge = async (edit: (doc: any) => void, extra: Record<string, string> = {}): Promise<void> => {
    const doc = JSON.parse((await configMap()).data['policy.json']);
    edit(doc);
    const r = await asEditor([
      'patch',
      'configmap',
      CM,
      '--type',
      'merge',
      '-p',
      JSON.stringify({ data: { 'policy.json': JSON.stringify(doc), ...extra } }),
    ]);
    expect(r.code, r.stderr).to.equal(0);
  };
  const restored = (what: string) =>
    eventually(
      `the operator restores ${what}`,
      async () => {
        const cm = await configMap();
        return JSON.stringify(cm.data) === JSON.stringify(original.data);
      },
      5_000,
      100,
    );
  const ddl = async (): Promise<string> => {
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
    try {
      return await client.query('CREATE TABLE forged_by_configmap (a int)').then(
        () => 'executed',
        (e: Error & { code?: string }) => e.code ?? e.message,
      );
    } finally {
      await client.end();
    }
  };
  const audit = (): any[] => {
    guard!.audit.flush();
    return readFileSync(auditFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
  };
  const events = async (): Promise<any[]> =>
    JSON.parse((await c.kubectl(['get', 'events', '-n', NS, '-o', 'json'])).stdout).items.filter(
      (e: any) => e.reason === 'CompiledPolicyTampered',
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
    // The proxy: the agent's service account with the chart's proxy role, as the README says.
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
    // The attacker: ConfigMap rights in the agents' namespace, no policy rights.
    await c.kubectl([
      'create',
      'role',
      'configmap-editor',
      '-n',
      NS,
      '--verb=get,list,watch,create,update,patch,delete',
      '--resource=configmaps',
    ]);
    await c.kubectl([
      'create',
      'rolebinding',
      'configmap-editor',
      '-n',
      NS,
      '--role=configmap-editor',
      '--user=dev-user',
    ]);
    expect((await asEditor(['auth', 'can-i', 'patch', 'configmaps'])).stdout.trim()).to.equal('yes');
    expect((await asEditor(['auth', 'can-i', 'patch', 'agentaccesspolicies.agentgate.dev'])).stdout.trim()).to.equal(
      'no',
    );
    expect(
      (
        await asEditor(['auth', 'can-i', 'patch', 'agentaccesspolicies.agentgate.dev', '--subresource=status'])
      ).stdout.trim(),
    ).to.equal('no');

    stack = await startLocalStack();
    await stack.proxy.stop();
    auditFile = join(stack.dir, 'src-audit.log');
    const admin = c.kc.getCurrentCluster()!;
    const token = (await c.kubectl(['create', 'token', 'billing-agent', '-n', NS, '--duration', '1h'])).stdout.trim();
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
    agentKc = new KubeConfig();
    agentKc.loadFromFile(agentKubeconfig);

    const operatorToken = (
      await c.kubectl(['create', 'token', 'agentgate-operator', '-n', SYSTEM, '--duration', '1h'])
    ).stdout.trim();
    operatorKc = new KubeConfig();
    operatorKc.loadFromOptions({
      clusters: [
        {
          name: 'c',
          server: admin.server,
          caData: admin.caData,
          ...(admin.caFile ? { caFile: admin.caFile } : {}),
          skipTLSVerify: false,
        },
      ],
      users: [{ name: 'operator', token: operatorToken }],
      contexts: [{ name: 'operator', cluster: 'c', user: 'operator' }],
      currentContext: 'operator',
    });
    op = newOperator();
    await op.start();
    policy = structuredClone(stack.policy);
    policy.metadata = { name: 'billing-agent', namespace: NS };
    expect((await c.kubectl(['apply', '-f', '-'], { input: stringify(policy) })).code).to.equal(0);
    await eventually(
      'policy Ready',
      async () =>
        (await c.kubectl(['get', 'aap', 'billing-agent', '-n', NS, '-o', 'jsonpath={.status.conditions[0].status}']))
          .stdout === 'True',
      30_000,
      200,
    );
    original = await eventually(
      'compiled ConfigMap',
      async () => {
        const cm = await configMap().catch(() => undefined);
        return cm?.data?.['operator-ca.crt'] ? cm : undefined;
      },
      30_000,
      200,
    );
    source = new ConfigMapPolicySource({
      feeds: kubeFeeds(agentKc),
      namespace: NS,
      policy: 'billing-agent',
      onPolicy: (p) => guard?.updatePolicy(p),
      onUnavailable: (r) => guard?.setPolicyUnavailable(r),
      onTampered: (m, d) => guard?.recordPolicyTampered(m, d),
    });
    guard = await GuardProxy.start({
      policy: await source.start(),
      auditFile,
      env: { BILLING_DB_PASSWORD: 'agent-local-password' },
      listenOverride: { 'billing-db': '127.0.0.1:0' },
    });
  });
  after(async () => {
    await source?.stop();
    await guard?.stop();
    await stack?.postgres.stop();
    await op?.stop();
    for (const name of chartRbac) await c?.kubectl(['delete', name, '--ignore-not-found']);
  });

  it('emptying the rules in the ConfigMap changes nothing the proxy enforces: a denied statement stays denied', async () => {
    expect(await ddl()).to.equal('42501');
    const rules = structuredClone(guard!.runtime.policy.spec.rules);
    await forge((doc) => {
      doc.spec.rules = [];
      doc.spec.defaultAction = 'Allow';
    });
    for (let i = 0; i < 10; i++) {
      expect(await ddl(), 'the forged rules are never enforced').to.equal('42501');
      await new Promise((r) => setTimeout(r, 200));
    }
    // A proxy starting now takes its policy from the policy object, not from the ConfigMap.
    await forge((doc) => {
      doc.spec.rules = [];
    });
    const fresh = new ConfigMapPolicySource({
      feeds: kubeFeeds(agentKc),
      namespace: NS,
      policy: 'billing-agent',
      onPolicy: () => undefined,
    });
    const started = await fresh.start();
    await fresh.stop();
    expect(started.spec.rules).to.deep.equal(rules);
    expect(guard!.runtime.policy.spec.rules).to.deep.equal(rules);
    await restored('the rules');
  });

  it('the operator restores an edited, deleted, re-owned or unlabelled ConfigMap within seconds and emits CompiledPolicyTampered naming the field manager', async () => {
    await forge(
      (doc) => {
        doc.spec.rules = [];
      },
      { 'operator-ca.crt': '-----BEGIN CERTIFICATE-----\nforged\n-----END CERTIFICATE-----\n' },
    );
    await restored('rules and operator CA');
    // Under load a repair can be reported more than once; one of the reports names the editor's tool.
    const tampered = await eventually(
      'a CompiledPolicyTampered Event naming the field manager',
      async () =>
        (await events()).find(
          (e) =>
            /its operator CA is not the operator's; restored/.test(e.message) &&
            /was changed by field manager "kubectl-patch"/.test(e.message),
        ),
      10_000,
      100,
    );
    expect(tampered.type).to.equal('Warning');
    expect(tampered.involvedObject).to.include({ kind: 'AgentAccessPolicy', name: 'billing-agent' });
    const deleted = await asEditor(['delete', 'configmap', CM]);
    expect(deleted.code, deleted.stderr).to.equal(0);
    await restored('the deleted ConfigMap');
    // A second owner and a removed label (the ConfigMap then leaves label-selected watches): repaired too.
    const owners = [
      ...original.metadata.ownerReferences,
      { apiVersion: 'v1', kind: 'AgentAccessPolicy', name: 'other', uid: '00000000-0000-0000-0000-000000000000' },
    ];
    const meta = await asEditor([
      'patch',
      'configmap',
      CM,
      '--type',
      'merge',
      '-p',
      JSON.stringify({ metadata: { ownerReferences: owners, labels: { 'agentgate.dev/policy': null } } }),
    ]);
    expect(meta.code, meta.stderr).to.equal(0);
    await eventually(
      'owner and label restored',
      async () => {
        const cm = await configMap();
        return (
          cm.metadata.ownerReferences.length === 1 &&
          cm.metadata.ownerReferences[0].uid === original.metadata.ownerReferences[0].uid &&
          cm.metadata.labels['agentgate.dev/policy'] === 'billing-agent'
        );
      },
      5_000,
      100,
    );
    expect(await ddl()).to.equal('42501');
  });

  it('a forged change stamp never reaches an audit record; the proxy audits the drift as policy.tampered', async () => {
    await forge((doc) => {
      doc.metadata.annotations = {
        ...doc.metadata.annotations,
        'agentgate.dev/changed-by': 'mallory@example.com',
        'agentgate.dev/spec-sha256': 'f'.repeat(64),
        'agentgate.dev/changed-at': new Date().toISOString(),
      };
    });
    const record = await eventually(
      'a policy.tampered record',
      async () => audit().find((r) => r.event.action === 'policy.tampered'),
      5_000,
      100,
    );
    expect(record.event.outcome).to.equal('failure');
    expect(record.detail).to.include({ configMap: `${NS}/${CM}` });
    expect(record.message).to.match(/not what the operator wrote/);
    await restored('the stamp');
    await new Promise((r) => setTimeout(r, 500));
    expect(readFileSync(auditFile, 'utf8')).not.to.contain('mallory@example.com');
    expect(guard!.runtime.change?.changedBy).not.to.equal('mallory@example.com');
  });

  it('a forged run-token issuer is never used by the proxy', async () => {
    const issuer = guard!.runtime.policy.metadata.annotations?.[ISSUER_ANNOTATION];
    expect(issuer, "the operator's issuer, from the policy status").to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
    await forge((doc) => {
      doc.metadata.annotations = { ...doc.metadata.annotations, [ISSUER_ANNOTATION]: 'https://agent-issuer.example' };
    });
    for (let i = 0; i < 10; i++) {
      expect(guard!.runtime.policy.metadata.annotations?.[ISSUER_ANNOTATION]).to.equal(issuer);
      await new Promise((r) => setTimeout(r, 200));
    }
    await restored('the issuer');
  });

  it('while the current generation is invalid, a forged ConfigMap is still never enforced nor started from; it is reported, and restored once the policy is valid again', async () => {
    const invalid = structuredClone(policy);
    invalid.spec.masking!.patterns![0]!.regex = '(a)\\1'; // not RE2: the API server takes it, the operator refuses it
    expect((await c.kubectl(['apply', '-f', '-'], { input: stringify(invalid) })).code).to.equal(0);
    await eventually(
      'policy Invalid',
      async () =>
        (await c.kubectl(['get', 'aap', 'billing-agent', '-n', NS, '-o', 'jsonpath={.status.conditions[0].reason}']))
          .stdout === 'InvalidPolicy',
      30_000,
      200,
    );
    await forge((doc) => {
      doc.spec.rules = [];
      doc.spec.defaultAction = 'Allow';
    });
    for (let i = 0; i < 5; i++) {
      expect(await ddl(), 'the forged rules are never enforced').to.equal('42501');
      await new Promise((r) => setTimeout(r, 200));
    }
    const fresh = new ConfigMapPolicySource({
      feeds: kubeFeeds(agentKc),
      namespace: NS,
      policy: 'billing-agent',
      onPolicy: () => undefined,
    });
    const refused = await fresh.start().then(
      () => 'started',
      (e: Error) => e.message,
    );
    expect(refused).to.match(
      /generation \d+ is not compiled and the compiled ConfigMap does not hold generation \d+ as the operator compiled it/,
    );
    const event = await eventually(
      'a CompiledPolicyTampered Event',
      async () => (await events()).find((e) => /not restored while generation \d+ is invalid/.test(e.message)),
      5_000,
      100,
    );
    expect(event.message).to.match(/changed by field manager "kubectl-patch"/);
    expect((await c.kubectl(['apply', '-f', '-'], { input: stringify(policy) })).code).to.equal(0);
    await eventually(
      'the ConfigMap compiled again from the valid policy',
      async () => {
        const doc = JSON.parse((await configMap()).data['policy.json']);
        return isDeepStrictEqual(doc.spec.rules, policy.spec.rules) && doc.metadata.generation > 2;
      },
      5_000,
      100,
    );
    expect(await ddl()).to.equal('42501');
  });

  it("the real proxy (agentgate proxy --policy-ref, the agent's service account) started while the ConfigMap is forged enforces the policy object and audits the drift", async () => {
    const port = await freePort();
    const cli = structuredClone(policy);
    cli.metadata = { name: 'cli-agent', namespace: NS };
    cli.spec.targets[0]!.listen = `127.0.0.1:${port}`;
    expect((await c.kubectl(['apply', '-f', '-'], { input: stringify(cli) })).code).to.equal(0);
    await eventually(
      'cli-agent compiled',
      async () => (await c.kubectl(['get', 'configmap', 'agentgate-policy-cli-agent', '-n', NS])).code === 0,
      30_000,
      200,
    );
    // Forged before the proxy starts; the operator is stopped meanwhile so the forgery stays in place.
    await op.stop();
    const doc = JSON.parse(
      JSON.parse((await c.kubectl(['get', 'configmap', 'agentgate-policy-cli-agent', '-n', NS, '-o', 'json'])).stdout)
        .data['policy.json'],
    );
    doc.spec.rules = [];
    doc.spec.defaultAction = 'Allow';
    doc.metadata.annotations = {
      ...doc.metadata.annotations,
      'agentgate.dev/changed-by': 'mallory@example.com',
      'agentgate.dev/spec-sha256': 'f'.repeat(64),
    };
    expect(
      (
        await asEditor([
          'patch',
          'configmap',
          'agentgate-policy-cli-agent',
          '--type',
          'merge',
          '-p',
          JSON.stringify({ data: { 'policy.json': JSON.stringify(doc) } }),
        ])
      ).code,
    ).to.equal(0);
    const cliAudit = join(stack.dir, 'cli-audit.log');
    const bin = new URL('../../bin/agentgate.js', import.meta.url).pathname;
    const proc = spawn(
      process.execPath,
      [
        bin,
        'proxy',
        '--policy-ref',
        `${NS}/cli-agent`,
        '--audit-file',
        cliAudit,
        '--no-audit-stdout',
        '--no-recordings',
      ],
      {
        env: { ...process.env, KUBECONFIG: agentKubeconfig, BILLING_DB_PASSWORD: 'agent-local-password' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let logs = '';
    proc.stderr!.on('data', (d) => (logs += d));
    try {
      await eventually('proxy ready', async () => logs.includes('"message":"ready"'), 60_000, 200).catch((e) => {
        throw new Error(`${(e as Error).message}\n${logs}`);
      });
      const client = new pg.Client({
        host: '127.0.0.1',
        port,
        user: 'agent',
        database: 'billing',
        password: await stack.token('agent-1'),
      });
      client.on('error', () => undefined);
      await client.connect();
      const r = await client.query('CREATE TABLE forged_by_configmap (a int)').then(
        () => 'executed',
        (e: Error & { code?: string }) => e.code ?? e.message,
      );
      await client.end();
      expect(r).to.equal('42501');
      const records = await eventually(
        'a policy.tampered record',
        async () => {
          const lines = readFileSync(cliAudit, 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l));
          return lines.some((x) => x.event.action === 'policy.tampered') && lines;
        },
        10_000,
        200,
      );
      expect(JSON.stringify(records)).not.to.contain('mallory@example.com');
    } finally {
      proc.kill('SIGTERM');
      op = newOperator();
      await op.start();
    }
  });
});
