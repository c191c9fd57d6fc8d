/**
 * Request paths as rules see them, and path templates. A path is refused when an upstream could read it
 * differently from the proxy (dot segments, empty segments, encoded slashes or backslashes, NUL, bad
 * percent-encoding), so that the path the rules matched is the path the API routes.
 */
export class PathError extends Error {}

export interface RequestPath {
  /** Decoded segments, after the upstream url's base path has been prefixed (not part of them). */
  segments: string[];
  /** The path as sent by the agent (raw, still encoded), without the query. */
  raw: string;
  /** The raw query string, without '?'. */
  query: string;
}

const FORBIDDEN_ENCODED = /%(2f|5c|00)/i;

export function parseRequestPath(target: string): RequestPath {
  if (!target.startsWith('/')) throw new PathError('the request target must be a path starting with /');
  const q = target.indexOf('?');
  const raw = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? '' : target.slice(q + 1);
  // Anywhere in the target: a server that cuts the fragment off reads a shorter query than the rules did.
  if (target.includes('#')) throw new PathError('a fragment may not be sent');
  if (raw.includes('\\')) throw new PathError('backslashes are not allowed in paths');
  if (FORBIDDEN_ENCODED.test(raw)) throw new PathError('encoded slashes, backslashes and NUL are not allowed in paths');
  if (raw === '/') return { segments: [], raw, query };
  const parts = raw.slice(1).split('/');
  // One trailing slash names the same resource for most routers: rules see the path without it.
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  const segments = parts.map((p) => {
    if (p === '') throw new PathError('empty path segments (//) are not allowed');
    let d: string;
    try {
      d = decodeURIComponent(p);
    } catch {
      throw new PathError('malformed percent-encoding in the path');
    }
    if (d === '.' || d === '..') throw new PathError('dot segments (. and ..) are not allowed in paths');
    // eslint-disable-next-line no-control-regex -- control characters are what this refuses
    if (/[\u0000-\u001f\u007f]/.test(d)) throw new PathError('control characters are not allowed in paths');
    return d;
  });
  return { segments, raw, query };
}

type Part = { kind: 'literal'; value: string } | { kind: 'one'; name?: string } | { kind: 'many' };

export interface PathTemplate {
  source: string;
  parts: Part[];
}

export function compileTemplate(source: string): PathTemplate {
  const parts: Part[] = [];
  for (const s of source.split('/').slice(1)) {
    if (s === '') continue;
    if (s === '**') parts.push({ kind: 'many' });
    else if (s === '*') parts.push({ kind: 'one' });
    else if (/^\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(s)) parts.push({ kind: 'one', name: s.slice(1, -1) });
    else if (/[{}*]/.test(s)) throw new PathError(`segment "${s}": {name}, * and ** must be whole segments`);
    else parts.push({ kind: 'literal', value: safeDecode(s) });
  }
  return { source, parts };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Template validation message, or undefined. */
export function templateError(source: string): string | undefined {
  try {
    compileTemplate(source);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * Whether the segments match. `caseless`: literals compare without case (Deny and RequireApproval rules
 * use it, since many routers ignore case: fail closed); Allow rules compare exactly. Linear-time for one
 * `**`; with several, a memo keeps it O(parts × segments).
 */
export function matchTemplate(t: PathTemplate, segments: readonly string[], caseless: boolean): boolean {
  const memo = new Map<number, boolean>();
  const go = (pi: number, si: number): boolean => {
    const key = pi * (segments.length + 1) + si;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    let r: boolean;
    if (pi === t.parts.length) r = si === segments.length;
    else {
      const p = t.parts[pi]!;
      if (p.kind === 'many') r = go(pi + 1, si) || (si < segments.length && go(pi, si + 1));
      else if (si === segments.length) r = false;
      else if (p.kind === 'one') r = go(pi + 1, si + 1);
      else
        r =
          (caseless ? p.value.toLowerCase() === segments[si]!.toLowerCase() : p.value === segments[si]) &&
          go(pi + 1, si + 1);
    }
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}
