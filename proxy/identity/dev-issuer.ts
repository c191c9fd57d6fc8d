/**
 * A local token issuer for development, the demo and tests: an ES256 key kept in a directory, its
 * public JWKS beside it, and short-lived JWTs signed with it. Not for production identities.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as jose from 'jose';

type SigningKey = Awaited<ReturnType<typeof jose.importJWK>>;

export const DEV_KEY_FILE = 'dev-signing-key.jwk.json';
export const DEV_JWKS_FILE = 'dev-jwks.json';

export interface DevKey {
  privateKey: SigningKey;
  kid: string;
  jwksFile: string;
}

export async function ensureDevKey(dir: string): Promise<DevKey> {
  mkdirSync(dir, { recursive: true });
  const keyFile = join(dir, DEV_KEY_FILE);
  const jwksFile = join(dir, DEV_JWKS_FILE);
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

export interface IssueOptions {
  dir: string;
  issuer: string;
  subject: string;
  audience: string | string[];
  ttlSeconds: number;
  claims?: jose.JWTPayload;
  /** Injected clock (seconds), for tests. */
  now?: number;
}

export async function issueDevToken(o: IssueOptions): Promise<string> {
  const key = await ensureDevKey(o.dir);
  const now = o.now ?? Math.floor(Date.now() / 1000);
  return new jose.SignJWT({ ...o.claims })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
    .setIssuer(o.issuer)
    .setSubject(o.subject)
    .setAudience(o.audience)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + o.ttlSeconds)
    .setJti(randomUUID())
    .sign(key.privateKey);
}
