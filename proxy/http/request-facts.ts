/**
 * What the HTTP adapter extracts from a request for the gate: method, path (raw and as segments),
 * query, headers and the JSON body, plus the approval binding: sha256 of method, path, canonical
 * body and the headers an approval binds (header-binding.ts). Built once per request; rules never see bytes.
 */
import { createHash } from 'node:crypto';
import type { RequestPath } from '../../shared/policy-language/path-template.js';
import { boundHeaders } from './header-binding.js';

export interface HttpRequestFacts {
  target: string;
  method: string;
  path: RequestPath;
  query: Map<string, string[]>;
  /** Lower-case names; every value as sent. */
  headers: Map<string, string[]>;
  /** The body as received (never logged in clear). */
  body: Buffer;
  /** The parsed JSON body; `invalid` when the body is not empty and not JSON (or labelled as a form); undefined when empty. */
  json?: { value: unknown } | 'invalid';
  /**
   * The parameters are not all in `query`: a multipart form, a body with several Content-Types, or more
   * parameters than frameworks read. Query
   * conditions (and CEL naming `query`) then match stopping rules and never Allow rules.
   */
  paramsUnclear?: true;
  /** The forwarded headers an approval binds and shows (header-binding.ts), canonical. */
  boundHeaders: [string, string[]][];
  /** sha256 over method, raw path and query, the canonical body and the bound headers: what an approval is bound to. */
  sha256: string;
}

const MAX_JSON_DEPTH = 128;
/** Past this many parameters, qs (express) and PHP drop the rest silently: the API may not read what the rules saw. */
const MAX_PARAMS = 1000;

export function queryMap(raw: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of new URLSearchParams(raw)) {
    const list = out.get(k);
    if (list) list.push(v);
    else out.set(k, [v]);
  }
  return out;
}

export function headerMap(h: NodeJS.Dict<string[]>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of Object.entries(h)) if (v) out.set(k.toLowerCase(), v);
  return out;
}

/** Exact UTF-8 only: invalid bytes are not replaced (two bodies would read the same), a BOM is kept (so not JSON). */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const J = JSON as unknown as { rawJSON: (s: string) => unknown; isRawJSON: (v: unknown) => boolean };

export function parseJsonBody(body: Buffer): HttpRequestFacts['json'] {
  if (body.length === 0) return undefined;
  try {
    const text = UTF8.decode(body);
    const value = JSON.parse(text) as unknown;
    if (depth(value) > MAX_JSON_DEPTH) return 'invalid';
    if (hasDuplicateKeys(text)) return 'invalid';
    return { value };
  } catch {
    return 'invalid';
  }
}

function depth(v: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (d > max) max = d;
    if (d > MAX_JSON_DEPTH) return d;
    if (x && typeof x === 'object') for (const c of Object.values(x)) stack.push([c, d + 1]);
  }
  return max;
}

/**
 * JSON that JSON.parse accepted, scanned once for an object with the same key twice: parsers differ on
 * which one wins (JSON.parse keeps the last, others the first), so such a body is not decided on.
 */
export function hasDuplicateKeys(text: string): boolean {
  const objects: Set<string>[] = [];
  const kinds: ('o' | 'a')[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (expectKey && kinds[kinds.length - 1] === 'o') {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        const seen = objects[objects.length - 1]!;
        if (seen.has(key)) return true;
        seen.add(key);
        expectKey = false;
      }
      i = j;
    } else if (ch === '{') {
      kinds.push('o');
      objects.push(new Set());
      expectKey = true;
    } else if (ch === '[') {
      kinds.push('a');
    } else if (ch === '}') {
      kinds.pop();
      objects.pop();
    } else if (ch === ']') {
      kinds.pop();
    } else if (ch === ',') {
      expectKey = kinds[kinds.length - 1] === 'o';
    }
  }
  return false;
}

/**
 * Keys sorted at every level, no whitespace: two bodies that mean the same JSON hash the same. Numbers
 * parsed with their source (JSON.rawJSON) keep their exact text: values a double would round apart stay apart.
 */
export function canonicalJson(v: unknown): string {
  if (J.isRawJSON(v)) return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The body with every number as its source text, for the binding only (rules compare numbers as numbers). */
function exactJson(body: Buffer): unknown {
  return JSON.parse(UTF8.decode(body), (_k, v, ctx?: { source?: string }) =>
    typeof v === 'number' && ctx?.source !== undefined ? J.rawJSON(ctx.source) : v,
  );
}

export function approvalBinding(
  method: string,
  path: RequestPath,
  body: Buffer,
  json: HttpRequestFacts['json'],
  headers: [string, string[]][] = [],
): string {
  // Tagged, so that a JSON text and the base64 of other bytes are never the same input.
  const canonical =
    json && json !== 'invalid' ? `json:${canonicalJson(exactJson(body))}` : `bytes:${body.toString('base64')}`;
  return createHash('sha256')
    .update(
      `${method}\n${path.raw}${path.query ? `?${path.query}` : ''}\n${canonical}${headers.length ? `\nheaders:${JSON.stringify(headers)}` : ''}`,
    )
    .digest('hex');
}

/**
 * How the API will read the body, by its Content-Type: APIs read an urlencoded form's fields as
 * parameters (express' urlencoded parser, Go's FormValue), whatever the bytes would mean as JSON.
 * No Content-Type is read as JSON (Go decoders do not look at it).
 */
export function bodyReading(
  contentTypes: string[] | undefined,
): 'json' | 'form' | 'opaque' | 'opaque-form' | 'ambiguous' {
  if (!contentTypes?.length) return 'json';
  if (contentTypes.length > 1) return 'ambiguous';
  const [type, ...params] = contentTypes[0]!.split(';');
  const media = type!.trim().toLowerCase();
  // Bytes in another charset (UTF-16…) are other text to an API that decodes them: not read here.
  const foreign = params.some((p) => {
    const m = /^\s*charset\s*=\s*"?([^"\s]*)"?\s*$/i.exec(p);
    return m !== null && !['utf-8', 'utf8', 'us-ascii'].includes(m[1]!.toLowerCase());
  });
  if (media === 'application/x-www-form-urlencoded') return foreign ? 'opaque-form' : 'form';
  if (media === 'multipart/form-data') return 'opaque-form';
  return foreign ? 'opaque' : 'json';
}

/** Pieces between '&', empty ones too: qs counts them against its limit. */
function paramPieces(raw: string): number {
  return raw === '' ? 0 : raw.split('&').length;
}

export function buildFacts(
  target: string,
  method: string,
  path: RequestPath,
  headers: NodeJS.Dict<string[]>,
  body: Buffer,
  rulesRead: Set<string> = new Set(),
): HttpRequestFacts {
  const reading = body.length ? bodyReading(headers['content-type']) : 'json';
  const json = reading === 'json' ? parseJsonBody(body) : 'invalid';
  const query = queryMap(path.query);
  if (reading === 'form') {
    for (const [k, v] of queryMap(body.toString('utf8'))) query.set(k, [...(query.get(k) ?? []), ...v]);
  }
  const map = headerMap(headers);
  const bound = boundHeaders(map, body.length === 0 || (json !== undefined && json !== 'invalid'), rulesRead);
  return {
    target,
    method,
    path,
    query,
    headers: map,
    boundHeaders: bound,
    body,
    ...(json ? { json } : {}),
    ...(reading === 'opaque-form' ||
    reading === 'ambiguous' ||
    paramPieces(path.query) + (reading === 'form' ? paramPieces(body.toString('utf8')) : 0) > MAX_PARAMS
      ? { paramsUnclear: true as const }
      : {}),
    sha256: approvalBinding(method, path, body, json, bound),
  };
}

/** The request as audit records and approval requests show it (masked by the caller): method, path and query; never the body. */
export function requestLine(f: Pick<HttpRequestFacts, 'method' | 'path'>): string {
  return `${f.method} ${f.path.raw}${f.path.query ? `?${f.path.query}` : ''}`;
}
