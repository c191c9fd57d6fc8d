/**
 * An ES256 signing key kept in a directory (created on first use, mode 0600) with its public JWKS beside
 * it: the dev token issuer's key and the local audit witness's key.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as jose from 'jose';

export interface LocalSigningKey {
  privateKey: Awaited<ReturnType<typeof jose.importJWK>>;
  kid: string;
  jwksFile: string;
}

export async function ensureLocalSigningKey(
  dir: string,
  files: { key: string; jwks: string },
): Promise<LocalSigningKey> {
  mkdirSync(dir, { recursive: true });
  const keyFile = join(dir, files.key);
  const jwksFile = join(dir, files.jwks);
  if (!existsSync(keyFile)) {
    const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
    const priv = await jose.exportJWK(privateKey);
    const pub = await jose.exportJWK(publicKey);
    const kid = await jose.calculateJwkThumbprint(pub);
    writeFileSync(keyFile, JSON.stringify({ ...priv, kid, alg: 'ES256' }), { mode: 0o600 });
    writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...pub, kid, alg: 'ES256', use: 'sig' }] }, null, 2));
  }
  const jwk = JSON.parse(readFileSync(keyFile, 'utf8')) as jose.JWK & { kid: string };
  if (!existsSync(jwksFile)) {
    const { d: _d, ...pub } = jwk;
    writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...pub, use: 'sig' }] }, null, 2));
  }
  return { privateKey: await jose.importJWK(jwk, 'ES256'), kid: jwk.kid, jwksFile };
}
