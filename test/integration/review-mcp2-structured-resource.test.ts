/**
 * Hostile review round 2 of MCP gating (#13): a resource embedded in a tool result is decided as a read
 * of its URI and withheld when blocked (review 4) — in `content` only. A tool with an outputSchema
 * returns its result twice, as the spec asks: `structuredContent` and, for older clients, the same in
 * `content`. The embedded resource in `content` is withheld, its mirror in `structuredContent` (the same
 * `{type: "resource", resource: {uri, text}}`) reaches the agent whole.
 * The server is a small SDK server over stdio that fetches a document by name and returns it embedded.
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

const SECRET = 'merger target: Initech, price 4.2bn';

const SERVER = sdkServerScript({
  name: 'docs',
  capabilities: { tools: {}, resources: {} },
  body: `
const docs = { plans: ${JSON.stringify(SECRET)}, menu: 'soup of the day' };
server.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: [{
    name: 'fetch_doc',
    description: 'returns a document as an embedded resource',
    inputSchema: { type: 'object', properties: { name: { type: 'string' } } },
    outputSchema: { type: 'object', properties: { document: { type: 'object' } } },
  }],
}));
server.setRequestHandler(CallToolRequestSchema, async (r) => {
  const name = r.params.arguments.name;
  const block = { type: 'resource', resource: { uri: 'docs://board/' + name, mimeType: 'text/plain', text: docs[name] } };
  return { content: [block], structuredContent: { document: block } };
});
server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: [] }));
server.setRequestHandler(ReadResourceRequestSchema, async (r) => ({ contents: [] }));
`,
});

describe('review-mcp2: an embedded resource mirrored in structuredContent', function () {
  this.timeout(60_000);
  let s: HttpStack;
  let client: Client;

  before(async () => {
    s = await startHttpStack({
      targets: [nodeServerTarget('docs', writeServerScript(SERVER, 'docs.mjs', 'agentgate-review-mcp2-'))],
      rules: [{ name: 'board-only', when: { mcp: { resources: ['docs://board/plans'] } }, action: 'Deny' }],
      defaultAction: 'Allow',
    });
    client = await connectMcpClient(s, 'docs', 'agent-review-mcp2', 'review-mcp2');
  });
  after(async () => {
    await client?.close();
    await s?.stop();
  });

  it('an allowed document arrives whole', async () => {
    const r = await client.callTool({ name: 'fetch_doc', arguments: { name: 'menu' } });
    expect(JSON.stringify(r)).to.contain('soup of the day');
  });

  it('a document the agent may not read is withheld in content and in structuredContent', async () => {
    const read = await client.readResource({ uri: 'docs://board/plans' }).then(
      () => 'read',
      (e: Error) => e.message,
    );
    expect(read).to.contain('board-only');
    const r = await client.callTool({ name: 'fetch_doc', arguments: { name: 'plans' } });
    expect(JSON.stringify(r.content), 'content').to.contain('withheld').and.not.contain(SECRET);
    expect(JSON.stringify(r.structuredContent), 'structuredContent').to.not.contain(SECRET);
  });
});
