/**
 * `agentgate token exchange`: the trigger side of a run. Sends the person's token (subject) and the
 * agent's service-account token (actor) to the operator's RFC 8693 endpoint and prints the run token.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

export interface TokenExchangeCommand {
  url: string;
  subjectToken: string;
  actorToken: string;
  caFile?: string;
  /** The CA itself (PEM), e.g. from AGENTGATE_OPERATOR_CA, which admission fixes in the pod spec. */
  ca?: string;
  resource?: string;
  /** What the subject token is (default jwt). A SAML assertion may be given as XML; it is sent base64url. */
  subjectTokenType?: 'jwt' | 'id_token' | 'saml2';
}

const TOKEN_TYPES = {
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  id_token: 'urn:ietf:params:oauth:token-type:id_token',
  saml2: 'urn:ietf:params:oauth:token-type:saml2',
} as const;

/** RFC 8693 carries a SAML assertion base64url-encoded; a file holding the XML itself is encoded here. */
export function subjectTokenValue(token: string, type: TokenExchangeCommand['subjectTokenType']): string {
  const t = token.trim();
  if (type !== 'saml2') return t;
  if (t.startsWith('<')) return Buffer.from(t, 'utf8').toString('base64url');
  // A base64 (not url) assertion, as IdPs hand out SAMLResponse values, is re-encoded as base64url.
  return /[+/=]/.test(t) ? Buffer.from(t, 'base64').toString('base64url') : t;
}

export async function runTokenExchange(o: TokenExchangeCommand): Promise<number> {
  const body = new URLSearchParams({
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    subject_token: subjectTokenValue(o.subjectToken, o.subjectTokenType),
    subject_token_type: TOKEN_TYPES[o.subjectTokenType ?? 'jwt'],
    actor_token: o.actorToken,
    actor_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    requested_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    ...(o.resource ? { resource: o.resource } : {}),
  }).toString();
  const url = new URL('/token', o.url);
  // Plain HTTP only to this machine (a local operator or test); tokens never cross a network in clear.
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    process.stderr.write(`agentgate: the operator URL must be https (http only on 127.0.0.1): ${o.url}\n`);
    return 1;
  }
  const client = url.protocol === 'https:' ? https : http;
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        ...(o.caFile ? { ca: readFileSync(o.caFile) } : o.ca ? { ca: o.ca } : {}),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  const json = JSON.parse(text || '{}') as { access_token?: string; error?: string; error_description?: string };
  if (status !== 200 || !json.access_token) {
    process.stderr.write(
      `agentgate: token exchange refused (${status} ${json.error ?? ''}): ${json.error_description ?? text}\n`,
    );
    return 1;
  }
  process.stdout.write(`${json.access_token}\n`);
  return 0;
}
