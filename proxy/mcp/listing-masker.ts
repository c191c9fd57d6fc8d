/**
 * Masks what a listing shows the agent (tools/list, prompts/list, resources/list,
 * resources/templates/list): a server can leak a secret into a description, a schema's default or
 * example, an annotation or `_meta` as well as into a result. Every string and number of an entry
 * passes the detectors (field rules are about results, not schemas: they would break a schema's shape).
 * An entry whose identifier (the name or URI the agent must send back) or any object key carries what a
 * detector finds is not shown at all: masked it could not be called, unmasked it would leak.
 */
import type { Masker } from '../masking/masker.js';

export class ListingMasker {
  count = 0;

  constructor(private readonly masker: Masker) {}

  /** The entries the agent may see, masked; `id` names the fields the agent sends back to use one. */
  entries<T extends object>(list: T[], id: readonly string[]): T[] {
    const out: T[] = [];
    for (const entry of list) {
      const before = this.count;
      const masked = this.value(entry, id);
      if (masked === HIDDEN) {
        this.count = before + 1;
        continue;
      }
      out.push(masked as T);
    }
    return out;
  }

  private value(v: unknown, id: readonly string[] = []): unknown {
    if (typeof v === 'string') return this.text(v);
    if (typeof v === 'number' || typeof v === 'bigint') {
      const m = this.masker.maskText(String(v));
      if (m.count === 0) return v;
      this.count += m.count;
      return m.text;
    }
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      for (const x of v) {
        const m = this.value(x);
        if (m === HIDDEN) return HIDDEN;
        out.push(m);
      }
      return out;
    }
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (this.masker.maskText(k).count > 0) return HIDDEN;
        if (id.includes(k) && typeof x === 'string' && this.masker.maskText(x).count > 0) return HIDDEN;
        const m = this.value(x);
        if (m === HIDDEN) return HIDDEN;
        out[k] = m;
      }
      return out;
    }
    return v;
  }

  private text(s: string): string {
    const m = this.masker.maskText(s);
    this.count += m.count;
    return m.text;
  }
}

const HIDDEN = Symbol('hidden');
