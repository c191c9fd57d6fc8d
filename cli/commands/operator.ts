import { loadKubeConfig } from '../../operator/kube.js';
import { Operator } from '../../operator/operator.js';
import { log } from '../log.js';

export interface OperatorCommand {
  leaseNamespace: string;
  watchNamespace?: string;
  healthAddress: string;
}

/** Runs until SIGINT/SIGTERM. In cluster it uses the pod's service account; outside, the kubeconfig. */
export async function runOperator(o: OperatorCommand): Promise<number> {
  const [host, port] = o.healthAddress.split(':');
  const op = new Operator({
    kc: loadKubeConfig(),
    leaseNamespace: o.leaseNamespace,
    ...(o.watchNamespace ? { watchNamespace: o.watchNamespace } : {}),
    healthAddress: { host: host || '0.0.0.0', port: Number(port) },
    log: (level, message, fields) => log.log(level, message, fields),
  });
  await op.start();
  log.info('operator started', { health: op.address });
  const shutdown = (signal: string): void => {
    log.info('shutting down', { signal });
    void op.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  return -1;
}
