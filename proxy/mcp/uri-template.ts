/**
 * Whether a resource template (RFC 6570, e.g. `file:///logs/{name}`) is shown to the agent: only when
 * some URI it expands to would be read under the policy. That is shown by a witness: a concrete URI the
 * template can produce and the policy decides as readable (the same decision a resources/read gets).
 * Witnesses are the template with every variable set to "x" and each resource glob of the rules with
 * its `*` filled in, when the template can produce it. Without a witness the template is hidden, so a
 * template is never shown that no read could pass; one that only odd values could read may be hidden.
 */
import type { PolicySpec } from '../../shared/contract/policy-types.js';

const MAX_WITNESSES = 64;
const UNRESERVED = '[A-Za-z0-9\\-._~]|%[0-9A-Fa-f]{2}';
const RESERVED = "[A-Za-z0-9\\-._~:/?#\\[\\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2}";

export function templateReadable(template: string, spec: PolicySpec, readable: (uri: string) => boolean): boolean {
  const t = parse(template);
  if (!t) return false;
  const witnesses = new Set<string>([t.sample]);
  for (const glob of resourceGlobs(spec))
    for (const fill of ['x', '', 'x/x']) {
      const c = glob.split('*').join(fill);
      if (t.expansion.test(c)) witnesses.add(c);
      if (witnesses.size >= MAX_WITNESSES) break;
    }
  for (const w of witnesses) if (readable(w)) return true;
  return false;
}

/**
 * The template's expansions as a regular expression (each expression matched by what its operator can
 * produce; those with prefix or explode modifiers and the form-style operators `/ . ; ? &` only by their
 * empty expansion, which an undefined variable gives), and one expansion with every variable "x".
 * Undefined: not a template (unbalanced braces, a reserved operator).
 */
function parse(template: string): { expansion: RegExp; sample: string } | undefined {
  let re = '';
  let sample = '';
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    const literal = template.slice(i, open < 0 ? undefined : open);
    if (literal.includes('}')) return undefined;
    re += literal.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    sample += literal;
    if (open < 0) break;
    const close = template.indexOf('}', open);
    if (close < 0) return undefined;
    const expr = template.slice(open + 1, close);
    if (!/^[+#./;?&]?[A-Za-z0-9_%.]+(?::[1-9][0-9]{0,3}|\*)?(?:,[A-Za-z0-9_%.]+(?::[1-9][0-9]{0,3}|\*)?)*$/.test(expr))
      return undefined;
    const op = /^[+#./;?&]/.test(expr) ? expr.charAt(0) : '';
    const modified = /[:*]/.test(expr);
    if (modified || !['', '+', '#'].includes(op)) {
      // only the empty expansion
    } else if (op === '') {
      re += `(?:${UNRESERVED}|,)*`;
      sample += 'x';
    } else if (op === '+') {
      re += `(?:${RESERVED})*`;
      sample += 'x';
    } else {
      re += `(?:#(?:${RESERVED})*)?`;
      sample += '#x';
    }
    i = close + 1;
  }
  return { expansion: new RegExp(`^${re}$`), sample };
}

function resourceGlobs(spec: PolicySpec): string[] {
  return (spec.rules ?? []).flatMap((r) => r.when?.mcp?.resources ?? []);
}
