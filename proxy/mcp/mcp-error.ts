/**
 * Errors the adapter returns to the agent. The SDK sends an error's `message` as the JSON-RPC error's
 * message, and McpError's constructor prefixes it with "MCP error <code>: ", which the agent's client
 * adds again: "MCP error -32603: MCP error -32603: …". These carry the message alone.
 */
import { McpError } from '@modelcontextprotocol/sdk/types.js';

export function agentError(code: number, message: string, data?: unknown): McpError {
  const e = new McpError(code, message, data);
  e.message = message;
  return e;
}

/** A message without the "MCP error <code>: " prefixes an SDK client added to what a server sent. */
export function unprefixed(message: string): string {
  return message.replace(/^(?:MCP error -?\d+: )+/, '');
}
