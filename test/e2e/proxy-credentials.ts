/**
 * What a sidecar holds to call the operator, as e2e tests make it: a pod-bound token of audience
 * agentgate-proxy for the pod's service account (`kubectl create token`), and the CA the operator's
 * serving certificate is signed by (the webhook TLS Secret the chart creates).
 */
import { PROXY_AUDIENCE } from '../../shared/contract/sidecar.js';
import type { TestCluster } from './cluster.js';

export async function proxyToken(
  c: TestCluster,
  namespace: string,
  serviceAccount: string,
  pod: string,
): Promise<string> {
  const r = await c.kubectl([
    'create',
    'token',
    serviceAccount,
    '-n',
    namespace,
    '--audience',
    PROXY_AUDIENCE,
    '--bound-object-kind',
    'Pod',
    '--bound-object-name',
    pod,
    '--duration',
    '1h',
  ]);
  return r.stdout.trim();
}

export async function webhookCa(c: TestCluster, namespace: string): Promise<Buffer> {
  const secret = JSON.parse(
    (await c.kubectl(['get', 'secret', 'agentgate-webhook-tls', '-n', namespace, '-o', 'json'])).stdout,
  ) as { data: Record<string, string> };
  return Buffer.from(secret.data['ca.crt']!, 'base64');
}
