/**
 * The shared Kubernetes control plane for e2e tests: the local one from test/cluster (started on first
 * use, stopped at the end of the run if this run started it), or an existing cluster when
 * AGENTGATE_E2E_KUBECONFIG points at one. kubectl is the real binary.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { clusterDown, clusterUp, type ClusterInfo } from '../cluster/cluster.js';

export interface TestCluster {
  kubeconfig: string;
  kc: KubeConfig;
  local?: ClusterInfo;
  kubectl(
    args: string[],
    opts?: { as?: string; input?: string },
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  helm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
}

let shared: Promise<TestCluster> | undefined;

/** kubectl's output, or an error with its stderr when it fails. */
export async function kubectlOk(c: TestCluster, args: string[], input?: string): Promise<string> {
  const r = await c.kubectl(args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A generic Secret of literal values (`kubectl create secret generic`), or fail. */
export function createSecret(
  c: TestCluster,
  namespace: string,
  name: string,
  data: Record<string, string>,
): Promise<string> {
  const literals = Object.entries(data).map(([k, v]) => `--from-literal=${k}=${v}`);
  return kubectlOk(c, ['create', 'secret', 'generic', name, '-n', namespace, ...literals]);
}

/**
 * Per-run suffix for namespaces: the local control plane has no namespace controller, so a deleted
 * namespace stays Terminating forever; every run uses fresh ones.
 */
export const RUN = Math.random().toString(36).slice(2, 7);
export const ns = (base: string): string => `${base}-${RUN}`;
let startedHere = false;
const CRDS = new URL('../../crds', import.meta.url).pathname;

export function testCluster(): Promise<TestCluster> {
  shared ??= (async () => {
    let kubeconfig = process.env.AGENTGATE_E2E_KUBECONFIG;
    let local: ClusterInfo | undefined;
    let kubectlBin = 'kubectl';
    if (!kubeconfig) {
      local = await clusterUp();
      startedHere = true;
      kubeconfig = local.kubeconfig;
      kubectlBin = join(local.bin, 'kubectl');
    }
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const run = (
      bin: string,
      args: string[],
      input?: string,
    ): Promise<{ code: number; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        const child = execFile(
          bin,
          args,
          { env: { ...process.env, KUBECONFIG: kubeconfig }, maxBuffer: 64 << 20 },
          (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
        if (input !== undefined) child.stdin!.end(input);
      });
    const kubectl: TestCluster['kubectl'] = (args, opts = {}) =>
      run(kubectlBin, [...(opts.as ? ['--context', opts.as] : []), ...args], opts.input);
    const helm: TestCluster['helm'] = (args) => run(local ? join(local.bin, 'helm') : 'helm', args);
    const applied = await kubectl(['apply', '--server-side', '--force-conflicts', '-f', CRDS]);
    if (applied.code !== 0) throw new Error(`applying CRDs failed: ${applied.stderr}`);
    await kubectl([
      'wait',
      '--for',
      'condition=Established',
      'crd/agentaccesspolicies.agentgate.dev',
      'crd/approvalrequests.agentgate.dev',
      'crd/deviationreviews.agentgate.dev',
      '--timeout=60s',
    ]);
    return { kubeconfig, kc, kubectl, helm, ...(local ? { local } : {}) };
  })();
  return shared;
}

/** Stops the control plane if this run started it (keep it with AGENTGATE_KEEP_CLUSTER=1). */
export async function releaseTestCluster(): Promise<void> {
  if (startedHere && !process.env.AGENTGATE_KEEP_CLUSTER) {
    await clusterDown();
    // A suite that runs later in the same process (one mocha run of several files) starts a fresh one.
    shared = undefined;
    startedHere = false;
  }
}

export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
