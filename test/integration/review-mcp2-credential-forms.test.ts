/**
 * Hostile review round 2 of MCP gating (#13): the server's own credential (upstream.env from a Secret)
 * is redacted as the exact text the sidecar handed over and its JSON-escaped form (review 5). Tokens are
 * often base64 (`+`, `/`, `=`), and the commonest way a server quotes its credential is inside a URL
 * it failed to fetch (`GET https://api…?key=<encodeURIComponent(token)> returned 401`): percent-encoded,
 * the credential is no longer the literal, and reaches the agent in the error message and in results.
 * The server is a small SDK server over stdio that reports the URL it called, as HTTP client errors do.
 */
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import { connectMcpClient, sdkServerScript } from '../support/mcp-sidecar-fixtures.js';

const CREDENTIAL = 'Zx9+Qm/Tk4Lw7Rv2Hs8Pq3Nd==';
/** What the agent must not be able to rebuild the credential from. */
const CORE = 'Tk4Lw7Rv2Hs8Pq3Nd';

const SERVER = sdkServerScript({
  name: 'crm',
  capabilities: { tools: {} },
  body: `
const url = 'https://crm.example/api/v1/contacts?key=' + encodeURIComponent(process.env.CRM_API_TOKEN);
server.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: [
    { name: 'sync', description: 'syncs contacts', inputSchema: { type: 'object' } },
    { name: 'status', description: 'last sync', inputSchema: { type: 'object' } },
  ],
}));
server.setRequestHandler(CallToolRequestSchema, async (r) => {
  if (r.params.name === 'sync') throw new Error('GET ' + url + ' returned 401 Unauthorized');
  return { content: [{ type: 'text', text: 'last sync: GET ' + url + ' (200, 12 contacts)' }] };
});
`,
});

describe("review-mcp2: the server's credential percent-encoded", function () {
  this.timeout(60_000);
  let s: HttpStack;
  let client: Client;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentgate-review-mcp2-'));
    writeFileSync(join(dir, 'crm.mjs'), SERVER);
    writeFileSync(join(dir, 'token'), CREDENTIAL);
    s = await startHttpStack({
      targets: [
        {
          name: 'crm',
          protocol: 'mcp',
          listen: '127.0.0.1:1',
          upstream: {
            command: process.execPath,
            args: [join(dir, 'crm.mjs')],
            env: [{ name: 'CRM_API_TOKEN', valueFromFile: join(dir, 'token') }],
          },
        },
      ],
      defaultAction: 'Allow',
    });
    client = await connectMcpClient(s, 'crm', 'agent-review-mcp2', 'review-mcp2');
  });
  after(async () => {
    await client?.close();
    await s?.stop();
  });

  it('is not in a tool result', async () => {
    const r = JSON.stringify(await client.callTool({ name: 'status', arguments: {} }));
    expect(r).to.contain('last sync');
    expect(r, 'the credential, percent-encoded, reached the agent').to.not.contain(CORE);
  });

  it('is not in a server error the agent gets', async () => {
    const r = await client.callTool({ name: 'sync', arguments: {} }).then(
      (x) => JSON.stringify(x),
      (e: Error) => e.message,
    );
    expect(r).to.contain('401');
    expect(r, 'the credential, percent-encoded, reached the agent').to.not.contain(CORE);
  });
});
