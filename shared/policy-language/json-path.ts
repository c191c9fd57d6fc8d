/**
 * The small JSON path the policy uses for body conditions and response field masks: `$`, `.key`,
 * `['key']`, `[n]`, `[*]` and `.*`. A bare name (no `$`) means that key at any depth.
 */
export type Step = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'any' };

export interface JsonPath {
  source: string;
  /** undefined: a bare key name, matched at any depth. */
  steps?: Step[];
  key?: string;
}

export function compileJsonPath(source: string): JsonPath {
  if (!source.startsWith('$')) return { source, key: source };
  const steps: Step[] = [];
  let i = 1;
  while (i < source.length) {
    const rest = source.slice(i);
    let m: RegExpExecArray | null;
    if ((m = /^\.\*/.exec(rest)) || (m = /^\[\*\]/.exec(rest))) steps.push({ kind: 'any' });
    else if ((m = /^\.([A-Za-z_$][\w$-]*)/.exec(rest))) steps.push({ kind: 'key', key: m[1]! });
    else if ((m = /^\[(\d{1,9})\]/.exec(rest))) steps.push({ kind: 'index', index: Number(m[1]) });
    else if ((m = /^\['((?:[^'\\]|\\.)*)'\]/.exec(rest)) || (m = /^\["((?:[^"\\]|\\.)*)"\]/.exec(rest)))
      steps.push({ kind: 'key', key: m[1]!.replace(/\\(.)/g, '$1') });
    else throw new Error(`cannot read the JSON path at "${rest.slice(0, 20)}"`);
    i += m[0].length;
  }
  return { source, steps };
}

export function jsonPathError(source: string): string | undefined {
  try {
    compileJsonPath(source);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Whether `path` (a concrete location, keys and indexes) is selected by `p`. */
export function pathSelects(p: JsonPath, path: readonly (string | number)[]): boolean {
  if (p.key !== undefined) return path.length > 0 && path[path.length - 1] === p.key;
  const steps = p.steps!;
  if (steps.length !== path.length) return false;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    const at = path[i]!;
    if (s.kind === 'any') continue;
    if (s.kind === 'key' && at !== s.key) return false;
    if (s.kind === 'index' && at !== s.index) return false;
  }
  return true;
}

/** Every value the path selects in `doc` (bare keys: at any depth). */
export function selectValues(p: JsonPath, doc: unknown): unknown[] {
  const out: unknown[] = [];
  const path: (string | number)[] = [];
  const walk = (v: unknown): void => {
    if (path.length > 0 && pathSelects(p, path)) out.push(v);
    if (p.steps && path.length >= p.steps.length) return;
    const children: [string | number, unknown][] = Array.isArray(v)
      ? v.map((x, i) => [i, x])
      : v && typeof v === 'object'
        ? Object.entries(v)
        : [];
    for (const [k, x] of children) {
      path.push(k);
      walk(x);
      path.pop();
    }
  };
  if (p.steps && p.steps.length === 0) return [doc];
  walk(doc);
  return out;
}
