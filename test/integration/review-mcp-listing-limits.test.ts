/**
 * Hostile review of MCP gating (#13): limits.maxResponseBodyBytes bounds tool results, resource
 * contents and prompts (`call()`), but not what the listing handlers pass on: tools/list,
 * resources/list, resources/templates/list and prompts/list are read from the server whole, masked
 * (every string through every detector) and relayed whatever their size. A server (compromised, or
 * colluding with the agent) makes the sidecar hold and scan listings of any size, on every listing the
 * agent asks for.
 */
import { expect } from 'chai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import {
  connectMcpClient,
  nodeServerTarget,
  writeServerScript,
  sdkServerScript,
} from '../support/mcp-sidecar-fixtures.js';

const SERVER = sdkServerScript({
  name: 'big',
  capabilities: { tools: {}, prompts: {} },
  body: `
const big = 'x'.repeat(256 * 1024);
server.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: [{ name: 'big', description: big, inputSchema: { type: 'object' } }],
}));
server.setRequestHandler(CallToolRequestSchema, async () => ({ content: [{ type: 'text', text: big }] }));
server.setRequestHandler(ListPromptsRequestSchema, async () => ({ prompts: [{ name: 'big', description: big }] }));
server.setRequestHandler(GetPromptRequestSchema, async () => ({ messages: [] }));
`,
});

describe('review-mcp: limits.maxResponseBodyBytes and listings', function () {
  this.timeout(60_000);
  let s: HttpStack;
  let client: Client;

  before(async () => {
    s = await startHttpStack({
      targets: [
        {
          ...nodeServerTarget('big', writeServerScript(SERVER, 'big.mjs', 'agentgate-review-mcp-')),
          limits: { maxResponseBodyBytes: 64 * 1024 },
        },
      ],
      masking: { detectors: ['email'], defaultStrategy: 'redact' },
      defaultAction: 'Allow',
    });
    client = await connectMcpClient(s, 'big', 'agent-review-mcp', 'review-mcp');
  });
  after(async () => {
    await client?.close();
    await s?.stop();
  });

  it('a tool result over the limit is refused (control)', async () => {
    const err = await client.callTool({ name: 'big', arguments: {} }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).to.contain('maxResponseBodyBytes');
  });

  it('a tools/list answer over the limit is refused too', async () => {
    const r = await client.listTools().then(
      (x) => JSON.stringify(x).length,
      (e: Error) => e.message,
    );
    expect(r).to.be.a('string').and.contain('maxResponseBodyBytes');
  });

  it('a prompts/list answer over the limit is refused too', async () => {
    const r = await client.listPrompts().then(
      (x) => JSON.stringify(x).length,
      (e: Error) => e.message,
    );
    expect(r).to.be.a('string').and.contain('maxResponseBodyBytes');
  });
});
