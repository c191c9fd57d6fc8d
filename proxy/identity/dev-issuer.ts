/**
 * A local token issuer for development, the demo and tests: an ES256 key kept in a directory, its
 * public JWKS beside it, and short-lived JWTs signed with it. Not for production identities.
 */
import { randomUUID } from 'node:crypto';
import * as jose from 'jose';
import { ensureLocalSigningKey, type LocalSigningKey } from './local-key.js';

export const DEV_KEY_FILE = 'dev-signing-key.jwk.json';
export const DEV_JWKS_FILE = 'dev-jwks.json';

export type DevKey = LocalSigningKey;

export function ensureDevKey(dir: string): Promise<DevKey> {
  return ensureLocalSigningKey(dir, { key: DEV_KEY_FILE, jwks: DEV_JWKS_FILE });
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
