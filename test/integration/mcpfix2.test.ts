/**
 * The fixes to the second hostile review of MCP gating (#13), seen by a real SDK client: an error the
 * proxy returns reads "MCP error <code>: <message>" once, not twice. The server is
 * test/support/mcp-gating-server.mjs over stdio.
 */
import { expect } from 'chai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import { connectMcpClient, GATING_SERVER, nodeServerTarget } from '../support/mcp-sidecar-fixtures.js';

describe('mcpfix2: errors as the agent reads them', function () {
  this.timeout(60_000);
  let s: HttpStack;
  let client: Client;

  before(async () => {
    s = await startHttpStack({
      targets: [nodeServerTarget('gating', GATING_SERVER)],
      defaultAction: 'Allow',
    });
    client = await connectMcpClient(s, 'gating', 'agent-mcpfix2', 'mcpfix2');
  });
  after(async () => {
    await client?.close();
    await s?.stop();
  });

  it('a refused call to a tool the server lacks has one "MCP error" prefix', async () => {
    const message = await client.callTool({ name: 'no-such-tool', arguments: {} }).then(
      () => 'called',
      (e: Error) => e.message,
    );
    expect(message).to.match(/^MCP error -32602: agentgate: /);
    expect(message.match(/MCP error/g)).to.have.length(1);
  });
});
