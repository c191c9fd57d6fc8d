/**
 * One AgentAccessPolicy, two protocols, on the real API server: the policy (applied with kubectl)
 * holds a PostgreSQL target (the embedded PostgreSQL) and an HTTP target (json-server, an API nobody
 * here wrote). A pod created with kubectl gets the sidecar injected by the operator's webhook; the
 * injected container is then run as a kubelet would run it: its volumes materialized (Secrets, the
 * projected pod-bound tokens), its args and env as admission wrote them, the real `agentgate proxy
 * --policy-ref` process. The agent uses the env the injector gave its container. Only 127.0.0.1.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import pg from 'pg';
import { stringify } from 'yaml';
import { Operator } from '../../operator/operator.js';
import { startLocalStack, AGENT_DB_PASSWORD, type LocalStack } from '../../proxy/local/stack.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { freePort, run, waitHttp } from '../support/http-tools.js';
import { eventually, ns, testCluster, type TestCluster, createSecret } from './cluster.js';

const NS = ns('e2e-onepolicy');
const CONFIG = ns('agentgate-onepolicy');
const BIN = new URL('../../bin/agentgate.js', import.meta.url).pathname;
const JSON_SERVER = new URL('../../node_modules/json-server/lib/cli/bin.js', import.meta.url).pathname;
const UPSTREAM_TOKEN = 'crm-upstream-secret-91c2';

const customers = (): unknown[] =>
  Array.from({ length: 5 }, (_, i) => ({
    id: i + 1,
    name: `Customer ${i + 1}`,
    email: `customer${i + 1}@example.com`,
    card_number: '4111 1111 1111 1111',
  }));

describe('one policy guards a database and an HTTP API: injected sidecar on the real API server', function () {
  this.timeout(180_000);
  let c: TestCluster;
  let op: Operator;
  let stack: LocalStack;
  let js: ChildProcess;
  let jsPort: number;
  let dir: string;
  let created: V1Pod;
  let proxyProc: ChildProcess | undefined;
  let proxyLogs = '';
  let proxyExit: Promise<unknown>;
  let agentEnv: Record<string, string>;
  let auditFile: string;

  /** What the kubelet does for a container: its volumes under `root` (Secrets, ConfigMaps, projected pod-bound tokens, emptyDirs). */
  const materialize = async (pod: V1Pod, container: V1Container, root: string): Promise<(s: string) => string> => {
    const mounts = container.volumeMounts ?? [];
    for (const m of mounts) {
      const vol = pod.spec!.volumes!.find((v) => v.name === m.name)!;
      const at = join(root, m.mountPath);
      mkdirSync(at, { recursive: true });
      const write = (path: string, data: Buffer | string): void => {
        mkdirSync(dirname(join(at, path)), { recursive: true });
        writeFileSync(join(at, path), data);
      };
      if (vol.secret) {
        const s = JSON.parse(
          (await c.kubectl(['get', 'secret', vol.secret.secretName!, '-n', NS, '-o', 'json'])).stdout,
        );
        for (const it of vol.secret.items!) write(it.path, Buffer.from(s.data[it.key], 'base64'));
      } else if (vol.configMap) {
        const r = await c.kubectl(['get', 'configmap', vol.configMap.name!, '-n', NS, '-o', 'json']);
        if (r.code === 0)
          for (const it of vol.configMap.items ?? []) write(it.path, JSON.parse(r.stdout).data?.[it.key] ?? '');
      } else if (vol.projected) {
        // (The API server's own kube-api-access volume also holds its CA and namespace: not needed here.)
        for (const src of vol.projected.sources!) {
          const t = src.serviceAccountToken;
          if (!t) continue;
          const tok = await c.kubectl([
            'create',
            'token',
            pod.spec!.serviceAccountName!,
            '-n',
            NS,
            '--audience',
            t.audience!,
            '--duration',
            `${t.expirationSeconds}s`,
            '--bound-object-kind',
            'Pod',
            '--bound-object-name',
            pod.metadata!.name!,
            '--bound-object-uid',
            pod.metadata!.uid!,
          ]);
          expect(tok.code, tok.stderr).to.equal(0);
          write(t.path, tok.stdout.trim());
        }
      } else expect(vol.emptyDir, `volume ${vol.name}`).to.not.equal(undefined);
    }
    // Paths inside the container (in a mount, or a directory holding mounts) are under `root` on this machine.
    const within = (a: string, b: string): boolean => a === b || a.startsWith(`${b}/`);
    return (s) => (mounts.some((m) => within(s, m.mountPath) || within(m.mountPath, s)) ? join(root, s) : s);
  };
  const envOf = (pod: V1Pod, container: V1Container, path: (s: string) => string): Record<string, string> => {
    const fields: Record<string, string> = {
      'metadata.name': pod.metadata!.name!,
      'metadata.namespace': pod.metadata!.namespace!,
      'metadata.uid': pod.metadata!.uid!,
    };
    return Object.fromEntries(
      (container.env ?? []).map((e) => [
        e.name,
        e.value !== undefined ? path(e.value) : fields[e.valueFrom!.fieldRef!.fieldPath]!,
      ]),
    );
  };
  const agentToken = (): string => readFileSync(agentEnv.AGENTGATE_TOKEN_FILE!, 'utf8');
  const db = async (): Promise<pg.Client> => {
    const client = new pg.Client({
      host: agentEnv.PGHOST,
      port: Number(agentEnv.PGPORT),
      database: agentEnv.PGDATABASE,
      user: 'agent',
      password: agentToken(),
    });
    await client.connect();
    return client;
  };
  const crm = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${agentEnv.AGENTGATE_CRM_URL}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${agentToken()}`, ...(init.headers as Record<string, string> | undefined) },
    });
  const chain = (): any[] =>
    readFileSync(auditFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));

  before(async function () {
    this.timeout(1_200_000);
    c = await testCluster();
    dir = mkdtempSync(join(tmpdir(), 'agentgate-onepolicy-'));
    await c.kubectl(['create', 'namespace', NS]);
    await c.kubectl(['label', 'namespace', NS, 'agentgate.dev/injection=enabled']);
    await c.kubectl(['create', 'serviceaccount', 'billing-agent', '-n', NS]);
    await createSecret(c, NS, 'billing-db-credentials', { password: AGENT_DB_PASSWORD });
    await createSecret(c, NS, 'crm-credentials', { token: UPSTREAM_TOKEN });
    // Approvers may patch ApprovalRequests; the webhook decides whose decision counts.
    await c.kubectl(['apply', '-f', '-'], {
      input: stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: CONFIG },
        rules: [
          { apiGroups: ['agentgate.dev'], resources: ['approvalrequests'], verbs: ['get', 'list', 'watch', 'patch'] },
        ],
      }),
    });
    await c.kubectl([
      'create',
      'rolebinding',
      'approvers',
      '-n',
      NS,
      `--clusterrole=${CONFIG}`,
      '--group=agentgate:approvers',
    ]);

    stack = await startLocalStack();
    await stack.proxy.stop();
    const jsDir = mkdtempSync(join(tmpdir(), 'json-server-'));
    writeFileSync(join(jsDir, 'db.json'), JSON.stringify({ customers: customers(), refunds: [] }));
    jsPort = await freePort();
    js = spawn(
      process.execPath,
      [JSON_SERVER, '--host', '127.0.0.1', '--port', String(jsPort), '--quiet', join(jsDir, 'db.json')],
      { stdio: 'ignore' },
    );
    await waitHttp(`http://127.0.0.1:${jsPort}/customers/1`);

    const clusterIssuer = JSON.parse(
      (await c.kubectl(['get', '--raw', '/.well-known/openid-configuration'])).stdout,
    ).issuer;
    const pgTarget = stack.policy.spec.targets[0]!;
    const policy: AgentAccessPolicy = structuredClone(stack.policy);
    policy.metadata = { name: 'billing-agent', namespace: NS };
    policy.spec.subjects = { serviceAccounts: [{ name: 'billing-agent' }] };
    policy.spec.identity = {
      issuers: [{ issuer: clusterIssuer, audiences: ['agentgate'], kubernetes: true }],
      maxTokenLifetimeSeconds: 900,
    };
    policy.spec.targets = [
      {
        ...pgTarget,
        listen: `127.0.0.1:${await freePort()}`,
        credentials: { secretRef: { name: 'billing-db-credentials' } },
      } as never,
      {
        name: 'crm',
        protocol: 'http',
        listen: `127.0.0.1:${await freePort()}`,
        upstream: { url: `http://127.0.0.1:${jsPort}` },
        credentials: { secretRef: { name: 'crm-credentials', key: 'token' }, scheme: 'bearer' },
        maskFields: [{ path: 'card_number' }],
      } as never,
    ];
    policy.spec.rules = [
      ...policy.spec.rules!,
      {
        name: 'no-deletes',
        when: { http: { methods: ['DELETE'] } },
        action: 'Deny',
        message: 'customers are never deleted by agents',
      },
      {
        name: 'big-refunds',
        when: { http: { methods: ['POST'], paths: ['/refunds'], cel: 'request.body.amount > 100' } },
        action: 'RequireApproval',
      },
    ] as never;
    policy.spec.approval = {
      mode: 'Hold',
      timeoutSeconds: 60,
      approvers: { groups: ['agentgate:approvers'] },
      requiredApprovals: 1,
      grant: { ttlSeconds: 0 },
      retentionSeconds: 3600,
    };
    const applied = await c.kubectl(['apply', '-f', '-'], { input: stringify(policy) });
    expect(applied.code, applied.stderr).to.equal(0);

    const apiPort = await freePort();
    op = new Operator({
      kc: c.kc,
      leaseNamespace: NS,
      watchNamespace: NS,
      healthAddress: { host: '127.0.0.1', port: 0 },
      webhook: {
        host: '127.0.0.1',
        port: 0,
        apiPort,
        publicUrl: `https://127.0.0.1:${apiPort}`,
        namespace: NS,
        dnsNames: ['localhost'],
        ipAddresses: ['127.0.0.1'],
        configurationName: CONFIG,
        injector: { image: 'ghcr.io/agentgate/agentgate:e2e' },
        auditWitness: {},
      },
    });
    await op.start();
    const hook = (name: string, path: string, rule: object, selector: object) => ({
      name,
      clientConfig: { url: `https://127.0.0.1:${op.webhookAddress!.port}${path}` },
      rules: [rule],
      namespaceSelector: selector,
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
        hook(
          'pods.agentgate.dev',
          '/mutate-pods',
          { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] },
          { matchLabels: { 'agentgate.dev/injection': 'enabled' } },
        ),
        hook(
          'approvals.agentgate.dev',
          '/admit-approvals',
          {
            operations: ['CREATE', 'UPDATE'],
            apiGroups: ['agentgate.dev'],
            apiVersions: ['v1alpha1'],
            resources: ['approvalrequests', 'approvalrequests/status'],
          },
          { matchLabels: { 'kubernetes.io/metadata.name': NS } },
        ),
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
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'agent-pod', namespace: NS, annotations: { 'agentgate.dev/inject': 'true' } },
      spec: {
        serviceAccountName: 'billing-agent',
        containers: [{ name: 'agent', image: 'example.com/agent:1', env: [{ name: 'PGHOST', value: 'db.internal' }] }],
      },
    };
    created = await eventually(
      'pod created through the webhook',
      async () => {
        const r = await c.kubectl(['create', '-f', '-', '-o', 'json'], { input: stringify(pod) });
        return r.code === 0 && (JSON.parse(r.stdout) as V1Pod);
      },
      30_000,
      500,
    );
  });

  after(async () => {
    proxyProc?.kill('SIGTERM');
    js?.kill();
    await stack?.postgres.stop();
    await op?.stop();
    await c?.kubectl(['delete', 'mutatingwebhookconfiguration', CONFIG]);
    await c?.kubectl(['delete', 'clusterrole', CONFIG]);
  });

  it('the injected pod: per-target env for both protocols in the agent, both credentials mounted into the proxy only', () => {
    const proxy = created.spec!.initContainers!.find((x) => x.name === 'agentgate-proxy')!;
    const agent = created.spec!.containers.find((x) => x.name === 'agent')!;
    expect(proxy.args!.slice(0, 3)).to.deep.equal(['proxy', '--policy-ref', `${NS}/billing-agent`]);
    const env = Object.fromEntries(agent.env!.map((e) => [e.name, e.value]));
    const [dbPort, crmPort] = proxy.ports!.filter((p) => p.name !== 'ag-health').map((p) => String(p.containerPort));
    expect(env).to.include({
      PGHOST: '127.0.0.1',
      PGPORT: dbPort,
      PGDATABASE: 'billing',
      PGSSLMODE: 'disable',
      AGENTGATE_BILLING_DB_HOST: '127.0.0.1',
      AGENTGATE_BILLING_DB_PORT: dbPort,
      AGENTGATE_CRM_HOST: '127.0.0.1',
      AGENTGATE_CRM_PORT: crmPort,
      AGENTGATE_CRM_URL: `http://127.0.0.1:${crmPort}`,
      AGENTGATE_TOKEN_FILE: '/var/run/agentgate/token/token',
    });
    expect(
      agent.env!.filter((e) => e.name === 'PGHOST'),
      "the pod's own PGHOST is replaced",
    ).to.have.length(1);
    const secretOf = (mount: string): { secretName?: string; items?: { key: string; path: string }[] } | undefined =>
      created.spec!.volumes!.find((v) => v.name === mount)?.secret;
    const credMounts = proxy.volumeMounts!.filter((m) => m.name.startsWith('agentgate-cred-'));
    expect(credMounts.map((m) => [m.name, m.mountPath, m.readOnly])).to.deep.equal([
      ['agentgate-cred-billing-db', '/var/run/agentgate/credentials/billing-db', true],
      ['agentgate-cred-crm', '/var/run/agentgate/credentials/crm', true],
    ]);
    expect(secretOf('agentgate-cred-billing-db')).to.deep.include({
      secretName: 'billing-db-credentials',
      items: [{ key: 'password', path: 'password' }],
    });
    expect(secretOf('agentgate-cred-crm')).to.deep.include({
      secretName: 'crm-credentials',
      items: [{ key: 'token', path: 'password' }],
    });
    expect(agent.volumeMounts!.map((m) => m.name).filter((n) => n.startsWith('agentgate-cred'))).to.deep.equal([]);
  });

  it('a policy with many targets whose names share a prefix: the injected pod is still one the API server accepts', async () => {
    const many = {
      apiVersion: 'agentgate.dev/v1alpha1',
      kind: 'AgentAccessPolicy',
      metadata: { name: 'many-targets', namespace: NS },
      spec: {
        subjects: { podSelector: { matchLabels: { app: 'many' } } },
        identity: {
          issuers: [
            { issuer: 'https://issuer.example', audiences: ['agentgate'], jwksUri: 'https://issuer.example/jwks' },
          ],
          maxTokenLifetimeSeconds: 900,
        },
        targets: ['customers-api-v1', 'customers-api-v2', 'billing-api-v2', 'health'].map((name, i) => ({
          name,
          protocol: 'http',
          listen: `127.0.0.1:${18100 + i}`,
          upstream: { url: `http://127.0.0.1:${jsPort}` },
        })),
        defaultAction: 'Deny',
      },
    };
    const applied = await c.kubectl(['apply', '-f', '-'], { input: stringify(many) });
    expect(applied.code, applied.stderr).to.equal(0);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'many-pod',
        namespace: NS,
        labels: { app: 'many' },
        annotations: { 'agentgate.dev/inject': 'true', 'agentgate.dev/policy': 'many-targets' },
      },
      spec: { serviceAccountName: 'billing-agent', containers: [{ name: 'agent', image: 'example.com/agent:1' }] },
    };
    // The webhook injects under a Ready policy only: wait for the operator to have validated it.
    const r = await eventually(
      'the pod admitted or refused for another reason than readiness',
      async () => {
        const x = await c.kubectl(['create', '-f', '-', '-o', 'json'], { input: stringify(pod) });
        return !x.stderr.includes('is not Ready') && x;
      },
      30_000,
      300,
    );
    expect(r.code, r.stderr).to.equal(0);
    const ports = (JSON.parse(r.stdout) as V1Pod).spec!.initContainers!.find(
      (x) => x.name === 'agentgate-proxy',
    )!.ports!;
    expect(ports.map((x) => x.containerPort)).to.deep.equal([18100, 18101, 18102, 18103, 15021]);
  });

  it("a target named so that it would replace the agent's AGENTGATE_OPERATOR_URL: the policy is not Ready, no pod is injected under it", async () => {
    const bad = {
      apiVersion: 'agentgate.dev/v1alpha1',
      kind: 'AgentAccessPolicy',
      metadata: { name: 'shadowing', namespace: NS },
      spec: {
        subjects: { podSelector: { matchLabels: { app: 'shadow' } } },
        identity: {
          issuers: [
            { issuer: 'https://issuer.example', audiences: ['agentgate'], jwksUri: 'https://issuer.example/jwks' },
          ],
          maxTokenLifetimeSeconds: 900,
        },
        targets: [
          {
            name: 'operator',
            protocol: 'http',
            listen: '127.0.0.1:18200',
            upstream: { url: `http://127.0.0.1:${jsPort}` },
          },
        ],
        defaultAction: 'Deny',
      },
    };
    expect((await c.kubectl(['apply', '-f', '-'], { input: stringify(bad) })).code).to.equal(0);
    const message = await eventually(
      'the policy refused by the operator',
      async () => {
        const cond = JSON.parse(
          (await c.kubectl(['get', 'aap', 'shadowing', '-n', NS, '-o', 'json'])).stdout,
        ).status?.conditions?.find((x: any) => x.type === 'Ready');
        return cond?.status === 'False' && (cond.message as string);
      },
      30_000,
      300,
    );
    expect(message).to.contain('AGENTGATE_OPERATOR_URL');
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'shadow-pod',
        namespace: NS,
        labels: { app: 'shadow' },
        annotations: { 'agentgate.dev/inject': 'true', 'agentgate.dev/policy': 'shadowing' },
      },
      spec: { serviceAccountName: 'billing-agent', containers: [{ name: 'agent', image: 'example.com/agent:1' }] },
    };
    const r = await c.kubectl(['create', '-f', '-'], { input: stringify(pod) });
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain('is not Ready');
  });

  it('the real `agentgate proxy --policy-ref` starts as the injected container says', async () => {
    const proxy = created.spec!.initContainers!.find((x) => x.name === 'agentgate-proxy')!;
    const agent = created.spec!.containers.find((x) => x.name === 'agent')!;
    const proxyPath = await materialize(created, proxy, join(dir, 'proxy-root'));
    const env = envOf(created, proxy, proxyPath);
    agentEnv = envOf(created, agent, await materialize(created, agent, join(dir, 'agent-root')));
    // The kubelet probes the health port from outside the pod; here it is on 127.0.0.1, any port.
    const args = proxy.args!.map((a) => (a === '0.0.0.0:15021' ? '127.0.0.1:0' : proxyPath(a)));
    auditFile = args[args.indexOf('--audit-file') + 1]!;
    expect(auditFile.startsWith(dir)).to.equal(true);
    proxyProc = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, KUBECONFIG: c.kubeconfig, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    proxyExit = new Promise((r) => proxyProc!.once('exit', r));
    proxyProc.stderr!.on('data', (d) => (proxyLogs += d));
    await eventually('proxy ready', async () => proxyLogs.includes('"message":"ready"'), 60_000, 200).catch((e) => {
      throw new Error(`${(e as Error).message}\n${proxyLogs}`);
    });
  });

  it('SQL: a statement allowed, one denied with 42501', async () => {
    const client = await db();
    expect((await client.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).to.be.greaterThan(0);
    const err = await client.query('SELECT * FROM payroll.salaries').then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );
    expect(err?.code).to.equal('42501');
    expect(err?.message).to.contain('payroll');
    await client.end();
  });

  it('HTTP: a GET allowed and masked; a DELETE denied with a problem+json 403; the API keeps the record', async () => {
    const r = await crm('/customers/3');
    expect(r.status).to.equal(200);
    const body = (await r.json()) as { email: string; card_number: string; name: string };
    expect(body).to.include({ name: 'Customer 3', email: '[redacted:email]', card_number: '[redacted:card_number]' });
    const del = await crm('/customers/2', { method: 'DELETE' });
    expect(del.status).to.equal(403);
    expect(del.headers.get('content-type')).to.equal('application/problem+json');
    const p = (await del.json()) as { status: number; rule: string; detail: string };
    expect(p).to.include({ status: 403, rule: 'no-deletes' });
    expect(p.detail).to.contain('customers are never deleted by agents');
    expect((await fetch(`http://127.0.0.1:${jsPort}/customers/2`)).status).to.equal(200);
    // Without the agent's token nothing is forwarded.
    expect((await fetch(`${agentEnv.AGENTGATE_CRM_URL}/customers/1`)).status).to.equal(401);
  });

  it('a token of the same service account bound to another pod is refused on both protocols', async () => {
    const other = await c.kubectl(['create', '-f', '-', '-o', 'json'], {
      input: stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'other-pod', namespace: NS },
        spec: { serviceAccountName: 'billing-agent', containers: [{ name: 'agent', image: 'example.com/agent:1' }] },
      }),
    });
    expect(other.code, other.stderr).to.equal(0);
    const stolen = (
      await c.kubectl([
        'create',
        'token',
        'billing-agent',
        '-n',
        NS,
        '--audience',
        'agentgate',
        '--duration',
        '10m',
        '--bound-object-kind',
        'Pod',
        '--bound-object-name',
        'other-pod',
      ])
    ).stdout.trim();
    const client = new pg.Client({
      host: agentEnv.PGHOST,
      port: Number(agentEnv.PGPORT),
      database: agentEnv.PGDATABASE,
      user: 'agent',
      password: stolen,
    });
    const err = await client.connect().then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );
    expect(err?.code).to.equal('28P01');
    expect(err?.message).to.match(/pod/);
    const r = await fetch(`${agentEnv.AGENTGATE_CRM_URL}/customers/1`, {
      headers: { authorization: `Bearer ${stolen}` },
    });
    expect(r.status).to.equal(401);
    expect(((await r.json()) as { detail: string }).detail).to.match(/pod/);
  });

  it('HTTP RequireApproval (Hold): the request waits until an approver patches the ApprovalRequest with kubectl', async () => {
    const held = crm('/refunds', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customerId: 4, amount: 4000 }),
    });
    const apr = await eventually(
      'a Pending ApprovalRequest for the refund',
      async () => {
        const items = JSON.parse((await c.kubectl(['get', 'apr', '-n', NS, '-o', 'json'])).stdout).items;
        return items.find((a: any) => a.status?.phase === 'Pending' && a.spec.target === 'crm');
      },
      30_000,
      200,
    );
    expect(apr.spec).to.deep.include({ policy: 'billing-agent', rule: 'big-refunds', target: 'crm' });
    expect(apr.spec.command.text).to.contain('POST /refunds');
    expect(apr.spec.requester.subject).to.equal(`system:serviceaccount:${NS}:billing-agent`);
    expect(await (await fetch(`http://127.0.0.1:${jsPort}/refunds`)).json()).to.deep.equal([]);
    const self = await c.kubectl(
      [
        'patch',
        'apr',
        apr.metadata.name,
        '-n',
        NS,
        '--type',
        'merge',
        '-p',
        JSON.stringify({ spec: { decision: 'Approved' } }),
      ],
      { as: 'dev-user' },
    );
    expect(self.code, 'a non-approver').to.not.equal(0);
    const ok = await c.kubectl(
      [
        'patch',
        'apr',
        apr.metadata.name,
        '-n',
        NS,
        '--type',
        'merge',
        '-p',
        JSON.stringify({ spec: { decision: 'Approved', comment: 'ticket 7' } }),
      ],
      { as: 'approver-1' },
    );
    expect(ok.code, ok.stderr).to.equal(0);
    const r = await held;
    expect(r.status).to.equal(201);
    expect(
      ((await (await fetch(`http://127.0.0.1:${jsPort}/refunds`)).json()) as { amount: number }[]).map((x) => x.amount),
    ).to.deep.equal([4000]);
  });

  it('the denials of both protocols are Events on the pod, emitted through the operator', async () => {
    const events = await eventually(
      'StatementDenied Events for both rules',
      async () => {
        const r = await c.kubectl([
          'get',
          'events',
          '-n',
          NS,
          '--field-selector',
          'involvedObject.name=agent-pod,reason=StatementDenied',
          '-o',
          'json',
        ]);
        const items = JSON.parse(r.stdout).items as {
          message: string;
          source?: { component?: string };
          reportingComponent?: string;
        }[];
        return ['payroll', 'no-deletes'].every((rule) => items.some((e) => e.message.includes(`"${rule}"`))) && items;
      },
      30_000,
      300,
    );
    for (const e of events)
      expect(e.message).to.match(/^billing-agent: denied by rule "[a-z-]+"; for review in DeviationReview /);
    // Filed for review under the same rules whichever protocol refused, each with what was refused.
    const drs = JSON.parse((await c.kubectl(['get', 'dr', '-n', NS, '-o', 'json'])).stdout).items as any[];
    const filed = Object.fromEntries(
      drs.map((d) => [`${d.spec.kind}/${d.spec.rule}`, d.status.deviations.map((x: any) => x.statement)]),
    );
    expect(filed).to.deep.include({
      'Denial/payroll': ['SELECT * FROM payroll.salaries'],
      'Denial/no-deletes': ['DELETE /customers/2'],
    });
    expect(filed['IdentityRefused/malformed-token']).to.deep.equal(['connection on target crm from 127.0.0.1']);
    expect(filed['IdentityRefused/pod-binding']).to.have.members([
      'connection on target billing-db from 127.0.0.1',
      'connection on target crm from 127.0.0.1',
    ]);
  });

  it("the sidecar's metrics count both targets' decisions", async () => {
    const port =
      /"message":"health and metrics"[^\n]*"address":"[\d.]+:(\d+)"/.exec(proxyLogs)?.[1] ??
      /"address":"[\d.]+:(\d+)"[^\n]*"message":"health and metrics"/.exec(proxyLogs)?.[1];
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).to.equal(200);
    const m = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(m).to.match(/agentgate_proxy_statements_total\{target="billing-db",decision="Deny",enforced="true"\} 1/);
    // HTTP requests have their own counter, by method; none is counted as a statement. The POST ran under
    // its approval: RequireApproval, not enforced.
    expect(m).to.match(
      /agentgate_proxy_http_requests_total\{target="crm",method="DELETE",decision="Deny",enforced="true"\} 1/,
    );
    expect(m).to.match(
      /agentgate_proxy_http_requests_total\{target="crm",method="POST",decision="RequireApproval",enforced="false"\} 1/,
    );
    expect(m).to.match(
      /agentgate_proxy_http_requests_total\{target="crm",method="GET",decision="Allow",enforced="false"\} 1/,
    );
    expect(m).to.not.match(/agentgate_proxy_statements_total\{target="crm"/);
  });

  it('a policy change applied with kubectl reaches both protocols of the running sidecar', async () => {
    const live = JSON.parse(
      (await c.kubectl(['get', 'aap', 'billing-agent', '-n', NS, '-o', 'json'])).stdout,
    ) as AgentAccessPolicy;
    live.spec.rules = [
      { name: 'no-customer-reads', when: { http: { methods: ['GET'], paths: ['/customers/**'] } }, action: 'Deny' },
      { name: 'no-orders', when: { sql: { tables: ['orders'] } }, action: 'Deny' },
      ...live.spec.rules!,
    ] as never;
    const applied = await c.kubectl(['apply', '-f', '-'], {
      input: stringify({
        apiVersion: live.apiVersion,
        kind: live.kind,
        metadata: { name: 'billing-agent', namespace: NS },
        spec: live.spec,
      }),
    });
    expect(applied.code, applied.stderr).to.equal(0);
    await eventually(
      'the HTTP rule in force',
      async () => {
        const r = await crm('/customers/4');
        return r.status === 403 && ((await r.json()) as { rule: string }).rule === 'no-customer-reads';
      },
      30_000,
      300,
    );
    const client = await db();
    const err = await client.query('SELECT count(*) FROM orders').then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );
    expect(err?.code).to.equal('42501');
    await client.end();
  });

  it('one audit chain holds both protocols; `agentgate audit verify --cluster` passes it', async () => {
    proxyProc!.kill('SIGTERM');
    await proxyExit;
    proxyProc = undefined;
    const recs = chain();
    recs.forEach((r, i) => expect(r.seq, 'one chain, no gaps').to.equal(recs[0].seq + i));
    const decisions = recs.filter((r) => r.event.action === 'statement.decision');
    const sql = decisions.find((r) => r.target === 'billing-db' && r.rule?.name === 'payroll')!;
    expect(sql).to.deep.include({ decision: 'Deny', enforced: true });
    expect(sql.db.query.text).to.contain('payroll.salaries');
    expect(decisions.find((r) => r.target === 'billing-db' && r.decision === 'Allow')).to.not.equal(undefined);
    const del = decisions.find((r) => r.target === 'crm' && r.rule?.name === 'no-deletes')!;
    expect(del).to.deep.include({ decision: 'Deny', enforced: true, protocol: 'http' });
    expect(del.http).to.include({ method: 'DELETE', path: '/customers/2' });
    const read = decisions.find((r) => r.target === 'crm' && r.http?.path === '/customers/3')!;
    expect(read.decision).to.equal('Allow');
    expect(
      recs.find((r) => r.event.action === 'statement.completion' && r.decisionSeq === read.seq).maskedValues,
    ).to.be.greaterThan(1);
    const approved = decisions.find((r) => r.target === 'crm' && r.rule?.name === 'big-refunds')!;
    expect(approved).to.deep.include({ decision: 'RequireApproval', enforced: false });
    expect(recs.some((r) => r.event.action === 'approval.decided' && r.event.outcome === 'success')).to.equal(true);
    expect(
      recs
        .map((r) => r.principal?.sub)
        .filter(Boolean)
        .every((s: string) => s === `system:serviceaccount:${NS}:billing-agent`),
    ).to.equal(true);
    for (const secret of [UPSTREAM_TOKEN, AGENT_DB_PASSWORD, 'customer3@example.com'])
      expect(readFileSync(auditFile, 'utf8')).to.not.contain(secret);
    const v = await run(
      process.execPath,
      [BIN, 'audit', 'verify', auditFile, '--cluster', '--operator-namespace', NS],
      { KUBECONFIG: c.kubeconfig },
    );
    expect(v.code, `${v.stdout}${v.stderr}`).to.equal(0);
    expect(v.stdout).to.match(/^ok:/m).and.contain('signed checkpoint');
  });
});
