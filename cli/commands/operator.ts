import { readFileSync } from 'node:fs';
import { loadKubeConfig } from '../../shared/kube/client.js';
import { Operator, type WebhookOptions } from '../../operator/operator.js';
import { log } from '../../shared/log.js';

export interface OperatorCommand {
  leaseNamespace: string;
  watchNamespace?: string;
  healthAddress: string;
}

/**
 * Runs until SIGINT/SIGTERM. In cluster it uses the pod's service account; outside, the kubeconfig.
 * The admission webhook starts when AGENTGATE_WEBHOOK_PORT is set (the chart sets it): admission on that
 * port, the pod-facing endpoints on AGENTGATE_API_PORT (default 8443); with
 * AGENTGATE_WEBHOOK_CLIENT_CA_FILE the admission port requires a client certificate signed by that CA.
 */
export async function runOperator(o: OperatorCommand): Promise<number> {
  const [host, port] = o.healthAddress.split(':');
  const env = process.env;
  const service = env.AGENTGATE_WEBHOOK_SERVICE ?? `agentgate-webhook.${o.leaseNamespace}.svc`;
  // The API server reaches admission through a Service of its own (not the name pods are given).
  const admission = env.AGENTGATE_ADMISSION_SERVICE ?? `agentgate-admission.${o.leaseNamespace}.svc`;
  const names = (svc: string): string[] => [svc, svc.replace(/\.svc$/, ''), svc.split('.')[0]!, `${svc}.cluster.local`];
  const webhook: WebhookOptions | undefined = env.AGENTGATE_WEBHOOK_PORT
    ? {
        host: '0.0.0.0',
        port: Number(env.AGENTGATE_WEBHOOK_PORT),
        apiPort: Number(env.AGENTGATE_API_PORT ?? 8443),
        ...(env.AGENTGATE_WEBHOOK_CLIENT_CA_FILE
          ? { admissionClientCa: readFileSync(env.AGENTGATE_WEBHOOK_CLIENT_CA_FILE, 'utf8') }
          : {}),
        namespace: o.leaseNamespace,
        dnsNames: [...names(service), ...names(admission)],
        configurationName: env.AGENTGATE_WEBHOOK_CONFIGURATION ?? 'agentgate',
        // The chart sets it; out of cluster the default is what `npm run image` builds.
        injector: { image: env.AGENTGATE_PROXY_IMAGE ?? 'localhost/agentgate:0.1.0' },
        // Pods reach the pod-facing listener through agentgate-webhook (port 443); admission is agentgate-admission's port 9443.
        publicUrl: env.AGENTGATE_OPERATOR_URL ?? `https://${service}`,
        tokenExchange: {},
      }
    : undefined;
  const op = new Operator({
    kc: loadKubeConfig(),
    leaseNamespace: o.leaseNamespace,
    ...(o.watchNamespace ? { watchNamespace: o.watchNamespace } : {}),
    healthAddress: { host: host || '0.0.0.0', port: Number(port) },
    ...(webhook ? { webhook } : {}),
    log: (level, message, fields) => log.log(level, message, fields),
  });
  await op.start();
  log.info('operator started', { health: op.address, admission: op.webhookAddress, podApi: op.operatorAddress });
  const shutdown = (signal: string): void => {
    log.info('shutting down', { signal });
    void op.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  return -1;
}
