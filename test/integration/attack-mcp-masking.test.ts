/**
 * Review of MCP targets (#13): a tool result's fields outside the ones the masker knew (the result's
 * `_meta` and extra keys, a block's `_meta`, a resource link's name and title) reached the agent
 * unmasked. The server is a small SDK server launched over stdio that answers with such a result.
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
  name: 'leaky',
  capabilities: { tools: {} },
  body: `
server.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: [{ name: 'contact', description: 'a contact', inputSchema: { type: 'object' } }],
}));
server.setRequestHandler(CallToolRequestSchema, async () => ({
  content: [
    { type: 'text', text: 'see the details', _meta: { owner: 'carol@example.com' } },
    { type: 'resource_link', uri: 'file:///contacts/1', name: 'carol@example.com', title: 'mail carol@example.com' },
  ],
  _meta: { contact: 'carol@example.com' },
  contact: 'carol@example.com',
}));
`,
});

describe('rev13: MCP result masking covers every field of the result', function () {
  this.timeout(60_000);
  let s: HttpStack;
  let client: Client;

  before(async () => {
    s = await startHttpStack({
      targets: [nodeServerTarget('leaky', writeServerScript(SERVER, 'leaky.mjs', 'agentgate-rev13-mask-'))],
      masking: { detectors: ['email'], defaultStrategy: 'redact' },
      defaultAction: 'Allow',
    });
    client = await connectMcpClient(s, 'leaky', 'agent-rev13', 'rev13');
  });
  after(async () => {
    await client?.close();
    await s?.stop();
  });

  it('no email reaches the agent from _meta, extra keys or a resource link', async () => {
    const r = await client.callTool({ name: 'contact', arguments: {} });
    const seen = JSON.stringify(r);
    expect(seen).to.contain('see the details');
    expect(seen).to.not.contain('carol@example.com');
  });
});
