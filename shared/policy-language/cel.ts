/**
 * CEL over HTTP requests, behind one file (the hook SQL rules may later share). The implementation is
 * @marcbachmann/cel-js: maintained, zero dependencies, type-checked environments and parse-time limits
 * (README "HTTP targets" says why it was chosen over @bufbuild/cel). Expressions see one variable,
 * `request`; anything else is refused when the policy is validated.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { createRequire } from 'node:module';
import { RE2JS } from 're2js';

export interface CelRequest {
  method: string;
  /** The decoded path (segments joined, no trailing slash). */
  path: string;
  /** The path as sent, still percent-encoded. */
  rawPath: string;
  segments: string[];
  query: Record<string, string[]>;
  headers: Record<string, string[]>;
  body: unknown;
  principal: { sub: string; iss: string; triggeredBy?: string };
  target: string;
}

/** `request` is a CelRequest for HTTP, an McpCelRequest (proxy/mcp/mcp-facts.ts) for MCP. */
export type CelProgram = (request: object) => boolean;

const patterns = new Map<string, RE2JS>();
function re2(pattern: string): RE2JS {
  let re = patterns.get(pattern);
  if (!re) {
    if (patterns.size > 256) patterns.clear();
    patterns.set(pattern, (re = RE2JS.compile(pattern)));
  }
  return re;
}

/**
 * CEL's own `matches()` runs on JavaScript's backtracking RegExp: a policy pattern such as `(a+)+$`
 * and an agent's input would stall the sidecar. It is refused; `matchesRe2()` is the linear-time one.
 *
 * cel-js and its function registry take about 1 MiB of heap. They are loaded on the first expression (a
 * synchronous require of the ES module, Node ≥ 22.12), so a sidecar whose policy has no CEL never carries them.
 */
let environment: Environment | undefined;
function env(): Environment {
  if (!environment) {
    const cel = createRequire(import.meta.url)('@marcbachmann/cel-js') as typeof import('@marcbachmann/cel-js');
    environment = new cel.Environment({
      unlistedVariablesAreDyn: false,
      limits: { maxAstNodes: 2000, maxDepth: 64, maxListElements: 256, maxMapEntries: 256, maxCallArguments: 16 },
    })
      .registerVariable('request', 'map')
      .registerFunction('string.matchesRe2(string): bool', (s: string, pattern: string) =>
        re2(pattern).matcher(s).find(),
      );
  }
  return environment;
}

interface Node {
  op: string;
  args: unknown;
}

function callsMatches(n: unknown): boolean {
  if (Array.isArray(n)) return n.some(callsMatches);
  if (!n || typeof n !== 'object' || !('op' in n)) return false;
  const node = n as Node;
  if ((node.op === 'call' || node.op === 'rcall') && Array.isArray(node.args) && node.args[0] === 'matches')
    return true;
  return callsMatches(node.args);
}

const cache = new Map<string, CelProgram>();

/** Why the expression cannot be used, or undefined. */
export function celError(expression: string): string | undefined {
  try {
    const parsed = env().parse(expression) as unknown as { ast: unknown };
    if (callsMatches(parsed.ast))
      return 'matches() runs on a backtracking regular-expression engine; use matchesRe2() (RE2, linear time)';
    const checked = env().check(expression) as { valid?: boolean; error?: Error };
    if (checked && checked.valid === false) return checked.error?.message.split('\n')[0] ?? 'does not type-check';
    return undefined;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

/** A compiled expression; evaluation throws when the expression errs or does not give a boolean. */
export function celProgram(expression: string): CelProgram {
  let p = cache.get(expression);
  if (!p) {
    const run = env().parse(expression);
    if (callsMatches((run as unknown as { ast: unknown }).ast))
      throw new Error('matches() is not allowed; use matchesRe2()');
    p = (request) => {
      const v = run({ request });
      if (typeof v !== 'boolean') throw new Error(`CEL expression gave ${typeof v}, not a boolean`);
      return v;
    };
    if (cache.size > 1024) cache.clear();
    cache.set(expression, p);
  }
  return p;
}
