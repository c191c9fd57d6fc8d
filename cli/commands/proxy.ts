import { loadPolicyFile } from '../../proxy/policy/load.js';
import { GuardProxy } from '../../proxy/server.js';
import { log } from '../log.js';

export interface ProxyCommand {
  policyFile: string;
  auditFile?: string;
  auditStdout: boolean;
}

/** Runs until SIGINT/SIGTERM; returns -1 so the process stays alive while listening. */
export async function runProxy(o: ProxyCommand): Promise<number> {
  const loaded = loadPolicyFile(o.policyFile);
  const proxy = await GuardProxy.start({
    policy: loaded.policy,
    resolvePath: loaded.resolvePath,
    ...(o.auditFile ? { auditFile: o.auditFile } : {}),
    auditStdout: o.auditStdout,
    log: (level, message, fields) => log.log(level, message, fields),
  });
  for (const a of proxy.addresses()) log.info('ready', a);
  const shutdown = (signal: string): void => {
    log.info('shutting down', { signal });
    void proxy.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  return -1;
}
