/**
 * Which of the agent's forwarded headers an HTTP approval binds (its sha256) and shows approvers: every
 * end-to-end header that reaches the API (tenant, account, On-Behalf-Of, If-Match, Prefer…), because
 * the API acts on them, except a short list of headers that only negotiate the response's form or
 * trace the call, which clients set by themselves and which would otherwise make every retry a new
 * approval. A header on that list is bound all the same when a rule of the policy looks at it (by
 * name in `when.http.headers`, or any CEL expression that reads headers). Hop-by-hop headers, the
 * agent's credentials and what the proxy sets itself never reach the API, so they are not here.
 */
import type { PolicyRuntime } from '../policy/runtime.js';

const NOT_BOUND = new Set([
  'accept',
  'accept-language',
  'accept-encoding',
  'user-agent',
  'sec-fetch-mode',
  'sec-fetch-site',
  'sec-fetch-dest',
  'sec-fetch-user',
  'traceparent',
  'tracestate',
  'baggage',
  'x-request-id',
  'x-correlation-id',
  'cache-control',
  'pragma',
]);

/** The header names the policy's rules read: these are bound whatever NOT_BOUND says (`'*'`: all). */
export function headersRulesRead(rt: PolicyRuntime): Set<string> {
  const out = new Set<string>();
  for (const r of rt.policy.spec.rules ?? []) {
    for (const h of r.when?.http?.headers ?? []) out.add(h.name.toLowerCase());
    if (r.when?.http?.cel && /headers/.test(r.when.http.cel)) out.add('*');
  }
  return out;
}

/**
 * The forwarded headers an approval binds, canonical: lower-case names in order, each with its values
 * as sent. `bodyRead`: the body is bound as parsed JSON (or empty), so its Content-Type says nothing more.
 */
export function boundHeaders(
  headers: Map<string, string[]>,
  bodyRead: boolean,
  rulesRead: Set<string>,
): [string, string[]][] {
  const all = rulesRead.has('*');
  return [...headers]
    .filter(([name]) => all || rulesRead.has(name) || (!NOT_BOUND.has(name) && !(bodyRead && name === 'content-type')))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Names that carry a credential: approvers read that one is sent, never its value (the hash binds it). */
const CREDENTIAL = /cookie|token|key|secret|auth|passw|session|signature/;

/** One line per value, `name: value`, as approvers read them (detectors are the caller's). */
export function headerLines(bound: [string, string[]][]): string {
  return bound
    .flatMap(([name, values]) => values.map((v) => `${name}: ${CREDENTIAL.test(name) ? '[not shown: credential]' : v}`))
    .join('\n');
}
