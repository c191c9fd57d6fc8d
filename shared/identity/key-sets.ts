/** Where an issuer's verification keys come from: a JWKS file, a JWKS URL, or the cluster's issuer. */
import { readFileSync } from 'node:fs';
import * as jose from 'jose';
import { RemoteJwks } from './remote-jwks.js';

export type KeyResolver = ReturnType<typeof jose.createLocalJWKSet> | RemoteJwks['getKey'];

export interface KeySourceSpec {
  issuer: string;
  jwksFile?: string;
  jwksUri?: string;
  kubernetes?: boolean;
  caFile?: string;
}

export interface KeySetOptions {
  resolvePath?: (p: string) => string;
  kubernetesJwks?: () => Promise<jose.JSONWebKeySet>;
}

export function keySetFor(spec: KeySourceSpec, o: KeySetOptions = {}): KeyResolver {
  const resolve = (p: string): string => (o.resolvePath ? o.resolvePath(p) : p);
  if (spec.jwksFile) {
    const file = resolve(spec.jwksFile);
    let jwks: jose.JSONWebKeySet;
    try {
      jwks = JSON.parse(readFileSync(file, 'utf8')) as jose.JSONWebKeySet;
    } catch (e) {
      throw new Error(`issuer ${spec.issuer}: cannot read jwksFile ${file}: ${(e as Error).message}`, { cause: e });
    }
    return jose.createLocalJWKSet(jwks);
  }
  if (spec.jwksUri) {
    if (!spec.caFile)
      return jose.createRemoteJWKSet(new URL(spec.jwksUri), { cooldownDuration: 30_000 }) as unknown as KeyResolver;
    const ca = readFileSync(resolve(spec.caFile));
    return new RemoteJwks(() => getJson(spec.jwksUri!, ca) as Promise<jose.JSONWebKeySet>).getKey;
  }
  if (!o.kubernetesJwks)
    throw new Error(
      `issuer ${spec.issuer}: kubernetes: true needs access to a cluster (run with a kubeconfig or in a pod)`,
    );
  return new RemoteJwks(o.kubernetesJwks).getKey;
}

async function getJson(url: string, ca: Buffer): Promise<unknown> {
  // Loaded on first use, like every TLS module here: a sidecar that never fetches keeps it out of memory.
  const https = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`GET ${url}: HTTP ${res.statusCode}`));
        try {
          resolve(JSON.parse(body));
        } catch (e) {
          reject(e as Error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timed out`)));
    req.on('error', reject);
  });
}
