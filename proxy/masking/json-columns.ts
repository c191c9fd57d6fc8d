/**
 * A JSON text whose object keys name ruled columns (`row_to_json(NEW)` sent by a change-feed trigger
 * through pg_notify): the values under those keys get the column's rule. The notification arrives with no
 * statement to follow, so its keys are all the proxy has to go on.
 */
import type { Masker } from './masker.js';

/** `derivedFromRuled`: keys naming columns computed from a ruled column (generated columns), redacted. */
export function maskJsonColumns(
  masker: Masker,
  text: string,
  derivedFromRuled?: (key: string) => boolean,
): { text: string; count: number } {
  if (!masker.hasColumnRules || !/^\s*[[{]/.test(text)) return { text, count: 0 };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { text, count: 0 };
  }
  let count = 0;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const strategy = masker.columnStrategy(k) ?? (derivedFromRuled?.(k) ? 'redact' : undefined);
      if (strategy && x !== null) {
        count++;
        out[k] = masker.apply(typeof x === 'string' ? x : JSON.stringify(x), strategy, k);
      } else out[k] = walk(x);
    }
    return out;
  };
  const masked = walk(parsed);
  return count ? { text: JSON.stringify(masked), count } : { text, count: 0 };
}
