/**
 * The sidecar's memory as the operator injects it: `agentgate proxy --policy-ref` in cluster mode, against
 * the local control plane of test/cluster (a real kube-apiserver), with the operator running and the
 * agent's pod-bound service-account token. The bench's main proxy reads its policy from a file (local mode)
 * and so never loads the Kubernetes client; this one does. Prints RSS idle after start, with `sessions`
 * open sessions, and after they closed. The caller stops the control plane (`releaseTestCluster`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import { Operator } from '../../operator/operator.js';
import { freePort } from '../../proxy/local/embedded-postgres.js';
import { AGENT_DB_PASSWORD, startLocalStack } from '../../proxy/local/stack.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { eventually, ns, testCluster } from '../e2e/cluster.js';

export interface ClusterSidecarOptions {
  /** The script the proxy runs from, and the node flags and environment it runs with. */
  entry: string;
  nodeArgs?: string[];
  env?: Record<string, string>;
  sessions: number;
  /** Called once idle after start, with the proxy's pid and health port, e.g. to read its /metrics. */
  atIdle?: (pid: number, healthPort: number) => Promise<void>;
}

export interface ClusterSidecarMemory {
  idleMiB: number;
  sessionsMiB: number;
  afterMiB: number;
  /** The proxy's log lines (JSON), and its audit trail: what it said it loaded and decided. */
  log: string;
  audit: string;
}

const rssMiB = (pid: number): number =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function clusterSidecarMemory(o: ClusterSidecarOptions): Promise<ClusterSidecarMemory> {
  const NS = ns('bench-sidecar');
  const OPNS = ns('bench-sidecar-system');
  const c = await testCluster();
  const dir = mkdtempSync(join(tmpdir(), 'agentgate-bench-sidecar-'));
  const stack = await startLocalStack();
  let op: Operator | undefined;
  let proxy: ChildProcess | undefined;
  const kubectl = async (args: string[], input?: string): Promise<string> => {
    const r = await c.kubectl(args, input === undefined ? {} : { input });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  try {
    await stack.proxy.stop();
    for (const n of [NS, OPNS]) await kubectl(['create', 'namespace', n]);
    await kubectl(['create', 'serviceaccount', 'billing-agent', '-n', NS]);
    await kubectl(
      ['create', '-f', '-'],
      stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: 'agent-pod',
          namespace: NS,
          annotations: { 'agentgate.dev/status': JSON.stringify({ policy: `${NS}/billing-agent` }) },
        },
        spec: { serviceAccountName: 'billing-agent', containers: [{ name: 'agent', image: 'example.com/agent:1' }] },
      }),
    );
    const podUid = await kubectl(['get', 'pod', 'agent-pod', '-n', NS, '-o', 'jsonpath={.metadata.uid}']);
    op = new Operator({
      kc: c.kc,
      leaseNamespace: OPNS,
      watchNamespace: NS,
      webhook: {
        host: '127.0.0.1',
        port: 0,
        namespace: OPNS,
        dnsNames: ['localhost'],
        ipAddresses: ['127.0.0.1'],
        injector: { image: 'x' },
      },
    });
    await op.start();
    const issuer = (
      JSON.parse(await kubectl(['get', '--raw', '/.well-known/openid-configuration'])) as { issuer: string }
    ).issuer;
    const proxyPort = await freePort();
    const policy: AgentAccessPolicy = structuredClone(stack.policy);
    policy.metadata = { name: 'billing-agent', namespace: NS };
    policy.spec.subjects = { serviceAccounts: [{ name: 'billing-agent' }] };
    policy.spec.identity = {
      issuers: [{ issuer, audiences: ['agentgate'], kubernetes: true }],
      maxTokenLifetimeSeconds: 900,
    };
    policy.spec.targets[0]!.listen = `127.0.0.1:${proxyPort}`;
    await kubectl(['apply', '-f', '-'], stringify(policy));
    await eventually(
      'policy Ready',
      async () =>
        (await kubectl(['get', 'aap', 'billing-agent', '-n', NS, '-o', 'jsonpath={.status.conditions[0].status}'])) ===
        'True',
    );
    const token = (audience: string): Promise<string> =>
      kubectl([
        'create',
        'token',
        'billing-agent',
        '-n',
        NS,
        '--duration',
        '15m',
        '--audience',
        audience,
        '--bound-object-kind',
        'Pod',
        '--bound-object-name',
        'agent-pod',
      ]).then((t) => t.trim());
    const tokenFile = join(dir, 'proxy-token');
    writeFileSync(tokenFile, await token('agentgate-proxy'));

    proxy = spawn(
      process.execPath,
      [
        ...(o.nodeArgs ?? []),
        o.entry,
        'proxy',
        '--policy-ref',
        `${NS}/billing-agent`,
        '--audit-file',
        join(dir, 'audit.log'),
        '--no-audit-stdout',
        '--health-address',
        '127.0.0.1:0',
      ],
      {
        env: {
          ...process.env,
          ...o.env,
          KUBECONFIG: c.kubeconfig,
          POD_NAME: 'agent-pod',
          POD_NAMESPACE: NS,
          POD_UID: podUid,
          AGENTGATE_PROXY_TOKEN_FILE: tokenFile,
          BILLING_DB_PASSWORD: AGENT_DB_PASSWORD,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let log = '';
    proxy.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const started = proxy;
    await eventually('the sidecar ready', async () => log.includes('"message":"ready"'), 60_000, 200).catch((e) => {
      throw new Error(`${(e as Error).message}\n${log}`);
    });
    await sleep(1000);
    const idleMiB = rssMiB(started.pid!);
    const healthPort = Number(/"address":"[\d.]+:(\d+)","level":"\w+","message":"health and metrics"/.exec(log)?.[1]);
    if (o.atIdle) await o.atIdle(started.pid!, healthPort);

    // Each session connects with the agent's token and runs a statement through the sidecar; any that
    // fails fails the run.
    const password = await token('agentgate');
    const clients: pg.Client[] = [];
    let sessionsMiB: number;
    try {
      for (let i = 0; i < o.sessions; i++) {
        const client = new pg.Client({
          host: '127.0.0.1',
          port: proxyPort,
          user: 'agent',
          database: 'billing',
          password,
        });
        clients.push(client);
        await client.connect();
        await client.query('SELECT 1');
      }
      await sleep(1000);
      sessionsMiB = rssMiB(started.pid!);
    } finally {
      await Promise.all(clients.map((x) => x.end().catch(() => undefined)));
    }
    await sleep(1500);
    const afterMiB = rssMiB(started.pid!);
    return { idleMiB, sessionsMiB, afterMiB, log, audit: readFileSync(join(dir, 'audit.log'), 'utf8') };
  } finally {
    if (proxy && proxy.exitCode === null) {
      const exited = new Promise((r) => proxy!.once('exit', r));
      proxy.kill('SIGTERM');
      await exited;
    }
    await op?.stop();
    await stack.postgres.stop();
  }
}
