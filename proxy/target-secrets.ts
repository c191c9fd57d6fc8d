/**
 * Reading a target's secret where the policy says it is: an environment variable, a file (local mode),
 * or a Kubernetes Secret the injector mounted into the proxy container only, at
 * <credentials dir>/<target>/... One place for Postgres passwords, HTTP credentials and MCP servers' env.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CREDENTIALS_DIR, ENV } from '../shared/contract/sidecar.js';

export interface SecretSource {
  passwordEnv?: string;
  passwordFile?: string;
  secretRef?: { name: string };
}

/** A target's password or token (credentials.passwordEnv | passwordFile | secretRef). */
export function readTargetSecret(
  target: string,
  c: SecretSource,
  env: NodeJS.ProcessEnv,
  resolvePath?: (p: string) => string,
): string {
  if (c.passwordEnv) {
    const v = env[c.passwordEnv];
    if (v === undefined)
      throw new Error(`target ${target}: environment variable ${c.passwordEnv} (credentials.passwordEnv) is not set`);
    return v;
  }
  if (c.passwordFile)
    return readSecretFile(
      target,
      resolvePath ? resolvePath(c.passwordFile) : c.passwordFile,
      'credentials.passwordFile',
    );
  if (c.secretRef)
    return readSecretFile(
      target,
      mountedSecretPath(env, target, 'password'),
      `credentials.secretRef ${c.secretRef.name}`,
    );
  throw new Error(`target ${target}: no credentials`);
}

/** Where the injector mounts a target's Secret keys in the proxy container. */
export function mountedSecretPath(env: NodeJS.ProcessEnv, target: string, ...parts: string[]): string {
  return join(env[ENV.credentialsDir] ?? CREDENTIALS_DIR, target, ...parts);
}

/** A secret file's content without its final line break. */
export function readSecretFile(target: string, file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    throw new Error(`target ${target}: cannot read ${what} at ${file}: ${(e as Error).message}`, { cause: e });
  }
}
