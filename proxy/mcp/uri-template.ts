/**
 * Whether a resource template (RFC 6570, e.g. `file:///logs/{name}`) is shown to the agent: only when
 * some URI it expands to would be read under the policy. That is shown by a witness: a concrete URI the
 * template can produce and the policy decides as readable (the same decision a resources/read gets).
 * Witnesses are the template with every variable set to "x" and each resource glob of the rules with
 * its `*` filled in, when the template can produce it (checked in linear time: the template is the
 * server's, so no regular expression is built from it). Without a witness the template is hidden, so a
 * template is never shown that no read could pass; one that only odd values could read may be hidden.
 */
import type { PolicySpec } from '../../shared/contract/policy-types.js';

const MAX_WITNESSES = 64;
const MAX_TEMPLATE = 4096;
const UNRESERVED = /[A-Za-z0-9\-._~]/;
const RESERVED = /[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]/;

export function templateReadable(template: string, spec: PolicySpec, readable: (uri: string) => boolean): boolean {
  const t = parse(template);
  if (!t) return false;
  const witnesses = new Set<string>([t.sample]);
  for (const glob of resourceGlobs(spec))
    for (const fill of ['x', '', 'x/x']) {
      const c = glob.split('*').join(fill);
      if (witnesses.size < MAX_WITNESSES && expands(t.tokens, c)) witnesses.add(c);
    }
  for (const w of witnesses) if (readable(w)) return true;
  return false;
}

/** A literal character, or what one expression can produce: a run of allowed characters and %XX triplets. */
type Token = { literal: string } | { run: RegExp };

/**
 * The template's expansions as tokens (simple `{x}` a run of unreserved characters and commas, `{+x}` of
 * reserved ones too; expressions with prefix or explode modifiers and the operators `# / . ; ? &` only
 * their empty expansion, which an undefined variable gives), and one expansion with every variable "x".
 * Undefined: not a template (unbalanced braces, a reserved operator) or too long to judge.
 */
function parse(template: string): { tokens: Token[]; sample: string } | undefined {
  if (template.length > MAX_TEMPLATE) return undefined;
  const tokens: Token[] = [];
  let sample = '';
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    const literal = template.slice(i, open < 0 ? undefined : open);
    if (literal.includes('}')) return undefined;
    for (const ch of literal) tokens.push({ literal: ch });
    sample += literal;
    if (open < 0) break;
    const close = template.indexOf('}', open);
    if (close < 0) return undefined;
    const expr = template.slice(open + 1, close);
    if (!/^[+#./;?&]?[A-Za-z0-9_%.]+(?::[1-9][0-9]{0,3}|\*)?(?:,[A-Za-z0-9_%.]+(?::[1-9][0-9]{0,3}|\*)?)*$/.test(expr))
      return undefined;
    const op = /^[+#./;?&]/.test(expr) ? expr.charAt(0) : '';
    if (!/[:*]/.test(expr) && (op === '' || op === '+')) {
      tokens.push({ run: op === '+' ? RESERVED : new RegExp(`${UNRESERVED.source}|,`) });
      sample += 'x';
    }
    i = close + 1;
  }
  return { tokens, sample };
}

/** Whether `s` is one of the token sequence's strings: a set-of-states walk, linear in both (no backtracking). */
function expands(tokens: Token[], s: string): boolean {
  // A state: the token reached, and how many hex digits of a %XX triplet in a run are still due.
  let states = closure(tokens, [[0, 0]]);
  for (const ch of s) {
    const next: [number, number][] = [];
    for (const [i, due] of states) {
      const t = tokens[i];
      if (!t) continue;
      if ('literal' in t) {
        if (t.literal === ch) next.push([i + 1, 0]);
      } else if (due > 0) {
        if (/[0-9A-Fa-f]/.test(ch)) next.push([i, due - 1]);
      } else if (ch === '%') next.push([i, 2]);
      else if (t.run.test(ch)) next.push([i, 0]);
    }
    states = closure(tokens, next);
    if (!states.length) return false;
  }
  return states.some(([i, due]) => i === tokens.length && due === 0);
}

/** The states plus those reached by ending a run (a run may be empty), without duplicates. */
function closure(tokens: Token[], states: [number, number][]): [number, number][] {
  const seen = new Set<string>();
  const out: [number, number][] = [];
  const add = (i: number, due: number): void => {
    if (seen.has(`${i},${due}`)) return;
    seen.add(`${i},${due}`);
    out.push([i, due]);
    const t = tokens[i];
    if (due === 0 && t && 'run' in t) add(i + 1, 0);
  };
  for (const [i, due] of states) add(i, due);
  return out;
}

function resourceGlobs(spec: PolicySpec): string[] {
  return (spec.rules ?? []).flatMap((r) => r.when?.mcp?.resources ?? []);
}
