/**
 * Review 8: `npm run bench`'s cluster section (test/bench/cluster-sidecar.ts) said it ran the sidecar "as the
 * injector would", but passed none of the operator's configuration the injector sets (`--operator-url`,
 * `--checkpoint-url`, AGENTGATE_OPERATOR_CA) and added `--no-audit-stdout`, which it never sets: its sidecar
 * never reached the operator. And test/e2e/bench-cluster-sidecar.test.ts accepted a proxy in local mode. These
 * check the measured process against the injector's own container spec (operator/webhook/inject.ts), and
 * that the shared checks (test/support/injected-sidecar-checks.ts) reject a local-mode run.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import type { V1Pod } from '@kubernetes/client-node';
import { injectSidecar } from '../../operator/webhook/inject.js';
import { freePort } from '../../proxy/local/embedded-postgres.js';
import { AGENT_DB_PASSWORD, startLocalStack } from '../../proxy/local/stack.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { ENV } from '../../shared/contract/sidecar.js';
import { clusterSidecarMemory, type ClusterSidecarMemory } from '../bench/cluster-sidecar.js';
import { rssMiB } from '../bench/rss.js';
import { injectedSidecarProblems } from '../support/injected-sidecar-checks.js';
import { clusterAgentPolicy } from './agent-objects.js';
import { eventually, kubectlOk, ns, testCluster } from './cluster.js';
import { podToken } from './proxy-credentials.js';

const BIN = new URL('../../bin/agentgate.js', import.meta.url).pathname;

/**
 * The same policy, agent and pod-bound tokens, but the proxy in LOCAL mode (`--policy FILE`): what the
 * section would measure if it lost `--policy-ref`. Local mode verifies `kubernetes: true` issuers through
 * KUBECONFIG (proxy/modes/local.ts) and its audit carries the file's metadata.namespace.
 */
async function localModeRun(): Promise<ClusterSidecarMemory> {
  const NS = ns('bench-sidecar-localmode');
  const c = await testCluster();
  const kubectl = (args: string[], input?: string): Promise<string> => kubectlOk(c, args, input);
  const dir = mkdtempSync(join(tmpdir(), 'agentgate-review8-'));
  const stack = await startLocalStack();
  const proxy = { child: undefined as ReturnType<typeof spawn> | undefined };
  try {
    await stack.proxy.stop();
    await kubectl(['create', 'namespace', NS]);
    await kubectl(['create', 'serviceaccount', 'billing-agent', '-n', NS]);
    await kubectl(
      ['create', '-f', '-'],
      stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'agent-pod', namespace: NS },
        spec: { serviceAccountName: 'billing-agent', containers: [{ name: 'agent', image: 'example.com/agent:1' }] },
      }),
    );
    const port = await freePort();
    const agent = { namespace: NS, serviceAccount: 'billing-agent' };
    const policy = await clusterAgentPolicy(c, stack.policy, { ...agent, listen: `127.0.0.1:${port}` });
    const policyFile = join(dir, 'policy.yaml');
    writeFileSync(policyFile, stringify(policy));
    const auditFile = join(dir, 'audit.log');
    const child = spawn(
      process.execPath,
      [
        BIN,
        'proxy',
        '--policy',
        policyFile,
        '--audit-file',
        auditFile,
        '--no-audit-stdout',
        '--health-address',
        '127.0.0.1:0',
      ],
      {
        env: {
          ...process.env,
          KUBECONFIG: c.kubeconfig,
          POD_NAME: 'agent-pod',
          POD_NAMESPACE: NS,
          BILLING_DB_PASSWORD: AGENT_DB_PASSWORD,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    proxy.child = child;
    let log = '';
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await eventually('the local-mode proxy ready', async () => log.includes('"message":"ready"'), 60_000, 200);
    const password = await podToken(c, NS, agent.serviceAccount, 'agent-pod', 'agentgate', '15m');
    for (let i = 0; i < 3; i++) {
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'agent', database: 'billing', password });
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
    }
    const rss = rssMiB(child.pid!);
    const argv = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return {
      idleMiB: rss,
      settledMiB: rss,
      idleWindow: { seconds: 0, meanMiB: rss, maxMiB: rss },
      sessionsMiB: rss,
      afterMiB: rss,
      afterSettledMiB: rss,
      memory: 'no memory limit (local mode)',
      argv,
      log,
      audit: readFileSync(auditFile, 'utf8'),
    };
  } finally {
    const child = proxy.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await stack.postgres.stop();
  }
}

/** The sidecar container the operator's injector builds, configured as Operator.startWebhook configures it. */
function injectedProxy(): { flags: string[]; env: string[] } {
  const policy = {
    apiVersion: 'agentgate.dev/v1alpha1',
    kind: 'AgentAccessPolicy',
    metadata: { name: 'billing-agent', namespace: 'ns' },
    spec: {
      subjects: { serviceAccounts: [{ name: 'billing-agent' }] },
      identity: { issuers: [], maxTokenLifetimeSeconds: 900 },
      targets: [
        {
          name: 'billing',
          protocol: 'postgres',
          listen: '127.0.0.1:5432',
          upstream: { host: 'db', port: 5432, database: 'billing', user: 'agent' },
        },
      ],
    },
  } as unknown as AgentAccessPolicy;
  const pod: V1Pod = {
    metadata: { name: 'agent-pod', namespace: 'ns' },
    spec: { serviceAccountName: 'billing-agent', containers: [{ name: 'agent', image: 'example.com/agent:1' }] },
  };
  const out = injectSidecar(pod, policy, 'ns', {
    image: 'x',
    operator: { url: 'https://localhost:8443', auditWitness: true, ca: '-----BEGIN CERTIFICATE-----' },
  });
  const c = out.spec!.initContainers![0]!;
  return { flags: c.args!.filter((a) => a.startsWith('--')), env: c.env!.map((e) => e.name) };
}

describe('review8: the bench measures the sidecar as the injector configures it', function () {
  this.timeout(600_000);

  it('runs the measured proxy with the injector flags and operator environment, and nothing it does not set', async () => {
    let argv: string[] = [];
    let env = new Set<string>();
    await clusterSidecarMemory({
      entry: BIN,
      sessions: 1,
      settleSeconds: 2,
      idleWindowSeconds: 2,
      atIdle: async (pid) => {
        argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
        env = new Set(
          readFileSync(`/proc/${pid}/environ`, 'utf8')
            .split('\0')
            .filter(Boolean)
            .map((kv) => kv.slice(0, kv.indexOf('='))),
        );
      },
    });
    const injected = injectedProxy();
    // The measured process is the proxy in cluster mode (control: this holds today).
    expect(argv).to.include.members(['proxy', '--policy-ref']);
    const given = argv.slice(argv.indexOf('proxy') + 1).filter((a) => a.startsWith('--'));
    for (const name of [ENV.operatorCa, ENV.proxyTokenFile])
      expect(injected.env, `the injector sets ${name}`).to.include(name);
    const differences = [
      ...injected.flags.filter((f) => !given.includes(f)).map((f) => `lacks ${f}`),
      ...given.filter((f) => !injected.flags.includes(f)).map((f) => `adds ${f}`),
      // The operator's CA, set at admission: without it (or a CA file) the proxy cannot reach the operator.
      ...(env.has(ENV.operatorCa) ? [] : [`lacks ${ENV.operatorCa}`]),
    ];
    expect(differences, 'the measured proxy against the injected container').to.deep.equal([]);
  });

  it("bench-cluster-sidecar.test.ts's checks reject a proxy in local mode (else they cannot tell the mode)", async () => {
    const local = await localModeRun();
    expect(injectedSidecarProblems(local, 3), 'a local-mode run').to.include.members([
      'not in cluster mode (--policy-ref)',
      'no checkpoint witnessed by the operator: the sidecar never reached it',
    ]);
  });

  it('the section can be measured more than once in one process (one mocha run of several files)', async () => {
    // ns() is fixed per process: a second call fails creating namespaces that already exist.
    await clusterSidecarMemory({ entry: BIN, sessions: 1, settleSeconds: 2, idleWindowSeconds: 2 });
    await clusterSidecarMemory({ entry: BIN, sessions: 1, settleSeconds: 2, idleWindowSeconds: 2 });
  });
});
