/**
 * Masks a JSON document value by value: every string (and every number's text, and every object key)
 * through the detectors and patterns; whole values at field rules (a JSON path, or a key name anywhere,
 * including masking.columns names). Numbers keep their exact source text (no float rounding).
 */
import type { Masker } from '../masking/masker.js';
import type { MaskStrategy } from '../../shared/contract/policy-types.js';
import { compileJsonPath, pathSelects, type JsonPath } from '../../shared/policy-language/json-path.js';

interface FieldRule {
  path: JsonPath;
  strategy: MaskStrategy;
}

const J = JSON as unknown as { rawJSON: (s: string) => unknown; isRawJSON: (v: unknown) => boolean };
/** JSON documents inside strings inside strings…: how deep field rules follow them. */
const MAX_NESTED = 4;

/** JSON.parse keeping every number's source text. */
function parseExact(text: string): unknown {
  return JSON.parse(text, (_k, v, ctx?: { source?: string }) =>
    typeof v === 'number' && ctx?.source !== undefined ? J.rawJSON(ctx.source) : v,
  );
}

/** Values masked so far, and whether the document is an API's response. */
interface Counter {
  n: number;
  response: boolean;
}

/** A document field rules cannot be applied to soundly: the response is refused, never passed on. */
export class UnmaskableShape extends Error {}

/**
 * A Kubernetes Table (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`, what kubectl get asks
 * for): each row is an array of cells under display names (`columnDefinitions`), which a field rule's
 * path or key name cannot be mapped to (a printer column may show any field under any name; a Secret's
 * "Data" column is a count), and `rows[*].object` moves whole objects off the paths rules name.
 */
export function isKubeTable(v: Record<string, unknown>): boolean {
  return (
    (v.kind === 'Table' && typeof v.apiVersion === 'string' && v.apiVersion.startsWith('meta.k8s.io/')) ||
    (Array.isArray(v.columnDefinitions) && Array.isArray(v.rows))
  );
}

/**
 * A Kubernetes Secret: its `stringData` is its `data` written in clear (the API server folds it into
 * `data`, but kubectl's last-applied-configuration annotation keeps it as written), so field rules on
 * `data` select it too.
 */
function isKubeSecret(v: Record<string, unknown>): boolean {
  return v.kind === 'Secret' && v.apiVersion === 'v1';
}

export class JsonMasker {
  private readonly rules: FieldRule[];

  constructor(
    private readonly masker: Masker,
    fields: { path: string; strategy?: MaskStrategy }[],
    defaultStrategy: MaskStrategy,
  ) {
    this.rules = fields.map((f) => ({ path: compileJsonPath(f.path), strategy: f.strategy ?? defaultStrategy }));
  }

  /** Field rules (paths, key names, masking.columns): they need the JSON structure. */
  get hasFieldRules(): boolean {
    return this.masker.hasColumnRules || this.rules.length > 0;
  }

  get active(): boolean {
    return this.masker.scansValues || this.masker.hasColumnRules || this.rules.length > 0;
  }

  /**
   * Parses, masks and serializes; throws SyntaxError when `text` is not JSON. `response`: an API's
   * response, where a Kubernetes Table under field rules throws UnmaskableShape.
   */
  maskText(text: string, response = false): { text: string; count: number } {
    const counter: Counter = { n: 0, response };
    const out = this.walk(parseExact(text), [], counter);
    return { text: JSON.stringify(out), count: counter.n };
  }

  /**
   * A string that is itself a JSON object or array (a config blob, kubectl's last-applied-configuration)
   * is JSON to whoever reads it: field rules apply inside it, its paths from its own root. Re-serialized
   * only when something in it was masked; a few levels deep at most.
   */
  private nested(s: string, c: Counter, level: number): string | undefined {
    if (level >= MAX_NESTED || !this.hasFieldRules || !/^\s*[[{]/.test(s)) return undefined;
    let doc: unknown;
    try {
      doc = parseExact(s);
    } catch {
      return undefined;
    }
    const inner: Counter = { n: 0, response: c.response };
    const out = this.walk(doc, [], inner, level + 1);
    if (inner.n === 0) return undefined;
    c.n += inner.n;
    return JSON.stringify(out);
  }

  private ruleFor(path: readonly (string | number)[]): MaskStrategy | undefined {
    for (const r of this.rules) if (pathSelects(r.path, path)) return r.strategy;
    const last = path[path.length - 1];
    return typeof last === 'string' ? this.masker.columnStrategy(last) : undefined;
  }

  private walk(v: unknown, path: (string | number)[], c: Counter, level = 0): unknown {
    if (path.length > 0) {
      const strategy = this.ruleFor(path);
      if (strategy && v !== null) {
        c.n++;
        const label = String(path[path.length - 1]);
        return this.masker.apply(
          typeof v === 'string' ? v : J.isRawJSON(v) ? JSON.stringify(v) : JSON.stringify(v),
          strategy,
          label,
        );
      }
    }
    if (typeof v === 'string') return this.nested(v, c, level) ?? this.text(v, c);
    if (J.isRawJSON(v)) {
      const src = JSON.stringify(v);
      const m = this.masker.maskText(src);
      if (m.count === 0) return v;
      c.n += m.count;
      return m.text;
    }
    // One path array, pushed and popped: no copy per value.
    if (Array.isArray(v)) {
      return v.map((x, i) => {
        path.push(i);
        const r = this.walk(x, path, c, level);
        path.pop();
        return r;
      });
    }
    if (v && typeof v === 'object') {
      if (c.response && this.hasFieldRules && isKubeTable(v as Record<string, unknown>))
        throw new UnmaskableShape(
          'the response is a Kubernetes Table, whose cells field rules cannot be mapped to; ask for plain JSON (no as=Table in Accept)',
        );
      // No prototype: a "__proto__" key stays a key.
      const out = Object.create(null) as Record<string, unknown>;
      const secret = isKubeSecret(v as Record<string, unknown>);
      for (const [k, x] of Object.entries(v)) {
        path.push(secret && k === 'stringData' ? 'data' : k);
        out[this.text(k, c)] = this.walk(x, path, c, level);
        path.pop();
      }
      return out;
    }
    return v;
  }

  private text(s: string, c: { n: number }): string {
    const m = this.masker.maskText(s);
    c.n += m.count;
    return m.text;
  }
}
