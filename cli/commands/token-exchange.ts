/**
 * `agentgate token exchange`: the trigger side of a run. Sends the person's token (subject) and the
 * agent's service-account token (actor) to the operator's RFC 8693 endpoint and prints the run token.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';

export interface TokenExchangeCommand {
  url: string;
  subjectToken: string;
  actorToken: string;
  caFile?: string;
  /** The CA itself (PEM), e.g. from AGENTGATE_OPERATOR_CA, which admission fixes in the pod spec. */
  ca?: string;
  resource?: string;
}

export async function runTokenExchange(o: TokenExchangeCommand): Promise<number> {
  const body = new URLSearchParams({
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    subject_token: o.subjectToken,
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    actor_token: o.actorToken,
    actor_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    requested_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    ...(o.resource ? { resource: o.resource } : {}),
  }).toString();
  const url = new URL('/token', o.url);
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = https.request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, ...(o.caFile ? { ca: readFileSync(o.caFile) } : o.ca ? { ca: o.ca } : {}) }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
  const json = JSON.parse(text || '{}') as { access_token?: string; error?: string; error_description?: string };
  if (status !== 200 || !json.access_token) {
    process.stderr.write(`agentgate: token exchange refused (${status} ${json.error ?? ''}): ${json.error_description ?? text}\n`);
    return 1;
  }
  process.stdout.write(`${json.access_token}\n`);
  return 0;
}
