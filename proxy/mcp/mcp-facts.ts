/**
 * What the rules see of one MCP message: the method, the tool / resource / prompt it names, its
 * arguments, and the approval binding: sha256 over method, name, the canonical arguments (keys
 * sorted) and every other parameter forwarded with them (`_meta`, `task`), so an approval holds for
 * this exact call and no other. `_meta.progressToken` alone is left out: it only names the progress
 * notifications sent back to this caller, changes on every retry of a held call, and the server acts
 * on nothing else of it.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../http/request-facts.js';

export interface McpCallFacts {
  target: string;
  method: string;
  tool?: string;
  uri?: string;
  prompt?: string;
  /** tools/call and prompts/get arguments (an object, or undefined when none were sent). */
  arguments?: Record<string, unknown>;
  /** The other parameters forwarded with the call and bound by its approval (`_meta` without progressToken, `task`). */
  bound?: Record<string, unknown>;
  sha256: string;
}

export interface McpCelRequest {
  method: string;
  tool: string;
  uri: string;
  prompt: string;
  arguments: Record<string, unknown>;
  principal: { sub: string; iss: string; triggeredBy?: string };
  target: string;
}

export function callFacts(target: string, method: string, params: Record<string, unknown> | undefined): McpCallFacts {
  const p = params ?? {};
  const str = (k: string): string | undefined => (typeof p[k] === 'string' ? (p[k] as string) : undefined);
  const name = str('name');
  const args =
    p.arguments && typeof p.arguments === 'object' && !Array.isArray(p.arguments)
      ? (p.arguments as Record<string, unknown>)
      : undefined;
  const f: Omit<McpCallFacts, 'sha256'> = {
    target,
    method,
    ...(method === 'tools/call' && name !== undefined ? { tool: name } : {}),
    ...(method === 'prompts/get' && name !== undefined ? { prompt: name } : {}),
    ...(method === 'resources/read' && str('uri') !== undefined ? { uri: str('uri')! } : {}),
    ...(args ? { arguments: args } : {}),
  };
  const named = f.tool ?? f.prompt ?? f.uri ?? '';
  const bound = boundParams(p, args !== undefined);
  return {
    ...f,
    ...(bound ? { bound } : {}),
    sha256: createHash('sha256')
      .update(`${method}\n${named}\n${canonicalJson(args ?? {})}${bound ? `\n${canonicalJson(bound)}` : ''}`)
      .digest('hex'),
  };
}

/** What the call forwards besides its name, URI and arguments, progressToken left out (undefined: nothing). */
function boundParams(p: Record<string, unknown>, argsBound: boolean): Record<string, unknown> | undefined {
  const rest = { ...p };
  if (typeof rest.name === 'string') delete rest.name;
  if (typeof rest.uri === 'string') delete rest.uri;
  if (argsBound) delete rest.arguments;
  if (rest._meta && typeof rest._meta === 'object' && !Array.isArray(rest._meta)) {
    const { progressToken: _t, ...meta } = rest._meta as Record<string, unknown>;
    if (Object.keys(meta).length) rest._meta = meta;
    else delete rest._meta;
  }
  return Object.keys(rest).length ? rest : undefined;
}

/** The call as audit records and approval requests name it (the arguments shown apart, masked). */
export function callLine(f: McpCallFacts): string {
  return f.tool !== undefined
    ? `tools/call ${f.tool}`
    : f.prompt !== undefined
      ? `prompts/get ${f.prompt}`
      : f.uri !== undefined
        ? `resources/read ${f.uri}`
        : f.method;
}
