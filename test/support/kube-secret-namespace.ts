/**
 * What the kube-apiserver HTTP integration tests share: a fresh namespace of the test cluster holding
 * the Secret `db`, HTTP targets in front of that cluster's kube-apiserver (TLS, the admin token injected
 * by the proxy), the rule that lets the agent read that namespace, and the teardown.
 */
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { releaseTestCluster, type TestCluster } from '../e2e/cluster.js';
import type { HttpStack } from './http-stack.js';

export type KubeTarget = (name: string, port: number, maskFields?: unknown[]) => unknown;

/**
 * Creates `namespace` with the Secret `db` (password=`password`) and returns a builder of HTTP targets
 * for the cluster's kube-apiserver, listening on 127.0.0.1:`port` (overridden by the stack).
 */
export async function kubeSecretNamespace(
  cluster: TestCluster,
  namespace: string,
  password: string,
  tmpPrefix: string,
): Promise<KubeTarget> {
  const info = cluster.local;
  if (!info) throw new Error('this test needs the local test control plane (its CA file and tokens)');
  expect((await cluster.kubectl(['create', 'namespace', namespace])).code).to.equal(0);
  expect(
    (
      await cluster.kubectl([
        'create',
        'secret',
        'generic',
        'db',
        '-n',
        namespace,
        `--from-literal=password=${password}`,
      ])
    ).code,
  ).to.equal(0);
  const dir = mkdtempSync(join(tmpdir(), tmpPrefix));
  writeFileSync(join(dir, 'token'), `${info.tokens.admin}\n`);
  return (name, port, maskFields) => ({
    name,
    protocol: 'http',
    listen: `127.0.0.1:${port}`,
    upstream: { url: info.server, caFile: info.caFile, serverName: 'kubernetes' },
    credentials: { passwordFile: join(dir, 'token'), scheme: 'bearer' },
    ...(maskFields ? { maskFields } : {}),
  });
}

/** The rule `reads`: the agent may GET anything in `namespace`. */
export const readsIn = (namespace: string) => ({
  name: 'reads',
  when: { http: { methods: ['GET'], paths: [`/api/v1/namespaces/${namespace}/**`] } },
  action: 'Allow' as const,
});

/** Stops the stack, deletes the namespace (without waiting) and releases the shared cluster. */
export async function tearDownKube(s: HttpStack | undefined, cluster: TestCluster | undefined, namespace: string) {
  await s?.stop();
  await cluster?.kubectl(['delete', 'namespace', namespace, '--wait=false']);
  await releaseTestCluster();
}
