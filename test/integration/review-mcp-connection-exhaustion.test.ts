/**
 * Hostile review of MCP gating (#13): sessions are capped per principal (16), but the requests of one
 * session are not. Every call in flight (a slow tool, or a call held for approval) keeps its HTTP
 * connection, and the listener takes at most 1024 connections (server.maxConnections) for everyone: one
 * agent with one session and ~1024 slow calls leaves no connection for any other principal, whose
 * initialize is dropped. The server is a small SDK server over stdio with a tool that takes its time.
 */
import { expect } from 'chai';
import http from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import { mcpTransport, nodeServerTarget, writeServerScript, sdkServerScript } from '../support/mcp-sidecar-fixtures.js';

const SERVER = sdkServerScript({
  name: 'slow',
  capabilities: { tools: {} },
  body: `
server.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: [{ name: 'slow', description: 'takes a while', inputSchema: { type: 'object' } }],
}));
server.setRequestHandler(CallToolRequestSchema, async () => {
  await new Promise((r) => setTimeout(r, 40_000));
  return { content: [{ type: 'text', text: 'done' }] };
});
`,
});

describe('review-mcp: one agent cannot take every connection of a target', function () {
  this.timeout(60_000);
  let s: HttpStack;
  const held: http.ClientRequest[] = [];

  before(async () => {
    s = await startHttpStack({
      targets: [nodeServerTarget('slow', writeServerScript(SERVER, 'slow.mjs', 'agentgate-review-mcp-'))],
      defaultAction: 'Allow',
    });
  });
  after(async () => {
    for (const r of held) r.destroy();
    await s?.stop();
  });

  const connect = async (sub: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> => {
    const transport = mcpTransport(s, 'slow', await s.token(sub));
    const client = new Client({ name: sub, version: '1' });
    await client.connect(transport);
    return { client, transport };
  };

  it("another principal still opens a session while one agent's calls are in flight", async () => {
    const a = await connect('agent-a');
    await a.client.listTools();
    const token = await s.token('agent-a');
    const url = new URL(`${s.url('slow')}/mcp`);
    const body = (id: number): string =>
      JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'slow', arguments: {} } });
    const fire = (n: number, from: number): void => {
      for (let i = from; i < from + n; i++) {
        const b = body(1000 + i);
        const req = http.request({
          host: url.hostname,
          port: url.port,
          path: '/mcp',
          method: 'POST',
          agent: false,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            'mcp-session-id': a.transport.sessionId!,
            'mcp-protocol-version': a.transport.protocolVersion ?? '2025-06-18',
            'content-length': Buffer.byteLength(b),
          },
        });
        req.on('error', () => undefined);
        req.end(b);
        held.push(req);
      }
    };
    fire(1030, 0);
    await new Promise((r) => setTimeout(r, 3000));
    // The agent tops up what the listener closed meanwhile (its own idle keep-alive connections).
    fire(64, 1030);
    await new Promise((r) => setTimeout(r, 500));
    const b = await connect('agent-b').then(
      (x) => x,
      (e: Error) => e,
    );
    expect(b, b instanceof Error ? b.message : '').to.not.be.instanceOf(Error);
    if (!(b instanceof Error)) await b.client.close();
    await a.client.close().catch(() => undefined);
  });
});
