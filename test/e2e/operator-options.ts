/**
 * The operator's webhook as e2e tests run it in process: admission and the pod-facing listener on free
 * loopback ports, a serving certificate for localhost and 127.0.0.1, its PKI Secret in `namespace`.
 */
import type { WebhookOptions } from '../../operator/operator.js';

export function loopbackWebhook(namespace: string): WebhookOptions {
  return {
    host: '127.0.0.1',
    port: 0,
    namespace,
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    injector: { image: 'x' },
  };
}
