/**
 * What the operator-feed suites share: a namespace of agents with the example policies (Ready), the
 * credentials Secret they name, the agent's service account and its injected pod, and an operator (no
 * audit witness) whose pod-facing listener keeps its port across restarts; the sidecar's endpoint there,
 * with the pod's proxy token.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { Operator } from '../../operator/operator.js';
import type { OperatorEndpoint } from '../../proxy/approvals/operator-client.js';
import { freePort } from '../../proxy/local/embedded-postgres.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { agentPod } from './agent-objects.js';
import { createSecret, eventually, kubectlOk, type TestCluster } from './cluster.js';
import { loopbackWebhook } from './operator-options.js';
import { proxyToken, webhookCa } from './proxy-credentials.js';

const EXAMPLE = new URL('../../examples/cluster/policy.yaml', import.meta.url).pathname;

/** examples/cluster/policy.yaml as `namespace/name`. */
export function examplePolicy(namespace: string, name: string): AgentAccessPolicy {
  const doc = parse(readFileSync(EXAMPLE, 'utf8')) as AgentAccessPolicy;
  doc.metadata = { name, namespace };
  return doc;
}

export interface FeedsFixture {
  /** A new operator on the same port (the first one is started already). */
  newOperator: () => Operator;
  operator: Operator;
  apiPort: number;
  /** The pod agent-pod's sidecar's endpoint: its proxy token in `dir`. */
  endpoint: OperatorEndpoint;
  dir: string;
}

export async function feedsFixture(
  c: TestCluster,
  o: { namespace: string; system: string; policies: string[] },
): Promise<FeedsFixture> {
  await kubectlOk(c, ['create', 'namespace', o.namespace]);
  await kubectlOk(c, ['create', 'namespace', o.system]);
  const apiPort = await freePort();
  const newOperator = (): Operator =>
    new Operator({
      kc: c.kc,
      leaseNamespace: o.system,
      watchNamespace: o.namespace,
      healthAddress: { host: '127.0.0.1', port: 0 },
      webhook: { ...loopbackWebhook(o.system), apiPort, auditWitness: false },
    });
  const operator = newOperator();
  await operator.start();
  await createSecret(c, o.namespace, 'billing-db-credentials', { password: 'x' });
  for (const name of o.policies) await kubectlOk(c, ['apply', '-f', '-'], stringify(examplePolicy(o.namespace, name)));
  for (const name of o.policies)
    await eventually(
      `${name} Ready`,
      async () =>
        (await c.kubectl(['get', 'aap', name, '-n', o.namespace, '-o', 'jsonpath={.status.conditions[0].status}']))
          .stdout === 'True',
    );
  await kubectlOk(c, ['create', 'serviceaccount', 'billing-agent', '-n', o.namespace]);
  await kubectlOk(c, ['create', '-f', '-'], stringify(agentPod(o.namespace)));
  const dir = mkdtempSync(join(tmpdir(), 'agentgate-feeds-'));
  const tokenFile = join(dir, 'proxy-token');
  writeFileSync(tokenFile, await proxyToken(c, o.namespace, 'billing-agent', 'agent-pod'));
  const endpoint = { url: `https://127.0.0.1:${apiPort}`, tokenFile, ca: await webhookCa(c, o.system) };
  return { newOperator, operator, apiPort, endpoint, dir };
}
