/**
 * Review of MCP targets (#13): resource rules matched the URI as sent, while servers built on the SDK
 * look it up as `new URL(uri)` has it (scheme lower-cased, `.` and `..` segments resolved): a Deny rule on
 * `demo://resource/static/document/architecture.md` let `DEMO://…` and `…/./architecture.md` through.
 * server-everything over stdio, as its users start it.
 */
import { expect } from 'chai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import { bin, connectMcpClient, stdioTarget } from '../support/mcp-sidecar-fixtures.js';

const DENIED = 'demo://resource/static/document/architecture.md';

describe('rev13: MCP resource rules see the URI as the server reads it', function () {
  this.timeout(60_000);
  let s: HttpStack;
  let client: Client;

  before(async () => {
    s = await startHttpStack({
      targets: [stdioTarget('everything', bin('mcp-server-everything'), ['stdio'])],
      rules: [
        { name: 'no-architecture', when: { mcp: { resources: [DENIED] } }, action: 'Deny' },
        {
          name: 'documents-only',
          when: { mcp: { resources: ['demo://resource/static/document/*'] } },
          action: 'Allow',
        },
      ],
      defaultAction: 'Deny',
    });
    client = await connectMcpClient(s, 'everything', 'agent-rev13', 'rev13');
  });
  after(async () => {
    await client?.close();
    await s?.stop();
  });

  it('an allowed document is read', async () => {
    const r = await client.readResource({ uri: 'demo://resource/static/document/startup.md' });
    expect(r.contents.length).to.be.greaterThan(0);
  });

  for (const uri of [
    DENIED,
    'DEMO://resource/static/document/architecture.md',
    'demo://resource/static/document/./architecture.md',
    'Demo://resource/static/document/x/../architecture.md',
  ])
    it(`refuses ${uri}`, async () => {
      let refused: Error | undefined;
      await client.readResource({ uri }).catch((e: Error) => (refused = e));
      expect(refused?.message).to.include('agentgate');
    });

  it('an Allow rule does not admit a URI that leaves its prefix once resolved', async () => {
    let refused: Error | undefined;
    await client
      .readResource({ uri: 'demo://resource/static/document/../../dynamic/text/1' })
      .catch((e: Error) => (refused = e));
    expect(refused?.message).to.include('agentgate');
  });
});
