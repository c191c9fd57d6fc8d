/**
 * A real Kubernetes control plane for tests: etcd + kube-apiserver on 127.0.0.1, built from Go modules
 * by build.sh. No controller-manager or kubelet: pods are stored, never run. Users come from a static
 * token file so RBAC tests are real: an admin, two approvers (group agentgate:approvers), a plain user.
 *
 *   npm run cluster:up     start (or reuse) the shared instance; prints the kubeconfig path
 *   npm run cluster:down   stop it
 *   npm run cluster:up -- --node     a full single-node cluster in its own network namespace (node.ts)
 *   npm run cluster:down -- --node   stop it
 *
 * State lives in .agentgate/cluster/ (certificates, etcd data, logs, pids, kubeconfig).
 */
import { execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join, resolve } from 'node:path';
import { freePort } from '../../proxy/local/embedded-postgres.js';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
export const STATE = process.env.AGENTGATE_CLUSTER_STATE ?? join(ROOT, '.agentgate', 'cluster');
export const KUBECONFIG = join(STATE, 'kubeconfig');

export interface ClusterInfo {
  server: string;
  kubeconfig: string;
  bin: string;
  /** Bearer tokens by user name. */
  tokens: Record<string, string>;
  caFile: string;
  serviceAccountIssuer: string;
  /** The CA of the client certificate the API server presents to every admission webhook. */
  webhookClientCaFile?: string;
}

export const USERS: { name: string; groups: string[] }[] = [
  { name: 'admin', groups: ['system:masters'] },
  { name: 'approver-1', groups: ['agentgate:approvers'] },
  { name: 'approver-2', groups: ['agentgate:approvers'] },
  { name: 'dev-user', groups: [] },
];

export function buildBinaries(): string {
  const out = execFileSync('bash', [join(ROOT, 'test/cluster/build.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').pop()!;
}

export function openssl(cwd: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: 'ignore' });
}

/** The cluster CA, the API server's serving certificate (SANs: loopback and `extraSans`), webhook client credentials, SA keys. */
export function makeCertificates(dir: string, extraSans: string[] = []): void {
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '30',
    '-subj',
    '/CN=agentgate-test-cluster-ca',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  );
  openssl(
    dir,
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=kube-apiserver',
    '-keyout',
    'apiserver.key',
    '-out',
    'apiserver.csr',
  );
  writeFileSync(
    join(dir, 'apiserver.ext'),
    `subjectAltName=${['IP:127.0.0.1', 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', ...extraSans].join(',')}\n`,
  );
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'apiserver.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '30',
    '-extfile',
    'apiserver.ext',
    '-out',
    'apiserver.crt',
  );
  // The API server's client certificate for admission webhooks (its own CA: webhooks trust only it).
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '30',
    '-subj',
    '/CN=agentgate-test-webhook-client-ca',
    '-keyout',
    'webhook-client-ca.key',
    '-out',
    'webhook-client-ca.crt',
  );
  openssl(
    dir,
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=kube-apiserver-webhook-client',
    '-keyout',
    'webhook-client.key',
    '-out',
    'webhook-client.csr',
  );
  writeFileSync(join(dir, 'webhook-client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'webhook-client.csr',
    '-CA',
    'webhook-client-ca.crt',
    '-CAkey',
    'webhook-client-ca.key',
    '-CAcreateserial',
    '-days',
    '30',
    '-extfile',
    'webhook-client.ext',
    '-out',
    'webhook-client.crt',
  );
  // "*": the default credentials for every webhook the API server calls.
  writeFileSync(
    join(dir, 'webhook-kubeconfig.yaml'),
    `apiVersion: v1\nkind: Config\nusers:\n- name: '*'\n  user:\n    client-certificate: ${join(dir, 'webhook-client.crt')}\n    client-key: ${join(dir, 'webhook-client.key')}\n`,
  );
  const webhookAdmission = (plugin: string): string =>
    `- name: ${plugin}\n  configuration:\n    apiVersion: apiserver.config.k8s.io/v1\n    kind: WebhookAdmissionConfiguration\n    kubeConfigFile: ${join(dir, 'webhook-kubeconfig.yaml')}\n`;
  writeFileSync(
    join(dir, 'admission.yaml'),
    `apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n${webhookAdmission('MutatingAdmissionWebhook')}${webhookAdmission('ValidatingAdmissionWebhook')}`,
  );
  const sa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'sa.key'), sa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(dir, 'sa.pub'), sa.publicKey.export({ type: 'spki', format: 'pem' }));
}

function get(url: string, token: string, ca: Buffer): Promise<number> {
  return new Promise((resolveStatus) => {
    const req = https.get(url, { ca, headers: { authorization: `Bearer ${token}` }, timeout: 2000 }, (res) => {
      res.resume();
      resolveStatus(res.statusCode ?? 0);
    });
    req.on('error', () => resolveStatus(0));
    req.on('timeout', () => {
      req.destroy();
      resolveStatus(0);
    });
  });
}

export function readClusterInfo(): ClusterInfo | undefined {
  const f = join(STATE, 'cluster.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as ClusterInfo) : undefined;
}

export async function isUp(info = readClusterInfo()): Promise<boolean> {
  if (!info) return false;
  return (await get(`${info.server}/readyz`, info.tokens.admin!, readFileSync(info.caFile))) === 200;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function clusterUp(): Promise<ClusterInfo> {
  const existing = readClusterInfo();
  if (existing && (await isUp(existing))) return existing;
  await clusterDown();
  const bin = buildBinaries();
  rmSync(STATE, { recursive: true, force: true });
  const certs = join(STATE, 'pki');
  mkdirSync(certs, { recursive: true });
  makeCertificates(certs);
  const tokens = Object.fromEntries(USERS.map((u) => [u.name, randomBytes(24).toString('hex')]));
  writeFileSync(
    join(certs, 'tokens.csv'),
    USERS.map(
      (u, i) => `${tokens[u.name]},${u.name},uid-${i}${u.groups.length ? `,"${u.groups.join(',')}"` : ''}`,
    ).join('\n') + '\n',
  );

  const etcdClient = await freePort();
  const etcdPeer = await freePort();
  const apiPort = await freePort();
  const server = `https://127.0.0.1:${apiPort}`;
  const log = (name: string): number => openSync(join(STATE, `${name}.log`), 'a');
  const etcd = spawn(
    join(bin, 'etcd'),
    [
      '--data-dir',
      join(STATE, 'etcd'),
      '--listen-client-url',
      `http://127.0.0.1:${etcdClient}`,
      '--listen-peer-url',
      `http://127.0.0.1:${etcdPeer}`,
    ],
    { detached: true, stdio: ['ignore', log('etcd'), log('etcd')] },
  );
  etcd.unref();
  const apiserverArgs = [
    `--etcd-servers=http://127.0.0.1:${etcdClient}`,
    `--secure-port=${apiPort}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    '--endpoint-reconciler-type=none',
    `--cert-dir=${certs}`,
    `--tls-cert-file=${join(certs, 'apiserver.crt')}`,
    `--tls-private-key-file=${join(certs, 'apiserver.key')}`,
    `--client-ca-file=${join(certs, 'ca.crt')}`,
    `--token-auth-file=${join(certs, 'tokens.csv')}`,
    `--admission-control-config-file=${join(certs, 'admission.yaml')}`,
    `--service-account-issuer=${server}`,
    `--service-account-key-file=${join(certs, 'sa.pub')}`,
    `--service-account-signing-key-file=${join(certs, 'sa.key')}`,
    '--authorization-mode=RBAC',
    '--service-cluster-ip-range=10.96.0.0/24',
    '--storage-backend=etcd3',
    '--profiling=false',
    '--v=1',
  ];
  writeFileSync(join(STATE, 'apiserver-args.json'), JSON.stringify(apiserverArgs));
  const apiserver = spawnApiServer(bin, apiserverArgs);
  writeFileSync(join(STATE, 'pids'), `${etcd.pid}\n${apiserver.pid}\n`);

  const info: ClusterInfo = {
    server,
    kubeconfig: KUBECONFIG,
    bin,
    tokens,
    caFile: join(certs, 'ca.crt'),
    serviceAccountIssuer: server,
    webhookClientCaFile: join(certs, 'webhook-client-ca.crt'),
  };
  writeFileSync(KUBECONFIG, kubeconfig(info));
  writeFileSync(join(STATE, 'cluster.json'), JSON.stringify(info, null, 2));
  const deadline = Date.now() + 120_000;
  while (!(await isUp(info))) {
    if (!alive(apiserver.pid!) || !alive(etcd.pid!))
      throw new Error(`control plane exited; see ${STATE}/kube-apiserver.log and etcd.log`);
    if (Date.now() > deadline) throw new Error(`kube-apiserver not ready after 120 s; see ${STATE}/kube-apiserver.log`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return info;
}

function spawnApiServer(bin: string, args: string[]): ReturnType<typeof spawn> {
  const out = openSync(join(STATE, 'kube-apiserver.log'), 'a');
  const p = spawn(join(bin, 'kube-apiserver'), args, { detached: true, stdio: ['ignore', out, out] });
  p.unref();
  return p;
}

/** Stops and starts kube-apiserver (etcd keeps the data), for recovery tests. */
export async function restartApiServer(): Promise<void> {
  const info = readClusterInfo();
  if (!info) throw new Error('no local control plane');
  const pids = readFileSync(join(STATE, 'pids'), 'utf8').trim().split('\n').map(Number);
  const old = pids[1]!;
  process.kill(old, 'SIGTERM');
  const deadline = Date.now() + 15_000;
  while (alive(old) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive(old)) process.kill(old, 'SIGKILL');
  const p = spawnApiServer(info.bin, JSON.parse(readFileSync(join(STATE, 'apiserver-args.json'), 'utf8')) as string[]);
  writeFileSync(join(STATE, 'pids'), `${pids[0]}\n${p.pid}\n`);
  while (!(await isUp(info))) {
    if (Date.now() > deadline + 60_000) throw new Error('kube-apiserver did not come back');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A kubeconfig with one context per test user (admin is current), against `info.server`. */
export function kubeconfig(info: ClusterInfo): string {
  const ca = readFileSync(info.caFile).toString('base64');
  const users = USERS.map((u) => `- name: ${u.name}\n  user:\n    token: ${info.tokens[u.name]}`).join('\n');
  const contexts = USERS.map(
    (u) => `- name: ${u.name}\n  context:\n    cluster: agentgate-test\n    user: ${u.name}`,
  ).join('\n');
  return `apiVersion: v1
kind: Config
clusters:
- name: agentgate-test
  cluster:
    server: ${info.server}
    certificate-authority-data: ${ca}
users:
${users}
contexts:
${contexts}
current-context: admin
`;
}

export async function clusterDown(): Promise<void> {
  const f = join(STATE, 'pids');
  if (!existsSync(f)) return;
  const pids = readFileSync(f, 'utf8').trim().split('\n').map(Number).reverse();
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  const deadline = Date.now() + 15_000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
  rmSync(f, { force: true });
}

// Not a top-level await: node.ts imports this module, and awaiting its import here would deadlock.
async function main(cmd: string | undefined, node: boolean): Promise<void> {
  if (cmd === 'up' && node) {
    const { startNodeCluster } = await import('./node.js');
    const n = await startNodeCluster({ keep: true });
    console.log(
      `node ${n.nodeName} ready (network namespace ${n.netns}; API server bridged to ${n.server})\nexport KUBECONFIG=${n.kubeconfig}\nkubectl: ${n.bin}/kubectl\ninside the namespace: ip netns exec ${n.netns} ${n.bin}/kubectl --kubeconfig ${n.kubeconfigInside} ...`,
    );
  } else if (cmd === 'down' && node) {
    const { stopNodeClusters } = await import('./node.js');
    console.log(`stopped ${await stopNodeClusters()} node cluster(s)`);
  } else if (cmd === 'up') {
    const info = await clusterUp();
    console.log(
      `control plane ready at ${info.server}\nexport KUBECONFIG=${info.kubeconfig}\nkubectl: ${info.bin}/kubectl`,
    );
  } else if (cmd === 'down') {
    await clusterDown();
    console.log('control plane stopped');
  } else {
    console.error('usage: cluster.ts up|down [--node]');
    process.exitCode = 2;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv[2], process.argv.includes('--node')).catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
