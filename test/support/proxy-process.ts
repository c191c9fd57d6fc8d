/**
 * The real `agentgate proxy` CLI as its own process, on a local stack's policy with a listen port of its
 * own, and node-postgres clients through it: for tests that watch the process (its CPU, its log, its
 * memory) rather than an in-process proxy.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import { freePort } from '../../proxy/local/embedded-postgres.js';
import { AGENT_DB_PASSWORD, type LocalStack } from '../../proxy/local/stack.js';
import { eventually } from './eventually.js';

/** bin/agentgate.js, run by this Node. */
export const AGENTGATE_BIN = new URL('../../bin/agentgate.js', import.meta.url).pathname;

export interface ProxyProcess {
  port: number;
  child: ChildProcess;
  /** Its audit file (`<stack dir>/<name>-audit.log`). */
  audit: string;
  /** What it has logged so far (stderr). */
  log(): string;
}

/** Starts the proxy (its policy file `<stack dir>/<name>.yaml`) with `args` after the policy and audit file; resolves once it is ready. */
export async function startProxyProcess(
  stack: LocalStack,
  name: string,
  args: string[],
  nodeArgs: string[] = [],
): Promise<ProxyProcess> {
  const port = await freePort();
  const policy = structuredClone(stack.policy);
  policy.spec.targets[0]!.listen = `127.0.0.1:${port}`;
  const policyFile = join(stack.dir, `${name}.yaml`);
  const audit = join(stack.dir, `${name}-audit.log`);
  writeFileSync(policyFile, stringify(policy));
  let log = '';
  const child = spawn(
    process.execPath,
    [...nodeArgs, AGENTGATE_BIN, 'proxy', '--policy', policyFile, '--audit-file', audit, '--no-audit-stdout', ...args],
    { env: { ...process.env, BILLING_DB_PASSWORD: AGENT_DB_PASSWORD }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  await eventually('the proxy ready', () => log.includes('"message":"ready"'), { timeoutMs: 60_000, everyMs: 100 });
  return { port, child, audit, log: () => log };
}

/** Ends the process (SIGTERM) and waits for it, if it still runs. */
export async function stopProxyProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** node-postgres through the proxy at `port`, with a fresh agent token from the stack. */
export async function agentClientAt(stack: LocalStack, port: number): Promise<pg.Client> {
  const c = new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'agent',
    database: 'billing',
    password: await stack.token(),
  });
  await c.connect();
  return c;
}
