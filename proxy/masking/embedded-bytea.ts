/**
 * bytea rendered as text inside another value: `bytea::text`, an element of a bytea array
 * (`{"\\x3431..."}`), a field of a record. Detectors look at the bytes the hex stands for, and a match is
 * masked in place (as hex again, so the value keeps its form).
 */
import type { Masker, MaskResult } from './masker.js';

/** One `\x` hex run; a doubled backslash (array and record quoting) stays outside the match. */
const HEX_BYTEA = /\\x((?:[0-9a-fA-F]{2})+)/g;

export function maskWithEmbeddedBytea(masker: Masker, text: string): MaskResult {
  const r = masker.maskText(text);
  if (!r.text.includes('\\x')) return r;
  let count = r.count;
  const out = r.text.replace(HEX_BYTEA, (whole, hex: string) => {
    const inner = masker.maskText(Buffer.from(hex, 'hex').toString('latin1'));
    if (!inner.count) return whole;
    count += inner.count;
    return `\\x${Buffer.from(inner.text, 'latin1').toString('hex')}`;
  });
  return { text: out, count };
}
