/**
 * Hostile review of MCP gating (#13): a resource rule decides resources/read only.
 * - The same resource reaches the agent embedded in a tool result or a prompt (`type: "resource"`,
 *   with its URI and contents): the results are masked, but the URI a Deny rule names is not looked at.
 * - A Deny rule naming a resource URI exactly is matched against the URI as sent (and its URL form);
 *   servers built on the SDK's templates read the variable as the application parses it
 *   (server-everything: Number(id)), so `…/01`, `…/1.0` and `…/0x1` read resource 1.
 * The server is the reference server-everything over stdio.
 */
import { expect } from 'chai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import { bin, connectMcpClient, stdioTarget } from '../support/mcp-sidecar-fixtures.js';

const DENIED = 'demo://resource/dynamic/text/1';
const CONTENT = 'Resource 1: This is a plaintext resource';

describe('review-mcp: a resource Deny rule and the other ways to the resource', function () {
  this.timeout(60_000);
  let s: HttpStack;
  let client: Client;

  before(async () => {
    s = await startHttpStack({
      targets: [stdioTarget('everything', bin('mcp-server-everything'), ['stdio'])],
      rules: [{ name: 'no-resource-1', when: { mcp: { resources: [DENIED] } }, action: 'Deny' }],
      defaultAction: 'Allow',
    });
    client = await connectMcpClient(s, 'everything', 'agent-review-mcp', 'review-mcp');
  });
  after(async () => {
    await client?.close();
    await s?.stop();
  });

  it('resources/read of the denied URI is refused (the rule works as written)', async () => {
    const err = await client.readResource({ uri: DENIED }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).to.contain('no-resource-1');
  });

  it('a tool result does not carry the contents of a resource the policy denies', async () => {
    const r = await client.callTool({
      name: 'get-resource-reference',
      arguments: { resourceType: 'Text', resourceId: 1 },
    });
    expect(JSON.stringify(r)).to.contain('Returning resource reference');
    expect(JSON.stringify(r)).to.not.contain(CONTENT);
  });

  it('a prompt does not carry the contents of a resource the policy denies', async () => {
    const r = await client.getPrompt({ name: 'resource-prompt', arguments: { resourceType: 'Text', resourceId: '1' } });
    expect(JSON.stringify(r)).to.not.contain(CONTENT);
  });

  for (const uri of [
    'demo://resource/dynamic/text/01',
    'demo://resource/dynamic/text/1.0',
    'demo://resource/dynamic/text/0x1',
  ])
    it(`resources/read of ${uri} (the server's resource 1) is refused`, async () => {
      const r = await client.readResource({ uri }).then(
        (x) => JSON.stringify(x),
        (e: Error) => e.message,
      );
      expect(r).to.not.contain(CONTENT);
    });
});
