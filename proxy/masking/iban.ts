/**
 * IBANs in one pass: at every country code followed by two check digits, exactly as many characters
 * as that country's IBAN has are read (single spaces allowed between them) and checked with mod-97.
 * The country's length decides where an IBAN ends, so one glued to letters or digits is still found.
 * Letters may be in either case (`lower(iban)` is no disguise). Linear: at most 34 characters are
 * read per candidate position.
 */
import type { Span } from './detectors.js';

/** IBAN length per country: the SWIFT IBAN registry, plus countries that use IBANs outside it. */
const IBAN_LENGTHS: Record<string, number> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BI: 27,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DJ: 27,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FK: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HN: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  LY: 25,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MN: 20,
  MR: 27,
  MT: 31,
  MU: 30,
  NI: 28,
  NL: 18,
  NO: 15,
  OM: 23,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  RU: 33,
  SA: 24,
  SC: 31,
  SD: 18,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  SO: 23,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
  YE: 30,
  // in use without being in the registry
  AO: 25,
  BF: 28,
  BJ: 28,
  CF: 27,
  CG: 27,
  CI: 28,
  CM: 27,
  CV: 25,
  DZ: 26,
  GA: 27,
  GQ: 27,
  GW: 25,
  IR: 26,
  KM: 27,
  MA: 28,
  MG: 27,
  ML: 28,
  MZ: 25,
  NE: 28,
  SN: 28,
  TD: 27,
  TG: 28,
};

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const upper = (c: number): number => (c >= 97 ? c - 32 : c);

/** Value of an IBAN character for mod-97: digits as themselves, letters A=10 … Z=35. */
const value = (c: number): number => (isDigit(c) ? c - 48 : upper(c) - 55);

export function findIbans(s: string, out: Span[]): void {
  const n = s.length;
  const chars: number[] = [];
  for (let i = 0; i + 15 <= n;) {
    const c0 = s.charCodeAt(i);
    const c1 = s.charCodeAt(i + 1);
    const len =
      isLetter(c0) && isLetter(c1) && isDigit(s.charCodeAt(i + 2)) && isDigit(s.charCodeAt(i + 3))
        ? IBAN_LENGTHS[String.fromCharCode(upper(c0), upper(c1))]
        : undefined;
    if (len === undefined) {
      i++;
      continue;
    }
    chars.length = 0;
    let j = i;
    while (j < n && chars.length < len) {
      const c = s.charCodeAt(j);
      if (isDigit(c) || isLetter(c)) {
        chars.push(c);
        j++;
      } else if (
        c === 32 &&
        chars.length >= 4 &&
        j + 1 < n &&
        (isDigit(s.charCodeAt(j + 1)) || isLetter(s.charCodeAt(j + 1)))
      )
        j++;
      else break;
    }
    if (chars.length === len && mod97(chars) === 1) {
      out.push({ start: i, end: j, label: 'iban' });
      i = j;
    } else i++;
  }
}

/** The IBAN check: the first four characters moved to the end, read as a number, modulo 97. */
function mod97(chars: number[]): number {
  let rem = 0;
  for (let k = 0; k < chars.length; k++) {
    const v = value(chars[(k + 4) % chars.length]!);
    rem = v >= 10 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
  }
  return rem;
}
