/**
 * Built-in detectors for sensitive values. Each returns the spans it finds. They run on every result
 * value and on statement text (for the audit record), so each is a single pass, linear in the input
 * whatever it holds: hand-written scanners, no regular expressions that could backtrack.
 *
 * A value is found wherever it sits, also glued to letters or digits (`abc4111…`, `'42' || card`,
 * `string_agg(card, ' ')`). What no detector can see is a deliberate transform of the value
 * (`reverse()`, base64, arithmetic on a card number, `substr` pieces): column rules cover those.
 */
import type { Detector } from '../../shared/contract/policy-types.js';
import { findCards } from './cards.js';
import { findIbans } from './iban.js';
import { findSecrets } from './secrets.js';

export { findCards, luhn } from './cards.js';
export { findIbans } from './iban.js';
export { findSecrets } from './secrets.js';

export interface Span {
  start: number;
  end: number;
  label: string;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isAlnum = (c: number): boolean => isDigit(c) || isLetter(c);

const LOCAL = (c: number): boolean => isAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
const DOMAIN = (c: number): boolean => isAlnum(c) || c === 46 || c === 45;

/**
 * Emails, found by expanding around each '@'. The address ends with the last domain label that
 * starts with two letters, at the end of those letters: `ada@example.com42` masks `ada@example.com`.
 * Linear: the text between two '@' is walked at most twice.
 */
export function findEmails(s: string, out: Span[]): void {
  let at = s.indexOf('@');
  while (at >= 0) {
    let a = at;
    while (a > 0 && LOCAL(s.charCodeAt(a - 1))) a--;
    let b = at + 1;
    let end = -1;
    while (b < s.length && DOMAIN(s.charCodeAt(b))) {
      if (s.charCodeAt(b) === 46 && b > at + 1 && isLetter(s.charCodeAt(b + 1)) && isLetter(s.charCodeAt(b + 2))) {
        let e = b + 3;
        while (isLetter(s.charCodeAt(e))) e++;
        end = e;
      }
      b++;
    }
    if (a < at && end > 0) out.push({ start: a, end, label: 'email' });
    at = s.indexOf('@', Math.max(b, at + 1));
  }
}

/**
 * US SSNs written ddd-dd-dddd, wherever they appear (glued to other characters too), without the
 * numbers the SSA never issues (area 000, 666, 9xx; group 00; serial 0000).
 */
export function findSsns(s: string, out: Span[]): void {
  let dash = s.indexOf('-', 3);
  while (dash >= 0) {
    const start = dash - 3;
    if (
      digitsAt(s, start, 3) &&
      digitsAt(s, dash + 1, 2) &&
      s.charCodeAt(dash + 3) === 45 &&
      digitsAt(s, dash + 4, 4)
    ) {
      const area = s.slice(start, dash);
      if (
        area !== '000' &&
        area !== '666' &&
        area[0] !== '9' &&
        s.slice(dash + 1, dash + 3) !== '00' &&
        s.slice(dash + 4, dash + 8) !== '0000'
      ) {
        out.push({ start, end: dash + 8, label: 'usSsn' });
        dash = s.indexOf('-', dash + 11);
        continue;
      }
    }
    dash = s.indexOf('-', dash + 1);
  }
}

function digitsAt(s: string, from: number, n: number): boolean {
  for (let k = from; k < from + n; k++) if (!isDigit(s.charCodeAt(k))) return false;
  return true;
}

export const DETECTORS: Record<Detector, (s: string, out: Span[]) => void> = {
  creditCard: findCards,
  email: findEmails,
  usSsn: findSsns,
  iban: findIbans,
  secret: findSecrets,
};

/** Cheap pre-check: which detectors could possibly match this value. */
export function candidates(s: string, enabled: ReadonlySet<Detector>): Detector[] {
  if (s.length < 6) return [];
  let digits = 0;
  for (let i = 0; i < s.length && digits < 13; i++) if (isDigit(s.charCodeAt(i))) digits++;
  const out: Detector[] = [];
  if (enabled.has('creditCard') && digits >= 13) out.push('creditCard');
  if (enabled.has('usSsn') && digits >= 9 && s.length >= 11) out.push('usSsn');
  if (enabled.has('iban') && digits >= 2 && s.length >= 15) out.push('iban');
  if (enabled.has('email') && s.includes('@')) out.push('email');
  if (enabled.has('secret') && s.length >= 20) out.push('secret');
  return out;
}
