/**
 * Card numbers in one pass: every run of digits (single spaces or dashes allowed between digits) is
 * a candidate whatever surrounds it, so a number glued to letters or digits (`abc4111…`, `42` ||
 * card) or joined with others (`string_agg(card, ' ')`) is still found.
 *
 * - A run of 13–19 digits that passes Luhn is a card (any issuer), as a standalone number always was.
 * - Otherwise every 13–19-digit window of the run is tested, but only where an issuer's prefix and
 *   length fit (Visa, Mastercard, Amex, Discover, Diners, JCB, UnionPay, Maestro, Mir, RuPay): every
 *   real card glued to other digits is caught, while a long numeric id is not masked on the 1-in-10
 *   chance that some arbitrary window passes Luhn. Overlapping windows are masked as one span.
 *
 * Luhn sums come from prefix sums per parity, so each window costs O(1): linear in the input.
 */
import type { Span } from './detectors.js';

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const DOUBLED = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9];

export function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    const d = digits.charCodeAt(i) - 48;
    sum += double ? DOUBLED[d]! : d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Bit L set = a card of L digits may start with these digits (13 ≤ L ≤ 19). */
const lengths = (...ls: number[]): number => ls.reduce((m, l) => m | (1 << l), 0);
const L16 = lengths(16);

/**
 * Issuer prefixes (IIN ranges) and the lengths nearly all their cards have; `p` holds the first four
 * digits. Rarer lengths (13- or 19-digit Visa, 17–19-digit Discover…) are found as a whole run only.
 */
function issuerLengths(p: number): number {
  const p1 = Math.floor(p / 1000);
  const p2 = Math.floor(p / 100);
  const p3 = Math.floor(p / 10);
  let m = 0;
  if (p1 === 4) m |= L16; // Visa
  if ((p2 >= 51 && p2 <= 55) || (p >= 2221 && p <= 2720)) m |= L16; // Mastercard
  if (p2 === 34 || p2 === 37) m |= lengths(15); // Amex
  if ((p3 >= 300 && p3 <= 305) || p === 3095 || p2 === 36 || p2 === 38 || p2 === 39) m |= lengths(14, 16); // Diners
  if (p >= 3528 && p <= 3589) m |= L16; // JCB
  if (p === 6011 || (p3 >= 644 && p3 <= 649) || p2 === 65) m |= L16; // Discover
  if (p2 === 62) m |= L16; // UnionPay
  if (p >= 2200 && p <= 2204) m |= L16; // Mir
  if (p2 === 60 || p2 === 81 || p2 === 82 || p3 === 508) m |= L16; // RuPay
  if ([5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763].includes(p)) m |= L16; // Maestro
  return m;
}

/** Finds card numbers in `s`; pushes spans labelled creditCard. */
export function findCards(s: string, out: Span[]): void {
  const n = s.length;
  let i = 0;
  while (i < n) {
    if (!isDigit(s.charCodeAt(i))) {
      i++;
      continue;
    }
    let count = 0;
    let j = i;
    while (j < n) {
      const c = s.charCodeAt(j);
      if (isDigit(c)) {
        count++;
        j++;
      } else if ((c === 32 || c === 45) && isDigit(s.charCodeAt(j + 1))) j++;
      else break;
    }
    if (count >= 13) cardsInRun(s, i, j, count, out);
    i = j;
  }
}

/** Luhn over the digits of s[from, to), skipping the separators between them. */
function runPassesLuhn(s: string, from: number, to: number): boolean {
  let sum = 0;
  let double = false;
  for (let j = to - 1; j >= from; j--) {
    const c = s.charCodeAt(j);
    if (!isDigit(c)) continue;
    sum += double ? DOUBLED[c - 48]! : c - 48;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Cards in the digit run s[from, to) holding `m` digits. */
function cardsInRun(s: string, from: number, to: number, m: number, out: Span[]): void {
  // The common case, a whole run that is one card, needs no per-digit arrays.
  if (m <= 19 && runPassesLuhn(s, from, to)) {
    let end = to;
    while (!isDigit(s.charCodeAt(end - 1))) end--;
    out.push({ start: from, end, label: 'creditCard' });
    return;
  }
  const at = new Int32Array(m); // string index of each digit
  const d = new Uint8Array(m);
  for (let k = 0, j = from; j < to; j++) {
    const c = s.charCodeAt(j);
    if (isDigit(c)) {
      at[k] = j;
      d[k++] = c - 48;
    }
  }
  const span = (a: number, b: number): void =>
    void out.push({ start: at[a]!, end: at[b - 1]! + 1, label: 'creditCard' });
  // Prefix sums per parity of index (plain digits, and digits as Luhn doubles them): O(1) per window.
  const plain0 = new Int32Array(m + 1);
  const plain1 = new Int32Array(m + 1);
  const doubled0 = new Int32Array(m + 1);
  const doubled1 = new Int32Array(m + 1);
  for (let k = 0; k < m; k++) {
    const even = k % 2 === 0;
    plain0[k + 1] = plain0[k]! + (even ? d[k]! : 0);
    plain1[k + 1] = plain1[k]! + (even ? 0 : d[k]!);
    doubled0[k + 1] = doubled0[k]! + (even ? DOUBLED[d[k]!]! : 0);
    doubled1[k + 1] = doubled1[k]! + (even ? 0 : DOUBLED[d[k]!]!);
  }
  // Window [a, b): the last digit (b-1) is not doubled, nor is every second digit left of it.
  const valid = (a: number, b: number): boolean => {
    const sum =
      (b - 1) % 2 === 0
        ? plain0[b]! - plain0[a]! + doubled1[b]! - doubled1[a]!
        : plain1[b]! - plain1[a]! + doubled0[b]! - doubled0[a]!;
    return sum % 10 === 0;
  };
  let start = -1;
  let end = -1;
  for (let a = 0; a + 13 <= m; a++) {
    const allowed = issuerLengths(d[a]! * 1000 + d[a + 1]! * 100 + d[a + 2]! * 10 + d[a + 3]!);
    if (!allowed) continue;
    for (let len = Math.min(19, m - a); len >= 13; len--) {
      if (!(allowed & (1 << len)) || !valid(a, a + len)) continue;
      if (start >= 0 && a < end) end = Math.max(end, a + len);
      else {
        if (start >= 0) span(start, end);
        start = a;
        end = a + len;
      }
      break; // the longest valid window from `a` covers the shorter ones
    }
  }
  if (start >= 0) span(start, end);
}
