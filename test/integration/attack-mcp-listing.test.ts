/**
 * Review of MCP targets (#13): tools/list and resources/list showed the agent only what it may use,
 * prompts/list showed every prompt, denied ones included (their names, descriptions and arguments).
 * server-everything over stdio, as its users start it.
 */
import { expect } from 'chai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import { bin, connectMcpClient, stdioTarget } from '../support/mcp-sidecar-fixtures.js';

describe('rev13: MCP prompts/list shows only the prompts the agent may get', function () {
  this.timeout(60_000);
  let s: HttpStack;
  let client: Client;

  before(async () => {
    s = await startHttpStack({
      targets: [stdioTarget('everything', bin('mcp-server-everything'), ['stdio'])],
      rules: [{ name: 'no-args-prompts', when: { mcp: { prompts: ['args-*'] } }, action: 'Deny' }],
      defaultAction: 'Allow',
    });
    client = await connectMcpClient(s, 'everything', 'agent-rev13', 'rev13');
  });
  after(async () => {
    await client?.close();
    await s?.stop();
  });

  it('a denied prompt is not listed, and getting it is refused', async () => {
    const names = (await client.listPrompts()).prompts.map((p) => p.name);
    expect(names).to.include('simple-prompt');
    expect(names).to.not.include('args-prompt');
    let refused: Error | undefined;
    await client.getPrompt({ name: 'args-prompt', arguments: { city: 'Oslo' } }).catch((e: Error) => (refused = e));
    expect(refused?.message).to.include('agentgate');
  });
});
