/**
 * The fixes to the second hostile review of MCP gating (#13), seen by a real SDK client: an error the
 * proxy returns reads "MCP error <code>: <message>" once, not twice. The server is
 * test/support/mcp-gating-server.mjs over stdio.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';

const root = new URL('../..', import.meta.url).pathname;
const SERVER = join(root, 'test/support/mcp-gating-server.mjs');

describe('mcpfix2: errors as the agent reads them', function () {
  this.timeout(60_000);
  let s: HttpStack;
  let client: Client;

  before(async () => {
    s = await startHttpStack({
      targets: [
        {
          name: 'gating',
          protocol: 'mcp',
          listen: '127.0.0.1:1',
          upstream: { command: process.execPath, args: [SERVER] },
        },
      ],
      defaultAction: 'Allow',
    });
    client = new Client({ name: 'mcpfix2', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${s.url('gating')}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${await s.token('agent-mcpfix2')}` } },
      }),
    );
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
