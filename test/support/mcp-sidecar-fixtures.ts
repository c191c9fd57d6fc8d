/**
 * What the MCP integration tests share: the reference servers and the SDK's own modules on disk, an MCP
 * target running a server over stdio, a small SDK server's source and its script written to a fresh
 * directory, an SDK client connected to a target of a running stack with an agent's token, and a stack
 * whose approvals come from a test's broker. The audit records are `s.records()`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type ClientOptions } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ApprovalBroker } from '../../proxy/approvals/broker.js';
import { startHttpStack, type HttpStack } from './http-stack.js';

const root = new URL('../..', import.meta.url).pathname;

/** An installed executable, such as the reference servers `mcp-server-filesystem` and `mcp-server-everything`. */
export const bin = (name: string): string => join(root, 'node_modules/.bin', name);

/** A module of the MCP SDK by its path under dist/esm, for server scripts the tests write. */
export const sdk = (p: string): string => join(root, 'node_modules/@modelcontextprotocol/sdk/dist/esm', p);

/** test/support/mcp-gating-server.mjs. */
export const GATING_SERVER = join(root, 'test/support/mcp-gating-server.mjs');

/** The MCP target `name` running `command args` over stdio. */
export const stdioTarget = (name: string, command: string, args: string[] = []) => ({
  name,
  protocol: 'mcp',
  listen: '127.0.0.1:1',
  upstream: { command, args },
});

/** The MCP target `name` running the Node script `script` over stdio. */
export const nodeServerTarget = (name: string, script: string) => stdioTarget(name, process.execPath, [script]);

/** Writes `source` as `file` in a fresh temporary directory; returns its path. */
export function writeServerScript(source: string, file: string, prefix = 'agentgate-mcp-'): string {
  const path = join(mkdtempSync(join(tmpdir(), prefix)), file);
  writeFileSync(path, source);
  return path;
}

/** A transport to target `target` of `s`, bearing `token`. */
export const mcpTransport = (s: HttpStack, target: string, token: string): StreamableHTTPClientTransport =>
  new StreamableHTTPClientTransport(new URL(`${s.url(target)}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });

/** An SDK client named `clientName`, connected to target `target` of `s` as the agent `sub`. */
export async function connectMcpClient(
  s: HttpStack,
  target: string,
  sub: string,
  clientName: string,
  options?: ClientOptions,
): Promise<Client> {
  const client = new Client({ name: clientName, version: '1' }, options);
  await client.connect(mcpTransport(s, target, await s.token(sub)));
  return client;
}

/** Approvals asked of `alice`; a call that needs one is refused at once (`Reject`). */
export const aliceRejects = { mode: 'Reject', approvers: { users: ['alice'] } } as never;

/** A stack over `spec` (`defaultAction: Allow` unless it says otherwise) whose approvals come from `broker`. */
export const startMcpApprovalStack = (
  broker: ApprovalBroker,
  spec: Parameters<typeof startHttpStack>[0],
): Promise<HttpStack> => startHttpStack({ defaultAction: 'Allow', ...spec }, { proxyOptions: { approvals: broker } });

/** The reference filesystem server serving `dir`, as the MCP target `name`. */
export const filesystemTarget = (dir: string, name = 'files') => stdioTarget(name, bin('mcp-server-filesystem'), [dir]);

/** A tool result's text parts, other parts as `[type]`, one per line. */
export const toolText = (r: CallToolResult): string =>
  r.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');

/**
 * The source of a small MCP server on the SDK over stdio, for a test to write (writeServerScript): a
 * `Server` named `name` with `capabilities`, then `body` (its state and request handlers, on `server`;
 * the SDK's request schemas it names are imported), then it connects. `imports` go before it all.
 */
export const sdkServerScript = (o: {
  name: string;
  capabilities: Record<string, unknown>;
  body: string;
  imports?: string;
}): string => `${o.imports ?? ''}
import { Server } from '${sdk('server/index.js')}';
import { StdioServerTransport } from '${sdk('server/stdio.js')}';
import { ${[...new Set(o.body.match(/\b\w+RequestSchema\b/g))].join(', ')} } from '${sdk('types.js')}';
const server = new Server(${JSON.stringify({ name: o.name, version: '1' })}, ${JSON.stringify({ capabilities: o.capabilities })});
${o.body.trim()}
await server.connect(new StdioServerTransport());
`;
