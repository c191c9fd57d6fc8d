/** The secret an HTTP (or MCP url) target presents upstream, read once from where the policy says (as for Postgres). */
import { readTargetSecret } from '../target-secrets.js';
import type { HttpTargetSpec } from '../../shared/contract/policy-types.js';

export function upstreamAuthHeader(
  t: Pick<HttpTargetSpec, 'name' | 'credentials'>,
  env: NodeJS.ProcessEnv,
  resolvePath?: (p: string) => string,
): [string, string] | undefined {
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

function readSecret(
  t: Pick<HttpTargetSpec, 'name' | 'credentials'>,
  env: NodeJS.ProcessEnv,
  resolvePath?: (p: string) => string,
): string {
  return readTargetSecret(t.name, t.credentials!, env, resolvePath);
}
