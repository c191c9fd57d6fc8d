/**
 * Review of MCP targets (#13): tools/list and resources/list showed the agent only what it may use,
 * prompts/list showed every prompt, denied ones included (their names, descriptions and arguments).
 * server-everything over stdio, as its users start it.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';

const root = new URL('../..', import.meta.url).pathname;
const bin = (name: string): string => join(root, 'node_modules/.bin', name);

describe('rev13: MCP prompts/list shows only the prompts the agent may get', function () {
  this.timeout(60_000);
  let s: HttpStack;
  let client: Client;

  before(async () => {
    s = await startHttpStack({
      targets: [
        {
          name: 'everything',
          protocol: 'mcp',
          listen: '127.0.0.1:1',
          upstream: { command: bin('mcp-server-everything'), args: ['stdio'] },
        },
      ],
      rules: [{ name: 'no-args-prompts', when: { mcp: { prompts: ['args-*'] } }, action: 'Deny' }],
      defaultAction: 'Allow',
    });
    const transport = new StreamableHTTPClientTransport(new URL(`${s.url('everything')}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${await s.token('agent-rev13')}` } },
    });
    client = new Client({ name: 'rev13', version: '1' });
    await client.connect(transport);
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
