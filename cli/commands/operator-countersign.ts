/**
 * The exporter's side of the operator's countersignature (operator/audit/evidence-countersign.ts): the
 * operator's published audit keys first (they go into the manifest) and whether it will countersign for
 * this caller, before anything is exported; then the manifest's sha256 with
 * the caller's own Kubernetes bearer token (from the kubeconfig, or a file), over TLS verified against
 * the operator's CA. The returned JWS is checked against those keys before it is written.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type * as jose from 'jose';
import type { ManifestCountersigner } from '../../proxy/audit/manifest.js';

export interface OperatorCountersignOptions {
  url: string;
  /** PEM of the CA of the operator's serving certificate. */
  ca?: string;
  /** The caller's bearer token: a file, else what the kubeconfig's user presents. */
  tokenFile?: string;
  kc?: KubeConfig;
  namespace?: string;
  timeoutMs?: number;
}

function call(
  o: OperatorCountersignOptions,
  method: 'GET' | 'POST',
  path: string,
  token?: string,
  body?: unknown,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL(path, o.url),
      {
        method,
        headers: {
          accept: 'application/json',
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        timeout: o.timeoutMs ?? 15_000,
        ...(o.ca ? { ca: o.ca } : {}),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d.length + text.length > 1 << 20 ? '' : d));
        res.on('end', () => {
          let json: { detail?: string } | undefined;
          try {
            json = JSON.parse(text) as { detail?: string };
          } catch {
            return reject(new Error(`operator answered ${res.statusCode} with non-JSON: ${text.slice(0, 200)}`));
          }
          if (res.statusCode !== 200)
            return reject(new Error(`operator refused (${res.statusCode}): ${json?.detail ?? text.slice(0, 200)}`));
          resolve(json);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('operator did not answer in time')));
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

async function bearerToken(o: OperatorCountersignOptions): Promise<string> {
  if (o.tokenFile) return readFileSync(o.tokenFile, 'utf8').trim();
  const opts: https.RequestOptions = { headers: {} };
  await o.kc?.applyToHTTPSOptions(opts);
  const header =
    (opts.headers as Record<string, string> | undefined)?.Authorization ??
    (opts.headers as Record<string, string> | undefined)?.authorization;
  const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
  if (!token)
    throw new Error(
      "the kubeconfig's user presents no bearer token (a client certificate?), and the operator authenticates callers by token (TokenReview): pass --operator-token-file",
    );
  return token;
}

export async function operatorCountersigner(o: OperatorCountersignOptions): Promise<ManifestCountersigner> {
  const token = await bearerToken(o);
  const jwks = (await call(o, 'GET', '/.well-known/audit-keys.json')) as jose.JSONWebKeySet;
  if (!Array.isArray(jwks?.keys) || !jwks.keys.length)
    throw new Error(`the operator at ${o.url} publishes no audit keys`);
  // Refused callers learn it before anything is exported.
  await call(o, 'POST', '/evidence/countersign', token, {
    check: true,
    ...(o.namespace ? { namespace: o.namespace } : {}),
  });
  return {
    kind: 'operator audit key',
    url: o.url,
    jwks: { keys: jwks.keys.map(({ d: _d, ...pub }) => pub) },
    countersign: async (manifestSha256) => {
      const r = (await call(o, 'POST', '/evidence/countersign', token, {
        manifestSha256,
        ...(o.namespace ? { namespace: o.namespace } : {}),
      })) as { jws?: unknown };
      if (typeof r.jws !== 'string') throw new Error('the operator answered without a countersignature');
      return r.jws;
    },
  };
}
