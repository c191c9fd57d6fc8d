/**
 * What the operator pays for the sidecars' feeds (round 8 in docs/performance.md): the operator runs in
 * this process against test/cluster's API server, as the e2e tests run it; `sidecars` injected pods each
 * get their pod-bound proxy token, and a child process runs, for each, the three feeds an injected sidecar
 * follows (proxy/cluster/operator-feed.ts, with the sidecar's waits). This process's CPU time and RSS are
 * measured over the same window twice, side by side: with no feed open (the operator idle), then with all
 * of them held. The API server's count of watches by name is read from its /metrics. The caller stops the
 * control plane (`releaseTestCluster`).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { PROXY_AUDIENCE } from '../../shared/contract/sidecar.js';
import { agentPod } from '../e2e/agent-objects.js';
import { kubectlOk, ns, testCluster } from '../e2e/cluster.js';
import { feedsFixture } from '../e2e/feeds-fixture.js';

export interface OperatorFeedLoad {
  sidecars: number;
  seconds: number;
  idle: { cpuMsPerSecond: number; rssMiB: number; heapUsedMiB: number };
  /** Watches the API server holds (namespaced and by name), with no feed open. */
  idleWatches: number;
  /** answersPerSecond: feed answers the sidecars got after their first ones, per second. */
  feeds: { cpuMsPerSecond: number; rssMiB: number; heapUsedMiB: number; answersPerSecond: number; watches: number };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The child: one OperatorFeed per token file and kind, as a sidecar's policy source and broker open them. */
const CLIENTS = `
import { readFileSync } from 'node:fs';
import { OperatorFeed } from './proxy/cluster/operator-feed.ts';
const { url, ca, tokenFiles } = JSON.parse(readFileSync(process.argv[1], 'utf8'));
let answers = 0;
const feeds = tokenFiles.flatMap((tokenFile) =>
  [['policy', 20_000], ['compiled', 20_000], ['approvals', 60_000]].map(([kind, relistMs]) => {
    const f = new OperatorFeed({ endpoint: { url, tokenFile, ca: Buffer.from(ca) }, kind, relistMs });
    f.onSync(() => answers++);
    return f;
  }),
);
await Promise.all(feeds.map((f) => f.start()));
process.stdout.write((feeds.every((f) => f.synced) ? 'synced' : 'not synced') + '\\n');
process.on('SIGTERM', async () => {
  await Promise.all(feeds.map((f) => f.stop()));
  process.stdout.write('answers ' + answers + '\\n');
  process.exit(0);
});
`;

let measurements = 0;

export async function operatorFeedLoad(o: { sidecars: number; seconds: number }): Promise<OperatorFeedLoad> {
  const run = ++measurements;
  const NS = ns(`bench-feeds${run}`);
  const c = await testCluster();
  const f = await feedsFixture(c, {
    namespace: NS,
    system: ns(`bench-feeds${run}-system`),
    policies: ['billing-agent'],
  });
  try {
    const pods = Array.from({ length: o.sidecars }, (_, i) => agentPod(NS, `sidecar-${i}`));
    await kubectlOk(c, ['create', '-f', '-'], stringify({ apiVersion: 'v1', kind: 'List', items: pods }));
    const core = c.kc.makeApiClient(CoreV1Api);
    const tokenFiles: string[] = [];
    for (const pod of pods) {
      const name = pod.metadata!.name!;
      const live = await core.readNamespacedPod({ name, namespace: NS });
      const { status } = await core.createNamespacedServiceAccountToken({
        name: 'billing-agent',
        namespace: NS,
        body: {
          spec: {
            audiences: [PROXY_AUDIENCE],
            expirationSeconds: 3600,
            boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name, uid: live.metadata!.uid! },
          },
        },
      });
      const file = join(f.dir, `${name}-token`);
      writeFileSync(file, status!.token!);
      tokenFiles.push(file);
    }
    const config = join(f.dir, 'clients.json');
    writeFileSync(config, JSON.stringify({ url: f.endpoint.url, ca: f.endpoint.ca!.toString(), tokenFiles }));

    const window = async (): Promise<{ cpuMsPerSecond: number; rssMiB: number; heapUsedMiB: number }> => {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await sleep(o.seconds * 1000);
      const cpu = process.cpuUsage(cpu0);
      return {
        cpuMsPerSecond: (cpu.user + cpu.system) / 1000 / ((performance.now() - t0) / 1000),
        rssMiB: process.memoryUsage().rss / 2 ** 20,
        heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20,
      };
    };
    const watchCount = async (): Promise<number> =>
      (await kubectlOk(c, ['get', '--raw', '/metrics']))
        .split('\n')
        .filter((l) => l.startsWith('apiserver_longrunning_requests{') && /verb="WATCH"/.test(l))
        .filter((l) => /scope="(namespace|resource)"/.test(l))
        .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
    await sleep(2_000);
    const idle = await window();
    const idleWatches = await watchCount();

    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CLIENTS, config], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      while (!out.includes('synced')) {
        if (child.exitCode !== null) throw new Error(`the feed clients exited: ${out}`);
        await sleep(100);
      }
      if (!out.includes('synced\n') || out.includes('not synced')) throw new Error(`feed clients: ${out}`);
      const synced = performance.now();
      await sleep(2_000);
      const held = await window();
      const watches = await watchCount();
      child.kill('SIGTERM');
      const seconds = (performance.now() - synced) / 1000;
      await exited;
      const answers = Number(/answers (\d+)/.exec(out)?.[1] ?? NaN) - 3 * o.sidecars;
      return {
        sidecars: o.sidecars,
        seconds: o.seconds,
        idle,
        idleWatches,
        feeds: { ...held, answersPerSecond: answers / seconds, watches },
      };
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  } finally {
    await f.operator.stop();
  }
}
