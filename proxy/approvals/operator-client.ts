/** JSON calls to the operator, authenticated with the proxy's own token (audience agentgate-proxy). */
import { readFileSync } from 'node:fs';
import https from 'node:https';

export interface OperatorEndpoint {
  /** The operator's base URL (https). */
  url: string;
  /** The proxy's projected token (re-read on every call: the kubelet rotates it). */
  tokenFile: string;
  ca?: Buffer;
  timeoutMs?: number;
}

export function postToOperator(o: OperatorEndpoint, path: string, body: unknown): Promise<unknown> {
  return callOperator(o, 'POST', path, { body });
}

/** A GET; `signal` abandons it (the promise then rejects). */
export function getFromOperator(
  o: OperatorEndpoint,
  path: string,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<unknown> {
  return callOperator(o, 'GET', path, options);
}

function callOperator(
  o: OperatorEndpoint,
  method: 'GET' | 'POST',
  path: string,
  options: { body?: unknown; timeoutMs?: number; signal?: AbortSignal },
): Promise<unknown> {
  const token = readFileSync(o.tokenFile, 'utf8').trim();
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL(path, o.url),
      {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
        },
        timeout: options.timeoutMs ?? o.timeoutMs ?? 10_000,
        ...(o.ca ? { ca: o.ca } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('error', reject);
        res.on('end', () => {
          let json: { detail?: string } | undefined;
          try {
            json = JSON.parse(text) as { detail?: string };
          } catch {
            return reject(new Error(`operator answered ${res.statusCode} with non-JSON: ${text.slice(0, 200)}`));
          }
          if (res.statusCode !== 200)
            return reject(
              Object.assign(new Error(`operator refused ${path} (${res.statusCode}): ${json.detail ?? text}`), {
                status: res.statusCode,
              }),
            );
          resolve(json);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('operator did not answer in time')));
    req.on('error', reject);
    req.end(method === 'POST' ? JSON.stringify(options.body) : undefined);
  });
}
