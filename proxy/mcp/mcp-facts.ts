/**
 * What the rules see of one MCP message: the method, the tool / resource / prompt it names, its
 * arguments, and the approval binding: sha256 over method, name and the canonical arguments (keys
 * sorted), so an approval holds for this exact call and no other.
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
  return {
    ...f,
    sha256: createHash('sha256')
      .update(`${method}\n${named}\n${canonicalJson(args ?? {})}`)
      .digest('hex'),
  };
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
