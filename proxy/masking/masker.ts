/**
 * Masks sensitive values in text: built-in detectors, policy patterns (RE2 semantics via re2js, linear time:
 * user-supplied patterns never run on a backtracking engine) and whole columns by name. Strategies: redact, partial (keep the last 4
 * characters, keep separators), hash (stable keyed token: HMAC-SHA256 with the masking key).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { RE2JS } from 're2js';
import type { Detector, MaskStrategy, MaskingSpec } from '../../shared/contract/policy-types.js';
import { candidates, DETECTORS, type Span } from './detectors.js';

export interface MaskResult {
  text: string;
  count: number;
}

interface CompiledPattern {
  name: string;
  re: RE2JS;
  strategy: MaskStrategy;
}

export interface MaskerOptions {
  /** Key for the hash strategy; without it, a random per-process key (tokens then differ across restarts). */
  hashKey?: Buffer;
  /** Exact values always redacted wherever they appear (credentials the proxy itself hands a server). */
  literals?: readonly string[];
}

/** Shorter literals are not masked: they would match ordinary text everywhere. */
export const MIN_LITERAL_LENGTH = 6;

export class Masker {
  readonly enabled: ReadonlySet<Detector>;
  private readonly patterns: CompiledPattern[];
  private readonly columns = new Map<string, MaskStrategy>();
  private readonly defaultStrategy: MaskStrategy;
  private readonly hashKey: Buffer;
  private readonly literals: string[];
  /** Whether any value-level masking is configured (detectors, patterns or literals). */
  readonly scansValues: boolean;

  constructor(
    private readonly spec: MaskingSpec | undefined,
    opts: MaskerOptions = {},
  ) {
    this.enabled = new Set(spec?.detectors ?? []);
    this.defaultStrategy = spec?.defaultStrategy ?? 'redact';
    this.patterns = (spec?.patterns ?? []).map((p) => ({
      name: p.name,
      re: RE2JS.compile(p.regex),
      strategy: p.strategy ?? this.defaultStrategy,
    }));
    for (const c of spec?.columns ?? []) this.columns.set(c.name.toLowerCase(), c.strategy ?? this.defaultStrategy);
    this.hashKey = opts.hashKey ?? randomBytes(32);
    this.literals = [...new Set(opts.literals ?? [])].filter((l) => l.length >= MIN_LITERAL_LENGTH);
    this.scansValues = this.enabled.size > 0 || this.patterns.length > 0 || this.literals.length > 0;
  }

  /** This masker (same rules and hash key) that also redacts the given exact values. */
  withLiterals(literals: readonly string[]): Masker {
    const all = [...this.literals, ...literals];
    return all.length ? new Masker(this.spec, { hashKey: this.hashKey, literals: all }) : this;
  }

  /**
   * This masker with `redact` turned into `hash` (a keyed short digest): what approvers read, where two
   * calls that differ only in a masked value must not read the same, and neither value is shown.
   */
  distinguishing(): Masker {
    const h = (x: MaskStrategy | undefined): MaskStrategy => {
      const v = x ?? this.defaultStrategy;
      return v === 'redact' ? 'hash' : v;
    };
    const spec: MaskingSpec | undefined = this.spec && {
      ...this.spec,
      defaultStrategy: h(this.spec.defaultStrategy),
      ...(this.spec.columns ? { columns: this.spec.columns.map((c) => ({ ...c, strategy: h(c.strategy) })) } : {}),
      ...(this.spec.patterns ? { patterns: this.spec.patterns.map((p) => ({ ...p, strategy: h(p.strategy) })) } : {}),
    };
    return new Masker(spec, { hashKey: this.hashKey, literals: this.literals });
  }

  get hasColumnRules(): boolean {
    return this.columns.size > 0;
  }

  columnStrategy(name: string): MaskStrategy | undefined {
    return this.columns.get(name.toLowerCase());
  }

  /** Masks every detector and pattern match in `s`. Returns the same string object when nothing matched. */
  maskText(s: string): MaskResult {
    if (!this.scansValues || s.length === 0) return { text: s, count: 0 };
    const spans: (Span & { strategy: MaskStrategy; literal?: true })[] = [];
    for (const d of candidates(s, this.enabled)) {
      const found: Span[] = [];
      DETECTORS[d](s, found);
      for (const f of found) spans.push({ ...f, strategy: this.defaultStrategy });
    }
    for (const p of this.patterns) {
      const m = p.re.matcher(s);
      while (m.find()) {
        if (m.end() > m.start()) spans.push({ start: m.start(), end: m.end(), label: p.name, strategy: p.strategy });
      }
    }
    for (const l of this.literals)
      for (let i = s.indexOf(l); i >= 0; i = s.indexOf(l, i + 1))
        spans.push({ start: i, end: i + l.length, label: 'credential', strategy: 'redact', literal: true });
    if (spans.length === 0) return { text: s, count: 0 };
    spans.sort((a, b) => a.start - b.start || b.end - a.end || Number(b.literal ?? 0) - Number(a.literal ?? 0));
    let out = '';
    let pos = 0;
    let count = 0;
    for (const sp of spans) {
      if (sp.start < pos) {
        // Overlaps an earlier match; a literal's tail past it is redacted too, never shown.
        if (sp.literal && sp.end > pos) {
          out += this.apply(s.slice(pos, sp.end), 'redact', sp.label);
          pos = sp.end;
        }
        continue;
      }
      out += s.slice(pos, sp.start) + this.apply(s.slice(sp.start, sp.end), sp.strategy, sp.label);
      pos = sp.end;
      count++;
    }
    return { text: out + s.slice(pos), count };
  }

  /** Masks a whole value with a strategy. */
  apply(value: string, strategy: MaskStrategy, label: string): string {
    switch (strategy) {
      case 'redact':
        return `[redacted:${label}]`;
      case 'partial':
        return partial(value);
      case 'hash':
        return `[${label}:${createHmac('sha256', this.hashKey).update(value).digest('base64url').slice(0, 16)}]`;
    }
  }
}

/** Keeps the last four letters/digits and all separators; every other letter or digit becomes '*'. */
export function partial(value: string): string {
  let keep = 4;
  const chars = [...value];
  for (let i = chars.length - 1; i >= 0; i--) {
    if (/[\p{L}\p{N}]/u.test(chars[i]!)) {
      if (keep > 0) keep--;
      else chars[i] = '*';
    }
  }
  return chars.join('');
}
