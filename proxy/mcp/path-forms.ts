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

/** A URL (`scheme:`), which a server does not resolve against a directory of its own. */
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/**
 * A value a server resolves against a directory the proxy does not know: `~…` (its HOME, or a user's)
 * or a relative path (anything not absolute and not a URL; `.env`, `secret/key.txt`).
 */
export function unanchored(v: string): boolean {
  return v.startsWith('~') || (!v.startsWith('/') && !SCHEME.test(v));
}

/** A pattern or value that names a path (has a `/`, is not a URL): absolute (`/srv/*`) or not (`docs/*`, `*` + `/.env`). */
function pathAnchor(a: string): boolean {
  return a.includes('/') && !SCHEME.test(a);
}

/**
 * Whether a value cannot be decided by a path condition: one still climbing out with `..` once folded
 * (either separator), or, against a path anchor (pattern or value with a `/`, absolute or not), one the
 * server resolves against its home (`~`) or its working directory (relative): `.env` is `<root>/.env`
 * to the server, which a pattern `*` + `/.env` names. It matches Deny and RequireApproval rules, never Allow.
 */
export function undecidablePath(v: string, anchors: readonly string[]): boolean {
  if (posix.normalize(v).split(/[/\\]/).includes('..')) return true;
  return anchors.some(pathAnchor) && unanchored(v);
}

/** At most this many directories a relative argument is tried against (CEL). */
const MAX_ROOTS = 16;

/**
 * The directories a server might resolve a relative or `~` argument against, as far as a CEL rule can
 * tell them apart: `/` and every directory leading to a path the expression names (its string literals'
 * `/…` runs). `secret/key.txt` is `<dir>/secret/key.txt` for a rule naming `<dir>/secret/`.
 */
export function candidateRoots(expression: string): string[] {
  const roots = new Set<string>(['/']);
  for (const lit of expression.match(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g) ?? [])
    for (const run of lit.match(/\/[^\s"'*?^$()[\]{}|+\\]*/g) ?? []) {
      const parts = run.split('/').filter(Boolean);
      for (let i = 1; i <= parts.length && roots.size < MAX_ROOTS; i++) roots.add(`/${parts.slice(0, i).join('/')}`);
    }
  return [...roots];
}

/** `v` as a server whose working directory (and HOME) is `root` resolves it (unchanged when anchored). */
export function resolvedAgainst(v: string, root: string): string {
  if (!unanchored(v)) return v;
  if (v.startsWith('~')) {
    const slash = v.indexOf('/');
    return posix.join(root, slash < 0 ? '' : v.slice(slash));
  }
  return posix.resolve(root, v);
}

/**
 * The arguments in every form a CEL rule must see them in: as sent, with each string folded as a path,
 * with each relative or `~` string resolved against each of `roots` (candidateRoots), and each in NFC
 * and NFD (deduplicated: plain ASCII arguments without paths give one form per root).
 */
export function argumentForms(args: Record<string, unknown>, roots: readonly string[] = []): Record<string, unknown>[] {
  const folded = mapStrings(args, resolvedPath) as Record<string, unknown>;
  const out: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  const bases = [args, folded, ...roots.map((r) => mapStrings(args, (s) => resolvedAgainst(s, r)))];
  for (const b of bases)
    for (const a of [b, mapStrings(b, (s) => s.normalize('NFC')), mapStrings(b, (s) => s.normalize('NFD'))]) {
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
