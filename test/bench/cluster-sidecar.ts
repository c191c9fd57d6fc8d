/**
 * The sidecar's memory as the operator injects it, against the local control plane of test/cluster (a real
 * kube-apiserver) with the operator running. The proxy process gets the arguments and environment of the
 * container the injector builds (operator/webhook/inject.ts) for this pod and policy: cluster mode
 * (`--policy-ref`), the operator's URL and CA, the checkpoint witness, the pod-bound proxy token, the
 * database password from the mounted Secret. What a pod provides is replaced by local equivalents: the
 * container's mount paths by directories of its own, the health port by a free loopback one, and the
 * in-cluster service account by test/cluster's admin kubeconfig (no RBAC here; as injected the sidecar
 * reads through the operator and does not use it). The bench's main proxy reads its policy from a file
 * (local mode); this one follows it through the operator's feeds, with the witness and its TLS.
 * Measures RSS idle after start, with `sessions` open sessions (the agent's pod-bound token), and after they
 * closed. The caller stops the control plane (`releaseTestCluster`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import { Operator } from '../../operator/operator.js';
import { injectSidecar } from '../../operator/webhook/inject.js';
import { freePort } from '../../proxy/local/embedded-postgres.js';
import { AGENT_DB_PASSWORD, startLocalStack } from '../../proxy/local/stack.js';
import { AUDIT_DIR, CREDENTIALS_DIR, PROXY_CONTAINER, PROXY_TOKEN_DIR } from '../../shared/contract/sidecar.js';
import { agentPod, clusterAgentPolicy } from '../e2e/agent-objects.js';
import { eventually, kubectlOk, ns, testCluster, createSecret } from '../e2e/cluster.js';
import { podToken, webhookCa } from '../e2e/proxy-credentials.js';
import { memoryLimit, quantityBytes, type MemoryLimit } from './memory-limit.js';
import { rssMiB } from './rss.js';
import { loopbackWebhook } from '../e2e/operator-options.js';

export interface ClusterSidecarOptions {
  /** The script the proxy runs from, and the node flags and environment it runs with. */
  entry: string;
  nodeArgs?: string[];
  env?: Record<string, string>;
  sessions: number;
  /** How long the sidecar is left alone for the settled figures (default SETTLE_SECONDS). */
  settleSeconds?: number;
  /** How long the probed idle window after the settle time is (default IDLE_WINDOW_SECONDS). */
  idleWindowSeconds?: number;
  /** Called once after the idle window, with the proxy's pid and health port, e.g. to read its /metrics. */
  atIdle?: (pid: number, healthPort: number) => Promise<void>;
}

/**
 * Idle, settled: 20 s after start the proxy has given back what start-up left (before "ready", and V8's
 * memory reducer after that collection). Its background work then grows its heap again and it gives that
 * back about once a minute (proxy/idle-memory.ts), so an idle pod is read over a window too.
 */
export const SETTLE_SECONDS = 20;
export const IDLE_WINDOW_SECONDS = 120;

export interface ClusterSidecarMemory {
  /** 1 s after it said it was ready. */
  idleMiB: number;
  /** Left alone for the settle time after start. */
  settledMiB: number;
  /** Then over the idle window, probed: mean and highest of a reading each second. */
  idleWindow: { seconds: number; meanMiB: number; maxMiB: number };
  sessionsMiB: number;
  /** 1.5 s after the sessions closed, and after the settle time. */
  afterMiB: number;
  afterSettledMiB: number;
  /** The memory limit it ran under (the container's), or why not. */
  memory: string;
  /** The measured process's command line; the proxy's log lines (JSON) and audit trail. */
  argv: string[];
  log: string;
  audit: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** One probe as the kubelet makes it: a GET, its answer read; a refused one counts as made. */
async function probe(port: number, path: string): Promise<void> {
  await fetch(`http://127.0.0.1:${port}${path}`)
    .then((r) => r.text())
    .catch(() => undefined);
}

let measurements = 0;

export async function clusterSidecarMemory(o: ClusterSidecarOptions): Promise<ClusterSidecarMemory> {
  // Namespaces are never deleted on the local control plane: each measurement in a process has its own.
  const run = ++measurements;
  const NS = ns(`bench-sidecar${run}`);
  const OPNS = ns(`bench-sidecar${run}-system`);
  const c = await testCluster();
  const dir = mkdtempSync(join(tmpdir(), 'agentgate-bench-sidecar-'));
  const stack = await startLocalStack();
  let op: Operator | undefined;
  let proxy: ChildProcess | undefined;
  let cgroup: MemoryLimit | string | undefined;
  const kubectl = (args: string[], input?: string): Promise<string> => kubectlOk(c, args, input);
  try {
    await stack.proxy.stop();
    for (const n of [NS, OPNS]) await kubectl(['create', 'namespace', n]);
    await kubectl(['create', 'serviceaccount', 'billing-agent', '-n', NS]);
    await createSecret(c, NS, 'billing-db-credentials', { password: AGENT_DB_PASSWORD });
    const pod = agentPod(NS);
    await kubectl(['create', '-f', '-'], stringify(pod));
    const podUid = await kubectl(['get', 'pod', 'agent-pod', '-n', NS, '-o', 'jsonpath={.metadata.uid}']);
    op = new Operator({
      kc: c.kc,
      leaseNamespace: OPNS,
      watchNamespace: NS,
      webhook: loopbackWebhook(OPNS),
    });
    await op.start();
    const proxyPort = await freePort();
    const agent = { namespace: NS, serviceAccount: 'billing-agent' };
    const policy = await clusterAgentPolicy(c, stack.policy, { ...agent, listen: `127.0.0.1:${proxyPort}` });
    const target = policy.spec.targets[0]!;
    // As in a cluster: the password in a Secret, which the injector mounts into the proxy container only.
    (target as { credentials: object }).credentials = { secretRef: { name: 'billing-db-credentials' } };
    await kubectl(['apply', '-f', '-'], stringify(policy));
    await eventually(
      'policy Ready',
      async () =>
        (await kubectl(['get', 'aap', 'billing-agent', '-n', NS, '-o', 'jsonpath={.status.conditions[0].status}'])) ===
        'True',
    );
    const token = (audience: string): Promise<string> =>
      podToken(c, NS, agent.serviceAccount, 'agent-pod', audience, '15m');
    // The container the injector builds for this pod, as the operator configures it (operator.ts).
    const operatorCa = (await webhookCa(c, OPNS)).toString();
    const injected = injectSidecar(pod, policy, NS, {
      image: 'x',
      operator: { url: `https://127.0.0.1:${op.operatorAddress!.port}`, auditWitness: true, ca: operatorCa },
    });
    const container = [...(injected.spec!.initContainers ?? []), ...injected.spec!.containers].find(
      (x) => x.name === PROXY_CONTAINER,
    )!;
    // What the pod mounts, as local directories of this run.
    const mounts: [string, string][] = [
      [AUDIT_DIR, join(dir, 'audit')],
      [PROXY_TOKEN_DIR, join(dir, 'proxy-token')],
      [CREDENTIALS_DIR, join(dir, 'credentials')],
    ];
    for (const [, local] of mounts) mkdirSync(local, { recursive: true });
    writeFileSync(join(dir, 'proxy-token', 'token'), await token('agentgate-proxy'));
    mkdirSync(join(dir, 'credentials', target.name));
    writeFileSync(join(dir, 'credentials', target.name, 'password'), AGENT_DB_PASSWORD);
    const local = (v: string): string => {
      const m = mounts.find(([path]) => v === path || v.startsWith(`${path}/`));
      return m ? m[1] + v.slice(m[0].length) : v;
    };
    const args = (container.args ?? []).map(local);
    args[args.indexOf('--health-address') + 1] = '127.0.0.1:0';
    const fields: Record<string, string> = {
      'metadata.name': 'agent-pod',
      'metadata.namespace': NS,
      'metadata.uid': podUid,
    };
    const env: Record<string, string> = {};
    for (const e of container.env ?? []) {
      const value = e.valueFrom ? fields[e.valueFrom.fieldRef?.fieldPath ?? ''] : local(e.value ?? '');
      if (value === undefined)
        throw new Error(`the injected ${e.name} comes from a source this bench does not provide`);
      env[e.name] = value;
    }

    // The container's memory limit, as a cgroup: Node sizes V8's heap from it.
    const limit = container.resources?.limits?.memory;
    if (limit) {
      const made = memoryLimit(`agentgate-bench-sidecar-${process.pid}-${run}`, quantityBytes(String(limit)));
      cgroup = 'unavailable' in made ? made.unavailable : made;
    }
    const [command, commandArgs] =
      cgroup && typeof cgroup !== 'string'
        ? cgroup.wrap(process.execPath, [...(o.nodeArgs ?? []), o.entry, ...args])
        : [process.execPath, [...(o.nodeArgs ?? []), o.entry, ...args]];
    proxy = spawn(command, commandArgs, {
      env: { PATH: process.env.PATH ?? '', ...o.env, ...env, KUBECONFIG: c.kubeconfig },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The audit stream on stdout, as a container runtime reads it.
    proxy.stdout!.resume();
    let log = '';
    proxy.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    let spawnError: Error | undefined;
    proxy.once('error', (e) => (spawnError = e));
    const started = proxy;
    // A figure is read only from a live sidecar: one that died (an OOM kill under the limit) fails the run.
    const rss = (): number => {
      if (spawnError || started.exitCode !== null || started.signalCode !== null)
        throw new Error(
          `the sidecar is gone (${spawnError?.message ?? `exit ${started.exitCode}, signal ${started.signalCode}`})\n${log}`,
        );
      return rssMiB(started.pid!);
    };
    await eventually('the sidecar ready', async () => (rss(), log.includes('"message":"ready"')), 60_000, 200).catch(
      (e) => {
        throw new Error(`${(e as Error).message}\n${log}`);
      },
    );
    await sleep(1000);
    const idleMiB = rss();
    const settle = (o.settleSeconds ?? SETTLE_SECONDS) * 1000;
    await sleep(settle - 1000);
    const settledMiB = rss();
    const healthPort = Number(/"address":"[\d.]+:(\d+)","level":"\w+","message":"health and metrics"/.exec(log)?.[1]);
    // Then idle for a window, probed as the kubelet probes the injected container (readiness /readyz every 5 s,
    // liveness /healthz every 10 s): RSS each second, its mean and highest.
    const samples: number[] = [];
    const windowSeconds = o.idleWindowSeconds ?? IDLE_WINDOW_SECONDS;
    const t0 = Date.now();
    for (let t = 1; t <= windowSeconds; t++) {
      await sleep(t0 + t * 1000 - Date.now());
      if (t % 5 === 0) await probe(healthPort, '/readyz');
      if (t % 10 === 0) await probe(healthPort, '/healthz');
      samples.push(rss());
    }
    const idleWindow = {
      seconds: windowSeconds,
      meanMiB: samples.reduce((a, b) => a + b, 0) / Math.max(samples.length, 1),
      maxMiB: Math.max(0, ...samples),
    };
    const argv = readFileSync(`/proc/${started.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
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
      sessionsMiB = rss();
    } finally {
      await Promise.all(clients.map((x) => x.end().catch(() => undefined)));
    }
    await sleep(1500);
    const afterMiB = rss();
    await sleep(settle - 1500);
    const afterSettledMiB = rss();
    const audit = readFileSync(local(args[args.indexOf('--audit-file') + 1]!), 'utf8');
    const memory =
      typeof cgroup === 'string'
        ? `no ${String(limit)} limit: ${cgroup}`
        : cgroup
          ? `${String(limit)} memory limit (cgroup ${cgroup.dir})`
          : 'no memory limit in the container spec';
    return { idleMiB, settledMiB, idleWindow, sessionsMiB, afterMiB, afterSettledMiB, argv, log, audit, memory };
  } finally {
    if (proxy && proxy.exitCode === null && proxy.signalCode === null) {
      const exited = new Promise((r) => proxy!.once('exit', r));
      proxy.kill('SIGTERM');
      await exited;
    }
    if (cgroup && typeof cgroup !== 'string') cgroup.remove();
    await op?.stop();
    await stack.postgres.stop();
  }
}
