/**
 * Secrets (JWTs, private keys, API keys with a known prefix) found by hand-written single-pass
 * scanners: each token's extent is a maximal run of its character class, so nothing is ever
 * re-scanned and there is no backtracking (a regex such as `eyJ[…]{8,}\.eyJ…` is quadratic on a run
 * of repeated `eyJ`). A token glued to preceding letters or digits is still a secret when its body
 * looks random (has both a letter and a digit), so `'x' || key` is no disguise while kebab-case words
 * after "sk-" are not masked.
 */
import type { Span } from './detectors.js';

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isAlnum = (c: number): boolean => isDigit(c) || isLetter(c);
const isUpperAlnum = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 90);
const isBase64Url = (c: number): boolean => isAlnum(c) || c === 45 || c === 95;
const isWordish = (c: number): boolean => isAlnum(c) || c === 95;

interface PrefixToken {
  prefixes: string[];
  body: (c: number) => boolean;
  min: number;
}

const TOKENS: PrefixToken[] = [
  { prefixes: ['sk_live_', 'sk_test_', 'pk_live_', 'pk_test_', 'rk_live_', 'rk_test_'], body: isAlnum, min: 16 }, // Stripe
  { prefixes: ['sk-'], body: isBase64Url, min: 20 }, // OpenAI, Anthropic (sk-proj-…, sk-ant-…)
  { prefixes: ['AKIA', 'ASIA'], body: isUpperAlnum, min: 16 }, // AWS access key ids
  { prefixes: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'], body: isAlnum, min: 36 }, // GitHub
  { prefixes: ['github_pat_'], body: isWordish, min: 22 },
  { prefixes: ['xoxa-', 'xoxb-', 'xoxp-', 'xoxr-', 'xoxs-'], body: (c) => isAlnum(c) || c === 45, min: 10 }, // Slack
  { prefixes: ['AIza'], body: isBase64Url, min: 35 }, // Google API keys
  { prefixes: ['glpat-'], body: isBase64Url, min: 20 }, // GitLab
];

export function findSecrets(s: string, out: Span[]): void {
  findJwts(s, out);
  findPrivateKeys(s, out);
  for (const t of TOKENS) for (const p of t.prefixes) findPrefixed(s, p, t, out);
}

/** Remembers the last run scanned, so that a prefix repeated inside one run costs nothing more. */
class Runs {
  private start = -1;
  private end = -1;
  private lastDigit = -1;
  private lastLetter = -1;

  constructor(
    private readonly s: string,
    private readonly inClass: (c: number) => boolean,
  ) {}

  /** End of the maximal run of the class that starts at `i`. */
  endFrom(i: number): number {
    if (i >= this.start && i < this.end) return this.end;
    let j = i;
    this.lastDigit = this.lastLetter = -1;
    while (j < this.s.length && this.inClass(this.s.charCodeAt(j))) {
      const c = this.s.charCodeAt(j);
      if (isDigit(c)) this.lastDigit = j;
      else if (isLetter(c)) this.lastLetter = j;
      j++;
    }
    this.start = i;
    this.end = j;
    return j;
  }

  /** Whether [i, end of its run) holds both a letter and a digit (call after endFrom(i)). */
  looksRandom(i: number): boolean {
    return this.lastDigit >= i && this.lastLetter >= i;
  }
}

function findPrefixed(s: string, prefix: string, t: PrefixToken, out: Span[]): void {
  let p = s.indexOf(prefix);
  if (p < 0) return;
  const runs = new Runs(s, t.body);
  while (p >= 0) {
    const bodyStart = p + prefix.length;
    const end = runs.endFrom(bodyStart);
    const glued = p > 0 && isAlnum(s.charCodeAt(p - 1));
    if (end - bodyStart >= t.min && (!glued || runs.looksRandom(bodyStart))) {
      out.push({ start: p, end, label: 'secret' });
      p = s.indexOf(prefix, end);
    } else p = s.indexOf(prefix, p + 1);
  }
}

/** header.payload.signature, base64url, the first two starting with eyJ ('{"'), each ≥ 11/11/8 chars. */
function findJwts(s: string, out: Span[]): void {
  let p = s.indexOf('eyJ');
  if (p < 0) return;
  const runs = new Runs(s, isBase64Url);
  while (p >= 0) {
    const e1 = runs.endFrom(p);
    let matched = -1;
    if (e1 - p >= 11 && s.charCodeAt(e1) === 46 && s.startsWith('eyJ', e1 + 1)) {
      const e2 = runs.endFrom(e1 + 1);
      if (e2 - e1 - 1 >= 11 && s.charCodeAt(e2) === 46) {
        const e3 = runs.endFrom(e2 + 1);
        if (e3 - e2 - 1 >= 8) matched = e3;
      }
    }
    if (matched >= 0) {
      out.push({ start: p, end: matched, label: 'secret' });
      p = s.indexOf('eyJ', matched);
    } else {
      // Any later eyJ inside this run ends at the same place with a shorter header: it fails too.
      p = s.indexOf('eyJ', e1);
    }
  }
}

const PEM_BODY = (c: number): boolean =>
  isAlnum(c) || c === 43 || c === 47 || c === 61 || c === 58 || c === 44 || c === 32 || c === 9 || c === 10 || c === 13;

/**
 * `-----BEGIN … PRIVATE KEY-----` up to its END line (within 16 KiB); without one (a truncated key,
 * e.g. substr(key, 1, 500)) up to where the base64 body stops, so a partial key is masked too.
 */
function findPrivateKeys(s: string, out: Span[]): void {
  let p = s.indexOf('-----BEGIN ');
  if (p < 0) return;
  // END lines are found in one forward sweep shared by all BEGIN lines (`from` only grows).
  let endLine = -2;
  const nextEndLine = (from: number): number => {
    if (endLine === -1 || endLine >= from) return endLine;
    for (let q = s.indexOf('-----END ', from); ; q = s.indexOf('-----END ', q + 9)) {
      if (q < 0 || privateKeyLabelEnd(s, q + 9) >= 0) return (endLine = q);
    }
  };
  while (p >= 0) {
    const header = privateKeyLabelEnd(s, p + 11);
    if (header < 0) {
      p = s.indexOf('-----BEGIN ', p + 11);
      continue;
    }
    const e = nextEndLine(header);
    let end = header;
    if (e >= 0 && e - header <= 16384) end = privateKeyLabelEnd(s, e + 9);
    else while (end < s.length && PEM_BODY(s.charCodeAt(end))) end++;
    out.push({ start: p, end, label: 'secret' });
    p = s.indexOf('-----BEGIN ', end);
  }
}

/** After "-----BEGIN " or "-----END ": `(WORD )*PRIVATE KEY-----`; returns the index past it, or -1. */
function privateKeyLabelEnd(s: string, i: number): number {
  let j = i;
  while (j < s.length && (isUpperAlnum(s.charCodeAt(j)) || s.charCodeAt(j) === 32)) j++;
  if (!s.startsWith('-----', j) || !s.slice(i, j).endsWith('PRIVATE KEY')) return -1;
  return j + 5;
}
