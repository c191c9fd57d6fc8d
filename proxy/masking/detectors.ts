/**
 * Built-in detectors for sensitive values. Each returns the spans it finds. They run on every result
 * value, so each is linear in the input: fixed-prefix or bounded regexes, and hand-scanned emails and
 * card numbers (with the Luhn check) instead of patterns that could backtrack.
 */
import type { Detector } from '../policy/types.js';

export interface Span {
  start: number;
  end: number;
  label: string;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isAlnum = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

export function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Card numbers: 13–19 digits, plain or grouped with single spaces or dashes, passing Luhn. */
export function findCards(s: string, out: Span[]): void {
  const n = s.length;
  let i = 0;
  while (i < n) {
    if (!isDigit(s.charCodeAt(i)) || (i > 0 && isAlnum(s.charCodeAt(i - 1)))) {
      i++;
      continue;
    }
    let j = i;
    let digits = '';
    let last = i;
    while (j < n) {
      const c = s.charCodeAt(j);
      if (isDigit(c)) {
        digits += s[j];
        last = j;
        j++;
      } else if ((c === 32 || c === 45) && isDigit(s.charCodeAt(j + 1)) && digits.length > 0) j++;
      else break;
      if (digits.length > 19) break;
    }
    const end = last + 1;
    if (digits.length >= 13 && digits.length <= 19 && !isAlnum(s.charCodeAt(end)) && luhn(digits)) {
      out.push({ start: i, end, label: 'creditCard' });
    }
    i = Math.max(end, i + 1);
  }
}

const LOCAL = (c: number): boolean => isAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
const DOMAIN = (c: number): boolean => isAlnum(c) || c === 46 || c === 45;

/** Emails, found by expanding around each '@' (linear, no backtracking). */
export function findEmails(s: string, out: Span[]): void {
  let at = s.indexOf('@');
  while (at >= 0) {
    let a = at;
    while (a > 0 && LOCAL(s.charCodeAt(a - 1))) a--;
    let b = at + 1;
    while (b < s.length && DOMAIN(s.charCodeAt(b))) b++;
    while (b > at + 1 && s.charCodeAt(b - 1) === 46) b--; // trailing dot is punctuation
    const domain = s.slice(at + 1, b);
    const dot = domain.lastIndexOf('.');
    if (a < at && dot > 0 && domain.length - dot - 1 >= 2 && /^[A-Za-z]+$/.test(domain.slice(dot + 1))) {
      out.push({ start: a, end: b, label: 'email' });
    }
    at = s.indexOf('@', Math.max(b, at + 1));
  }
}

const SSN = /(?<![0-9A-Za-z])(\d{3})-(\d{2})-(\d{4})(?![0-9A-Za-z])/g;

export function findSsns(s: string, out: Span[]): void {
  for (const m of s.matchAll(SSN)) {
    const [, area, group, serial] = m;
    if (area === '000' || area === '666' || area![0] === '9' || group === '00' || serial === '0000') continue;
    out.push({ start: m.index, end: m.index + m[0].length, label: 'usSsn' });
  }
}

const IBAN = /(?<![0-9A-Za-z])([A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30})(?![0-9A-Za-z])/g;

function ibanValid(raw: string): boolean {
  const v = raw.replace(/ /g, '');
  const rearranged = v.slice(4) + v.slice(0, 4);
  let rem = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const val = code >= 65 ? String(code - 55) : ch;
    for (const d of val) rem = (rem * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return rem === 1;
}

const IBAN_HINT = /[A-Z]{2}\d{2}/;

export function findIbans(s: string, out: Span[]): void {
  if (!IBAN_HINT.test(s)) return;
  for (const m of s.matchAll(IBAN)) {
    if (ibanValid(m[1]!)) out.push({ start: m.index, end: m.index + m[0].length, label: 'iban' });
  }
}

const SECRETS = new RegExp(
  [
    'eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}', // JWT
    '-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\\s\\S]{0,16384}?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----',
    '(?<![A-Za-z0-9])(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,200}',
    '(?<![A-Za-z0-9])sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,200}',
    '(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Z])',
    '(?<![A-Za-z0-9])gh[pousr]_[A-Za-z0-9]{36,255}',
    '(?<![A-Za-z0-9])github_pat_[A-Za-z0-9_]{22,255}',
    '(?<![A-Za-z0-9])xox[abprs]-[A-Za-z0-9-]{10,200}',
    '(?<![A-Za-z0-9])AIza[0-9A-Za-z_-]{35}',
    '(?<![A-Za-z0-9])glpat-[A-Za-z0-9_-]{20,200}',
  ].join('|'),
  'g',
);

/** Every secret pattern starts with one of these: a cheap test before the full expression. */
const SECRET_HINTS = ['eyJ', '-----BEGIN', 'sk_', 'pk_', 'rk_', 'sk-', 'AKIA', 'ASIA', 'gh', 'github_pat_', 'xox', 'AIza', 'glpat-'];

export function findSecrets(s: string, out: Span[]): void {
  if (!SECRET_HINTS.some((h) => s.includes(h))) return;
  for (const m of s.matchAll(SECRETS)) out.push({ start: m.index, end: m.index + m[0].length, label: 'secret' });
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
