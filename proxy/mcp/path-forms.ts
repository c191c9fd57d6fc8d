/**
 * The forms in which a server may read a value the agent sent: as sent, as a path resolver folds it
 * (`//`, `.`, `..` and a trailing `/` gone, as `path.resolve` does), and each of those in Unicode NFC and
 * NFD (servers such as the reference filesystem server look a component up by its NFC form when the
 * bytes sent name nothing). Rules are matched against every form: Deny and RequireApproval rules on any,
 * Allow rules on all (decide-mcp.ts).
 */
import { posix } from 'node:path';

const URL_PREFIX = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i;

/** A value as a server resolves it when it is a path (has a `/`), else the value itself. */
export function resolvedPath(v: string): string {
  if (!v.includes('/')) return v;
  // A URL keeps its scheme and authority; only its path is folded.
  const prefix = URL_PREFIX.exec(v)?.[0] ?? '';
  const rest = v.slice(prefix.length);
  if (prefix && rest === '') return v;
  let n = posix.normalize(rest);
  while (n.length > 1 && n.endsWith('/')) n = n.slice(0, -1);
  return prefix + n;
}

/** The value as sent and as resolved (deduplicated). */
export function pathForms(v: string): string[] {
  const r = resolvedPath(v);
  return r === v ? [v] : [v, r];
}

export type UnicodeForm = 'as-sent' | 'NFC' | 'NFD';
export const UNICODE_FORMS: readonly UnicodeForm[] = ['as-sent', 'NFC', 'NFD'];

export function inForm(s: string, form: UnicodeForm): string {
  return form === 'as-sent' ? s : s.normalize(form);
}

/**
 * Whether a value cannot be decided by a path condition: one still climbing out with `..` once folded
 * (either separator), or, against an absolute anchor (pattern or value), one the server resolves against
 * its home (`~`) or its working directory (relative). It matches Deny and RequireApproval rules, never Allow.
 */
export function undecidablePath(v: string, anchors: readonly string[]): boolean {
  if (posix.normalize(v).split(/[/\\]/).includes('..')) return true;
  return anchors.some((a) => a.startsWith('/')) && !v.startsWith('/');
}

/**
 * The arguments in every form a CEL rule must see them in: as sent, with each string folded as a path,
 * and that in NFC and NFD (deduplicated: plain ASCII arguments without paths give one form).
 */
export function argumentForms(args: Record<string, unknown>): Record<string, unknown>[] {
  const folded = mapStrings(args, resolvedPath) as Record<string, unknown>;
  const out: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  for (const a of [
    args,
    folded,
    mapStrings(folded, (s) => s.normalize('NFC')),
    mapStrings(folded, (s) => s.normalize('NFD')),
  ]) {
    const k = JSON.stringify(a);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(a as Record<string, unknown>);
  }
  return out;
}

function mapStrings(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f));
  // fromEntries defines own properties: a `__proto__` key stays a key.
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, mapStrings(x, f)]));
  return v;
}
