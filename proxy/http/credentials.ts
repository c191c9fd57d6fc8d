/** The secret an HTTP (or MCP url) target presents upstream, read once from where the policy says (as for Postgres). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HttpTargetSpec } from '../../shared/contract/policy-types.js';

export function upstreamAuthHeader(t: Pick<HttpTargetSpec, 'name' | 'credentials'>, env: NodeJS.ProcessEnv, resolvePath?: (p: string) => string): [string, string] | undefined {
  const c = t.credentials;
  if (!c) return undefined;
  const secret = readSecret(t, env, resolvePath);
  if (/[\r\n\0]/.test(secret)) throw new Error(`target ${t.name}: the credential contains a line break or NUL`);
  switch (c.scheme ?? 'bearer') {
    case 'bearer':
      return ['authorization', `Bearer ${secret}`];
    case 'basic':
      return ['authorization', `Basic ${Buffer.from(`${c.username}:${secret}`).toString('base64')}`];
    case 'header':
      return [c.header!.toLowerCase(), secret];
  }
}

function readSecret(t: Pick<HttpTargetSpec, 'name' | 'credentials'>, env: NodeJS.ProcessEnv, resolvePath?: (p: string) => string): string {
  const c = t.credentials!;
  if (c.passwordEnv) {
    const v = env[c.passwordEnv];
    if (v === undefined) throw new Error(`target ${t.name}: environment variable ${c.passwordEnv} (credentials.passwordEnv) is not set`);
    return v;
  }
  const file = c.passwordFile
    ? (resolvePath ? resolvePath(c.passwordFile) : c.passwordFile)
    // In a pod, the injector mounts the Secret's key at <credentials dir>/<target>/password (proxy container only).
    : join(env.AGENTGATE_CREDENTIALS_DIR ?? '/var/run/agentgate/credentials', t.name, 'password');
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    throw new Error(`target ${t.name}: cannot read the credential at ${file}: ${(e as Error).message}`, { cause: e });
  }
}
