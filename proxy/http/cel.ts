/**
 * CEL over HTTP requests, behind one file (the hook SQL rules may later share). The implementation is
 * @marcbachmann/cel-js: maintained, zero dependencies, type-checked environments and parse-time limits
 * (README "HTTP targets" says why it was chosen over @bufbuild/cel). Expressions see one variable,
 * `request`; anything else is refused when the policy is validated.
 */
import { Environment } from '@marcbachmann/cel-js';

export interface CelRequest {
  method: string;
  path: string;
  segments: string[];
  query: Record<string, string[]>;
  headers: Record<string, string[]>;
  body: unknown;
  principal: { sub: string; iss: string; triggeredBy?: string };
  target: string;
}

export type CelProgram = (request: CelRequest) => boolean;

const env = new Environment({ unlistedVariablesAreDyn: false, limits: { maxAstNodes: 2000, maxDepth: 64, maxListElements: 256, maxMapEntries: 256, maxCallArguments: 16 } })
  .registerVariable('request', 'map');

const cache = new Map<string, CelProgram>();

/** Why the expression cannot be used, or undefined. */
export function celError(expression: string): string | undefined {
  try {
    env.parse(expression);
    const checked = env.check(expression) as { valid?: boolean; error?: Error };
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
    const run = env.parse(expression);
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
