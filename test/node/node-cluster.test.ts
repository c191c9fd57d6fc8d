/**
 * The full single-node cluster (test/cluster/node.ts) does what a real cluster does: the node gets
 * Ready, versions are stamped, a pod runs from an imported image (nothing pulled), logs and exec work
 * through the host's loopback bridge, a Service reaches the pod through kube-proxy, a Job with a native
 * sidecar completes; and teardown leaves the host's addresses, routes, links, iptables and sysctls as
 * they were.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  copyFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { writeOciArchive } from '../../scripts/image/oci-archive.js';
import { reapStaleRuns } from '../cluster/node-host.js';
import { startNodeCluster, type NodeCluster } from '../cluster/node.js';

const BUSYBOX_IMAGE = 'agentgate.local/busybox:test';

/** What the host's network looks like, without counters and timestamps. */
function hostNetwork(): Record<string, string> {
  const sh = (cmd: string, ...args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8' });
  const rules = (save: string): string =>
    save
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .map((l) => l.replace(/\[\d+:\d+\]/g, ''))
      .join('\n');
  return {
    addresses: sh('ip', 'addr'),
    links: sh('ip', '-o', 'link').replace(/\\\s+link\/.*$/gm, ''),
    routes: sh('ip', 'route', 'show', 'table', 'all'),
    routes6: sh('ip', '-6', 'route', 'show', 'table', 'all'),
    iptables: rules(sh('iptables-save')),
    ip6tables: rules(sh('ip6tables-save')),
  };
}

const SYSCTLS = [
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'net/ipv4/ip_forward',
];
const sysctls = (): string[] => SYSCTLS.map((s) => `${s}=${readFileSync(`/proc/sys/${s}`, 'utf8').trim()}`);
/** Where runc would keep the CRI's containers if the node's shims used the host's /run (they must not). */
const HOST_CRI_RUNC_STATE = '/run/containerd/runc/k8s.io';
const mountsUnder = (dir: string): string[] =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p.startsWith(dir));
const agentgateCgroups = (): string[] => readdirSync('/sys/fs/cgroup/memory').filter((d) => d.startsWith('agentgate-'));

/** A busybox-static image: the one binary and a link per applet. */
function busyboxArchive(dir: string): string {
  const rootfs = join(dir, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  mkdirSync(join(rootfs, 'tmp'), { recursive: true });
  copyFileSync('/usr/bin/busybox', join(rootfs, 'bin', 'busybox'));
  for (const applet of execFileSync('/usr/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
    if (applet !== 'busybox') symlinkSync('busybox', join(rootfs, 'bin', applet));
  }
  const out = join(dir, 'busybox.tar');
  writeOciArchive({ rootfs, out, name: BUSYBOX_IMAGE, config: { Cmd: ['sh'], Env: ['PATH=/bin'] } });
  return out;
}

describe('a real node in the tests (node cluster)', function () {
  this.timeout(180_000);
  let node: NodeCluster | undefined;
  let hostBefore: Record<string, string>;
  let beforeSysctls: string[];
  let work: string;
  let stopped = false;
  const timings: Record<string, number> = {};

  const kubectl = async (...args: string[]): Promise<string> => {
    const r = await node!.kubectl(args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  const apply = async (manifest: object): Promise<void> => {
    const r = await node!.kubectl(['apply', '-f', '-'], { input: JSON.stringify(manifest) });
    if (r.code !== 0) throw new Error(`kubectl apply: ${r.stderr}`);
  };

  before(async function () {
    this.timeout(30 * 60_000); // a cold build of the binaries takes ~14 min once per machine
    await reapStaleRuns(); // a crashed earlier run would otherwise be part of "before"
    hostBefore = hostNetwork();
    beforeSysctls = sysctls();
    work = mkdtempSync(join(tmpdir(), 'agentgate-node-test-'));
    const archive = busyboxArchive(work);
    const t0 = Date.now();
    node = await startNodeCluster();
    timings.upSeconds = (Date.now() - t0) / 1000;
    expect(await node.importImage(archive)).to.equal(BUSYBOX_IMAGE);
  });

  after(async function () {
    this.timeout(120_000);
    if (node && !stopped) await node.stop();
    if (work) rmSync(work, { recursive: true, force: true });
    console.log(`      node figures: ${JSON.stringify(timings)}`);
  });

  it('registers a Ready node whose kubelet, kube-proxy and API server say v1.37.2', async () => {
    const nodes = JSON.parse(await kubectl('get', 'nodes', '-o', 'json')) as {
      items: {
        metadata: { name: string };
        status: {
          conditions: { type: string; status: string }[];
          nodeInfo: { kubeletVersion: string; kubeProxyVersion?: string; containerRuntimeVersion: string };
          addresses: { address: string }[];
        };
      }[];
    };
    expect(nodes.items).to.have.length(1);
    const n = nodes.items[0]!;
    expect(n.status.conditions.find((c) => c.type === 'Ready')?.status).to.equal('True');
    expect(n.status.nodeInfo.kubeletVersion).to.equal('v1.37.2');
    expect(n.status.nodeInfo.containerRuntimeVersion).to.match(/^containerd:\/\//);
    expect(n.status.addresses.map((a) => a.address)).to.include(node!.nodeIP);

    const version = JSON.parse(await kubectl('version', '-o', 'json')) as {
      clientVersion: { gitVersion: string };
      serverVersion: { gitVersion: string };
    };
    expect(version.clientVersion.gitVersion).to.equal('v1.37.2');
    expect(version.serverVersion.gitVersion).to.equal('v1.37.2');
    const kubelet = execFileSync(join(node!.bin, 'kubelet'), ['--version'], { encoding: 'utf8' });
    expect(kubelet.trim()).to.equal('Kubernetes v1.37.2');
  });

  it('runs a pod from an imported image (imagePullPolicy Never); logs and exec work through the bridge', async () => {
    const t0 = Date.now();
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
      spec: {
        terminationGracePeriodSeconds: 0,
        containers: [
          {
            name: 'web',
            image: BUSYBOX_IMAGE,
            imagePullPolicy: 'Never',
            command: [
              'sh',
              '-c',
              'echo hello-from-pod; mkdir -p /tmp/www; echo served-by-pod >/tmp/www/index.html; exec httpd -f -p 8080 -h /tmp/www',
            ],
            ports: [{ containerPort: 8080 }],
            readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
          },
        ],
      },
    });
    await kubectl('wait', '--for=condition=Ready', 'pod/web', '--timeout=90s');
    timings.podReadySeconds = (Date.now() - t0) / 1000;
    expect(await kubectl('logs', 'web')).to.contain('hello-from-pod');
    expect(await kubectl('exec', 'web', '--', 'cat', '/tmp/www/index.html')).to.equal('served-by-pod\n');
    // the node's containerd state stays in its private /run and its mounts in its private mount namespace
    expect(existsSync(HOST_CRI_RUNC_STATE)).to.equal(false);
    expect(mountsUnder(node!.dir)).to.deep.equal([]);
    const podIP = (await kubectl('get', 'pod', 'web', '-o', 'jsonpath={.status.podIP}')).trim();
    expect(podIP).to.match(/^10\.244\.0\.\d+$/);
  });

  it('a Service reaches the pod through kube-proxy, from inside the namespace and from a pod; a pod reaches the API server', async () => {
    await apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    const clusterIP = (await kubectl('get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}')).trim();
    expect(clusterIP).to.match(/^10\.96\.0\.\d+$/);
    let body = '';
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const r = await node!.inNamespace(['socat', '-t', '2', '-', `TCP:${clusterIP}:80,connect-timeout=2`], {
        input: 'GET / HTTP/1.0\r\n\r\n',
      });
      body = r.stdout;
      if (body) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(body)
      .to.match(/^HTTP\/1\.[01] 200 OK/)
      .and.to.match(/\r\n\r\nserved-by-pod\n$/);
    // pod -> service -> the same pod (hairpin through the bridge); busybox's wget crashes, its nc does not
    const fromPod = await kubectl(
      'exec',
      'web',
      '--',
      'sh',
      '-c',
      `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${clusterIP} 80`,
    );
    expect(fromPod).to.match(/\r\n\r\nserved-by-pod\n$/);
    // and the API server through the kubernetes Service, as an in-cluster operator reaches it
    const api = await kubectl(
      'exec',
      'web',
      '--',
      'sh',
      '-c',
      'echo $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT; nc -w 3 $KUBERNETES_SERVICE_HOST $KUBERNETES_SERVICE_PORT </dev/null && echo connected',
    );
    expect(api).to.equal('10.96.0.1:443\nconnected\n');
  });

  it('a Job with a native sidecar (initContainer restartPolicy Always) completes, and the sidecar stops with it', async () => {
    await apply({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'with-sidecar', namespace: 'default' },
      spec: {
        backoffLimit: 0,
        template: {
          spec: {
            restartPolicy: 'Never',
            terminationGracePeriodSeconds: 5,
            initContainers: [
              {
                name: 'sidecar',
                image: BUSYBOX_IMAGE,
                imagePullPolicy: 'Never',
                restartPolicy: 'Always',
                command: [
                  'sh',
                  '-c',
                  'echo sidecar-up >/tmp/up; trap "echo sidecar-stopping; exit 0" TERM; while true; do sleep 1; done',
                ],
                startupProbe: { exec: { command: ['cat', '/tmp/up'] }, periodSeconds: 1 },
              },
            ],
            containers: [
              {
                name: 'main',
                image: BUSYBOX_IMAGE,
                imagePullPolicy: 'Never',
                command: ['sh', '-c', 'echo job-main-done'],
              },
            ],
          },
        },
      },
    });
    await kubectl('wait', '--for=condition=Complete', 'job/with-sidecar', '--timeout=120s');
    const pod = JSON.parse(await kubectl('get', 'pods', '-l', 'job-name=with-sidecar', '-o', 'json')) as {
      items: {
        metadata: { name: string };
        status: {
          phase: string;
          initContainerStatuses: { name: string; state: { terminated?: { exitCode: number } } }[];
        };
      }[];
    };
    const p = pod.items[0]!;
    expect(p.status.phase).to.equal('Succeeded');
    expect(p.status.initContainerStatuses.find((c) => c.name === 'sidecar')?.state.terminated).to.not.equal(undefined);
    expect(await kubectl('logs', p.metadata.name, '-c', 'main')).to.contain('job-main-done');
  });

  it('reports what the node costs', () => {
    const memory = node!.memory();
    timings.memoryMB = Object.values(memory).reduce((a, b) => a + b, 0);
    console.log(`      node memory (RSS MB): ${JSON.stringify(memory)}`);
    expect(memory['kube-apiserver']).to.be.greaterThan(0);
  });

  it('teardown leaves the host as it was: addresses, links, routes, iptables, sysctls, cgroups, /run', async function () {
    this.timeout(120_000);
    const netns = node!.netns;
    const t0 = Date.now();
    await node!.stop();
    stopped = true;
    timings.downSeconds = (Date.now() - t0) / 1000;
    const after = hostNetwork();
    for (const k of Object.keys(hostBefore)) expect(after[k], k).to.equal(hostBefore[k]);
    expect(sysctls()).to.deep.equal(beforeSysctls);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.to.contain(netns);
    expect(agentgateCgroups().filter((d) => d.endsWith(node!.id))).to.deep.equal([]);
    expect(existsSync(HOST_CRI_RUNC_STATE)).to.equal(false);
    expect(mountsUnder(node!.dir)).to.deep.equal([]);
    expect(existsSync(node!.kubeconfig)).to.equal(false);
  });
});
