/**
 * A full single-node Kubernetes cluster for tests: etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler, containerd (+ runc), kubelet, kube-proxy and a CNI bridge, all inside a network
 * namespace this run creates. Every non-loopback address (node IP, pod and service networks) lives in
 * that namespace; the host side only talks to 127.0.0.1, through a socat bridge to the API server.
 * Images come only from OCI archives (importImage); pods use imagePullPolicy Never/IfNotPresent.
 *
 *   const node = await startNodeCluster();       // ~15-20 s with built binaries
 *   await node.importImage('busybox.tar');       // an OCI archive (scripts/image/oci-archive.ts)
 *   await node.kubectl(['get', 'nodes']);        // host side, through the bridge
 *   await node.inNamespace(['socat', '-', 'TCP:10.96.0.25:80'], { input });   // where pods and services are
 *   await node.stop();                           // everything put back (see node-host.ts)
 *
 * What small VMs need (cgroup v1 in hybrid mode, root without CAP_SYS_RESOURCE, no systemd, no
 * registry) is commented where each setting is made; test/cluster/README.md describes the whole.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { dirname, join } from 'node:path';
import { freePort } from '../../proxy/local/embedded-postgres.js';
import { archiveImageName, writeOciArchive } from '../../scripts/image/oci-archive.js';
import { buildBinaries, kubeconfig, makeCertificates, openssl, USERS, type ClusterInfo } from './cluster.js';
import {
  acquireLock,
  daemonCgroupProcs,
  NODE_BASE,
  prepareHost,
  recordedRuns,
  teardownHost,
  type HostState,
} from './node-host.js';

export const NODE_IP = '10.250.0.1';
export const POD_CIDR = '10.244.0.0/24';
export const SERVICE_CIDR = '10.96.0.0/24';
const API_PORT = 6443;
const PAUSE_IMAGE = 'agentgate.local/pause:v1.37.2';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface NodeCluster extends ClusterInfo {
  id: string;
  netns: string;
  /** The run's directory: configuration, certificates, logs/, state of every daemon. */
  dir: string;
  nodeName: string;
  nodeIP: string;
  /** A kubeconfig for clients inside the namespace (server https://NODE_IP:6443). */
  kubeconfigInside: string;
  /** kubectl on the host, through the loopback bridge. */
  kubectl(args: string[], opts?: { as?: string; input?: string }): Promise<CommandResult>;
  /** Runs a command inside the node's network namespace (where pod and service IPs are reachable). */
  inNamespace(cmd: string[], opts?: { input?: string }): Promise<CommandResult>;
  /** Imports an OCI archive (scripts/image/oci-archive.ts) into the node's containerd; returns the image name. */
  importImage(archive: string): Promise<string>;
  /** Memory of the cluster's processes (RSS, MB) by command name. */
  memory(): Record<string, number>;
  stop(): Promise<void>;
}

function run(
  cmd: string,
  args: string[],
  opts: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env: opts.env ?? process.env, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({
        code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0,
        stdout,
        stderr,
      }),
    );
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

/** The pause image for containerd's sandboxes, wrapped once from build.sh's static binary. */
function pauseArchive(bin: string): string {
  const archive = join(dirname(bin), 'pause.tar');
  if (existsSync(archive)) return archive;
  const rootfs = join(dirname(bin), 'pause-rootfs');
  mkdirSync(rootfs, { recursive: true });
  copyFileSync(join(bin, 'pause'), join(rootfs, 'pause'));
  chmodSync(join(rootfs, 'pause'), 0o755);
  writeOciArchive({ rootfs, out: `${archive}.tmp`, name: PAUSE_IMAGE, config: { Entrypoint: ['/pause'] } });
  renameSync(`${archive}.tmp`, archive);
  return archive;
}

const users = (nodeName: string): { name: string; groups: string[] }[] => [
  { name: `system:node:${nodeName}`, groups: ['system:nodes'] },
  { name: 'system:kube-controller-manager', groups: [] },
  { name: 'system:kube-scheduler', groups: [] },
  { name: 'system:kube-proxy', groups: [] },
];

function componentKubeconfig(server: string, ca: string, token: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: node
  cluster: {server: '${server}', certificate-authority: '${ca}'}
users:
- name: component
  user: {token: '${token}'}
contexts:
- name: component
  context: {cluster: node, user: component}
current-context: component
`;
}

function containerdConfig(dir: string): string {
  return `version = 2
root = "${dir}/containerd/root"
state = "${dir}/containerd/state"
[grpc]
  address = "${dir}/containerd.sock"
[ttrpc]
  address = "${dir}/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  # root lacks CAP_SYS_RESOURCE here: runc cannot lower oom_score_adj below the daemon's own
  restrict_oom_score_adj = true
  disable_apparmor = true
  # pod network namespaces are mounted under the state dir (inside this run), not /run/netns
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${dir}/cni"
`;
}

function cniConfig(dir: string): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: 'agentgate',
    plugins: [
      {
        type: 'bridge',
        bridge: 'cni0',
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: POD_CIDR, gateway: '10.244.0.1' }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: join(dir, 'cni-ipam'),
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  });
}

function kubeletConfig(dir: string, s: HostState): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# this VM has cgroup v1 (hybrid) and no systemd
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /${s.cgroup}
failSwapOn: false
containerRuntimeEndpoint: unix://${dir}/containerd.sock
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: ${dir}/pki/ca.crt}
authorization: {mode: Webhook}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
# no DNS at all: pods must not inherit the host's resolver (containerd copies it when none is given);
# a nameserver on the pod's own loopback refuses every lookup at once, and nothing is sent anywhere
resolvConf: ""
clusterDNS: [127.0.0.1]
clusterDomain: cluster.local
podLogsDir: /var/log/pods
# nothing can be pulled again: never collect images, never evict for disk
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 1Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
nodeStatusReportFrequency: 10s
serializeImagePulls: false
`;
}

function kubeProxyConfig(dir: string, nodeName: string): string {
  return `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: ${dir}/kube-proxy.kubeconfig}
hostnameOverride: ${nodeName}
mode: iptables
clusterCIDR: 10.244.0.0/16
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# conntrack limits are host-wide: leave them alone
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
# pod -> service -> pod on the same bridge answers through the node, whatever br_netfilter does
iptables: {masqueradeAll: true, minSyncPeriod: 0s, syncPeriod: 10s}
`;
}

/** The script run under `ip netns exec`: private mounts, then every daemon (they inherit both namespaces). */
function launchScript(dir: string, bin: string, s: HostState, nodeName: string, pause: string): string {
  const cgroupMounts = s.hierarchies
    .map((h) => `mkdir -p ${h.path} && mount -t ${h.fstype} -o ${h.options} ${h.fstype} ${h.path}`)
    .join('\n');
  const pki = `${dir}/pki`;
  const apiserver = [
    `${bin}/kube-apiserver`,
    `--etcd-servers=http://127.0.0.1:2379`,
    `--secure-port=${API_PORT}`,
    '--bind-address=0.0.0.0',
    `--advertise-address=${NODE_IP}`,
    `--cert-dir=${pki}`,
    `--tls-cert-file=${pki}/apiserver.crt`,
    `--tls-private-key-file=${pki}/apiserver.key`,
    `--client-ca-file=${pki}/ca.crt`,
    `--token-auth-file=${pki}/tokens.csv`,
    `--admission-control-config-file=${pki}/admission.yaml`,
    `--kubelet-client-certificate=${pki}/kubelet-client.crt`,
    `--kubelet-client-key=${pki}/kubelet-client.key`,
    '--service-account-issuer=https://kubernetes.default.svc',
    `--service-account-key-file=${pki}/sa.pub`,
    `--service-account-signing-key-file=${pki}/sa.key`,
    '--authorization-mode=Node,RBAC',
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--allow-privileged=true',
    // the node's name resolves nowhere (no DNS in the namespace): reach the kubelet by its IP
    '--kubelet-preferred-address-types=InternalIP',
    '--profiling=false',
    '--v=1',
  ];
  const controllerManager = [
    `${bin}/kube-controller-manager`,
    `--kubeconfig=${dir}/controller-manager.kubeconfig`,
    `--authentication-kubeconfig=${dir}/controller-manager.kubeconfig`,
    `--authorization-kubeconfig=${dir}/controller-manager.kubeconfig`,
    // the default list names "cloud-node-lifecycle", which this build does not know
    "--controllers='*'",
    '--leader-elect=false',
    '--use-service-account-credentials=true',
    `--service-account-private-key-file=${pki}/sa.key`,
    `--root-ca-file=${pki}/ca.crt`,
    `--cluster-signing-cert-file=${pki}/ca.crt`,
    `--cluster-signing-key-file=${pki}/ca.key`,
    '--bind-address=127.0.0.1',
    '--profiling=false',
  ];
  const scheduler = [
    `${bin}/kube-scheduler`,
    `--kubeconfig=${dir}/scheduler.kubeconfig`,
    `--authentication-kubeconfig=${dir}/scheduler.kubeconfig`,
    `--authorization-kubeconfig=${dir}/scheduler.kubeconfig`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    '--profiling=false',
  ];
  const kubelet = [
    `${bin}/kubelet`,
    `--config=${dir}/kubelet.yaml`,
    `--kubeconfig=${dir}/kubelet.kubeconfig`,
    `--root-dir=${dir}/kubelet`,
    `--hostname-override=${nodeName}`,
    // the kubelet refuses a loopback node IP: NODE_IP is on the namespace's lo, never on the host
    `--node-ip=${NODE_IP}`,
  ];
  const kubeProxy = [`${bin}/kube-proxy`, `--config=${dir}/kube-proxy.yaml`];
  return `#!/bin/bash
set -euo pipefail
# ip netns exec gave this shell a fresh /sys without cgroups: mount the same hierarchies again
mount -t tmpfs -o mode=755 cgroup-root /sys/fs/cgroup
${cgroupMounts}
# containerd's shims always use /run/containerd: a private /run keeps the host's untouched
mount -t tmpfs -o mode=755 run /run
# the kubelet writes /var/log/pods and /var/log/containers
mount --bind ${dir}/varlog /var/log
ip link set lo up
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
start() { local name=$1; shift; setsid "$@" >${dir}/logs/$name.log 2>&1 </dev/null & echo "$name $!" >>${dir}/pids; }
start containerd containerd --config ${dir}/containerd.toml
for i in $(seq 200); do [[ -S ${dir}/containerd.sock ]] && break; sleep 0.05; done
ctr --address ${dir}/containerd.sock -n k8s.io images import ${pause} >/dev/null
start etcd ${bin}/etcd --data-dir ${dir}/etcd --listen-client-url http://127.0.0.1:2379 --listen-peer-url http://127.0.0.1:2380
start kube-apiserver ${apiserver.join(' ')}
start kubelet ${kubelet.join(' ')}
start kube-proxy ${kubeProxy.join(' ')}
# the controller-manager exits if RBAC's bootstrap roles are not there yet: wait for /readyz
for i in $(seq 600); do ${bin}/kubectl --kubeconfig ${dir}/controller-manager.kubeconfig get --raw /readyz >/dev/null 2>&1 && break; sleep 0.2; done
start kube-controller-manager ${controllerManager.join(' ')}
start kube-scheduler ${scheduler.join(' ')}
`;
}

function getStatus(url: string, token: string, ca: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const req = https.get(url, { ca, headers: { authorization: `Bearer ${token}` }, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => {
      req.destroy();
      resolve(0);
    });
  });
}

async function until(what: string, fn: () => Promise<boolean>, timeoutMs: number, logs: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline)
      throw new Error(`node cluster: ${what} not within ${timeoutMs / 1000} s; logs in ${logs}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface StartNodeOptions {
  /** Keep the node when this process exits (the CLI); otherwise the next run reaps it if left behind. */
  keep?: boolean;
}

export async function startNodeCluster(opts: StartNodeOptions = {}): Promise<NodeCluster> {
  const t0 = Date.now();
  const bin = buildBinaries();
  const pause = pauseArchive(bin);
  const ownerPid = opts.keep ? 0 : process.pid;
  const lockPid = await acquireLock(ownerPid);
  const id = randomBytes(3).toString('hex');
  const dir = join(NODE_BASE, id);
  mkdirSync(dir, { recursive: true });
  let host: HostState | undefined;
  try {
    host = prepareHost(id, dir, lockPid, ownerPid);
    return await bringUp(host, bin, pause, t0);
  } catch (e) {
    if (process.env.AGENTGATE_NODE_KEEP_ON_FAILURE) throw e;
    if (host) await teardownHost(host);
    else process.kill(lockPid, 'SIGKILL');
    throw e;
  }
}

async function bringUp(host: HostState, bin: string, pause: string, t0: number): Promise<NodeCluster> {
  const { dir, netns, id } = host;
  const nodeName = `agentgate-node-${id}`;
  const pki = join(dir, 'pki');
  for (const d of ['pki', 'logs', 'varlog', 'cni', 'kubelet']) mkdirSync(join(dir, d), { recursive: true });
  makeCertificates(pki, [`IP:${NODE_IP}`, 'IP:10.96.0.1']);
  // the API server's client identity towards the kubelet (logs, exec, port-forward)
  openssl(
    pki,
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/O=system:masters/CN=kube-apiserver-kubelet-client',
    '-keyout',
    'kubelet-client.key',
    '-out',
    'kubelet-client.csr',
  );
  writeFileSync(join(pki, 'kubelet-client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl(
    pki,
    'x509',
    '-req',
    '-in',
    'kubelet-client.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '30',
    '-extfile',
    'kubelet-client.ext',
    '-out',
    'kubelet-client.crt',
  );

  const all = [...USERS, ...users(nodeName)];
  const tokens = Object.fromEntries(all.map((u) => [u.name, randomBytes(24).toString('hex')]));
  writeFileSync(
    join(pki, 'tokens.csv'),
    all
      .map((u, i) => `${tokens[u.name]},${u.name},uid-${i}${u.groups.length ? `,"${u.groups.join(',')}"` : ''}`)
      .join('\n') + '\n',
  );
  const inside = `https://127.0.0.1:${API_PORT}`;
  const ca = join(pki, 'ca.crt');
  writeFileSync(join(dir, 'kubelet.kubeconfig'), componentKubeconfig(inside, ca, tokens[`system:node:${nodeName}`]!));
  writeFileSync(
    join(dir, 'controller-manager.kubeconfig'),
    componentKubeconfig(inside, ca, tokens['system:kube-controller-manager']!),
  );
  writeFileSync(join(dir, 'scheduler.kubeconfig'), componentKubeconfig(inside, ca, tokens['system:kube-scheduler']!));
  writeFileSync(join(dir, 'kube-proxy.kubeconfig'), componentKubeconfig(inside, ca, tokens['system:kube-proxy']!));
  writeFileSync(join(dir, 'containerd.toml'), containerdConfig(dir));
  writeFileSync(join(dir, 'cni', '10-agentgate.conflist'), cniConfig(dir));
  writeFileSync(join(dir, 'kubelet.yaml'), kubeletConfig(dir, host));
  writeFileSync(join(dir, 'kube-proxy.yaml'), kubeProxyConfig(dir, nodeName));
  writeFileSync(join(dir, 'launch.sh'), launchScript(dir, bin, host, nodeName, pause));
  // joins the run's cgroups, then runs its arguments: everything the run starts is found by teardown
  writeFileSync(
    join(dir, 'in-run-cgroup.sh'),
    `#!/bin/bash\nfor f in ${daemonCgroupProcs(host).join(' ')}; do echo $$ >"$f"; done\nexec "$@"\n`,
  );
  writeFileSync(
    join(dir, 'bridge.sh'),
    `#!/bin/bash\nexec ip netns exec ${netns} socat STDIO TCP:127.0.0.1:${API_PORT}\n`,
  );
  chmodSync(join(dir, 'bridge.sh'), 0o755);

  // the node IP and the service range live on the namespace's own lo; the pod range comes with cni0
  execFileSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
  execFileSync('ip', ['-n', netns, 'addr', 'add', `${NODE_IP}/32`, 'dev', 'lo']);
  execFileSync('ip', ['-n', netns, 'route', 'add', SERVICE_CIDR, 'dev', 'lo', 'src', NODE_IP]);

  execFileSync('bash', [join(dir, 'in-run-cgroup.sh'), 'ip', 'netns', 'exec', netns, 'bash', join(dir, 'launch.sh')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });

  const port = await freePort();
  const bridge = spawn(
    'bash',
    [
      join(dir, 'in-run-cgroup.sh'),
      'socat',
      `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`,
      `EXEC:${join(dir, 'bridge.sh')}`,
    ],
    {
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore'],
    },
  );
  bridge.unref();

  const server = `https://127.0.0.1:${port}`;
  const info: ClusterInfo = {
    server,
    kubeconfig: join(dir, 'kubeconfig'),
    bin,
    tokens,
    caFile: ca,
    serviceAccountIssuer: 'https://kubernetes.default.svc',
    webhookClientCaFile: join(pki, 'webhook-client-ca.crt'),
  };
  writeFileSync(info.kubeconfig, kubeconfig(info));
  const kubeconfigInside = join(dir, 'kubeconfig-inside');
  writeFileSync(kubeconfigInside, kubeconfig({ ...info, server: `https://${NODE_IP}:${API_PORT}` }));
  const logs = join(dir, 'logs');
  const caPem = readFileSync(ca);
  await until(
    'kube-apiserver ready',
    async () => (await getStatus(`${server}/readyz`, tokens.admin!, caPem)) === 200,
    90_000,
    logs,
  );

  const env = { ...process.env, KUBECONFIG: info.kubeconfig };
  const kubectl: NodeCluster['kubectl'] = (args, o = {}) =>
    run(join(bin, 'kubectl'), [...(o.as ? ['--context', o.as] : []), ...args], {
      env,
      ...(o.input !== undefined ? { input: o.input } : {}),
    });
  await until(
    'node Ready',
    async () =>
      (await kubectl(['get', 'node', nodeName, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']))
        .stdout === 'True',
    90_000,
    logs,
  );
  // pods need the default service account, which the controller-manager creates
  await until(
    'default service account',
    async () => (await kubectl(['get', 'serviceaccount', 'default', '-n', 'default'])).code === 0,
    60_000,
    logs,
  );
  writeFileSync(
    join(dir, 'node.json'),
    JSON.stringify(
      { ...info, id, netns, nodeName, nodeIP: NODE_IP, kubeconfigInside, upSeconds: (Date.now() - t0) / 1000 },
      null,
      2,
    ),
  );

  return {
    ...info,
    id,
    netns,
    dir,
    nodeName,
    nodeIP: NODE_IP,
    kubeconfigInside,
    kubectl,
    inNamespace: (cmd, o = {}) => run('ip', ['netns', 'exec', netns, ...cmd], o),
    importImage: async (archive) => {
      const r = await run('ctr', [
        '--address',
        join(dir, 'containerd.sock'),
        '-n',
        'k8s.io',
        'images',
        'import',
        archive,
      ]);
      if (r.code !== 0) throw new Error(`ctr images import ${archive}: ${r.stderr}`);
      return archiveImageName(archive);
    },
    memory: () => processMemory(host),
    stop: () => teardownHost(host),
  };
}

/**
 * RSS in MB of the run's daemons (from the launch script's pid list), and of everything else in the
 * daemons' cgroup together (pod shims, the bridge) as "shims+bridge".
 */
function processMemory(host: HostState): Record<string, number> {
  const out: Record<string, number> = {};
  const rss = (pid: number): number => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : 0;
    } catch {
      return 0;
    }
  };
  const daemons = new Set<number>();
  for (const line of readFileSync(join(host.dir, 'pids'), 'utf8').trim().split('\n')) {
    const [name, pid] = line.split(' ');
    daemons.add(Number(pid));
    out[name!] = Math.round(rss(Number(pid)));
  }
  const others = daemonCgroupProcs(host)
    .slice(0, 1)
    .flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map(Number))
    .filter((pid) => !daemons.has(pid));
  out['shims+bridge'] = Math.round(others.reduce((sum, pid) => sum + rss(pid), 0));
  return out;
}

/** Stops every node run recorded on this host (the CLI's `down --node`). */
export async function stopNodeClusters(): Promise<number> {
  const runs = recordedRuns();
  for (const s of runs) await teardownHost(s);
  return runs.length;
}
