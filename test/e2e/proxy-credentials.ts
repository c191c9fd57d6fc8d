/**
 * What a sidecar holds to call the operator, as e2e tests make it: a pod-bound token of audience
 * agentgate-proxy for the pod's service account (`kubectl create token`; podToken for another audience),
 * and the CA the operator's serving certificate is signed by (the webhook TLS Secret the chart creates).
 */
import { PROXY_AUDIENCE } from '../../shared/contract/sidecar.js';
import type { TestCluster } from './cluster.js';

export function proxyToken(c: TestCluster, namespace: string, serviceAccount: string, pod: string): Promise<string> {
  return podToken(c, namespace, serviceAccount, pod, PROXY_AUDIENCE, '1h');
}

/** A token of `serviceAccount` bound to `pod`, of `audience`, valid for `duration` (`kubectl create token`). */
export async function podToken(
  c: TestCluster,
  namespace: string,
  serviceAccount: string,
  pod: string,
  audience: string,
  duration: string,
): Promise<string> {
  const r = await c.kubectl([
    'create',
    'token',
    serviceAccount,
    '-n',
    namespace,
    '--audience',
    audience,
    '--bound-object-kind',
    'Pod',
    '--bound-object-name',
    pod,
    '--duration',
    duration,
  ]);
  return r.stdout.trim();
}

export async function webhookCa(c: TestCluster, namespace: string): Promise<Buffer> {
  const secret = JSON.parse(
    (await c.kubectl(['get', 'secret', 'agentgate-webhook-tls', '-n', namespace, '-o', 'json'])).stdout,
  ) as { data: Record<string, string> };
  return Buffer.from(secret.data['ca.crt']!, 'base64');
}
