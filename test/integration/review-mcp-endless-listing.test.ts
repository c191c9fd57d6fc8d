/**
 * Hostile review of MCP gating (#13): the sidecar reads the server's tools page by page until there is
 * no nextCursor or 10,000 distinct names; a server that always answers the same tool with a nextCursor
 * keeps it paging for ever (no page or time bound, and no abort when the agent gives up): the agent's
 * tools/list and every tools/call of the session wait behind it while the sidecar and the server
 * exchange pages as fast as they can.
 * The server is a small SDK server over stdio that counts the pages asked of it.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import { connectMcpClient, nodeServerTarget, sdkServerScript } from '../support/mcp-sidecar-fixtures.js';

const server = (counter: string): string =>
  sdkServerScript({
    imports: `import { writeFileSync } from 'node:fs';`,
    name: 'endless',
    capabilities: { tools: {} },
    body: `
let pages = 0;
server.setRequestHandler(ListToolsRequestSchema, async () => {
  writeFileSync(${JSON.stringify(counter)}, String(++pages));
  return { tools: [{ name: 'same', inputSchema: { type: 'object' } }], nextCursor: 'more' };
});
`,
  });

describe('review-mcp: a tool listing that never ends', function () {
  this.timeout(60_000);
  let s: HttpStack;
  let client: Client;
  let counter: string;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentgate-review-mcp-'));
    counter = join(dir, 'pages');
    writeFileSync(join(dir, 'endless.mjs'), server(counter));
    s = await startHttpStack({
      targets: [nodeServerTarget('endless', join(dir, 'endless.mjs'))],
      defaultAction: 'Allow',
    });
    client = await connectMcpClient(s, 'endless', 'agent-review-mcp', 'review-mcp');
  });
  after(async () => {
    await client?.close();
    await s?.stop();
  });

  it('tools/list answers (or fails) after a bounded number of pages', async () => {
    const r = await client.listTools(undefined, { timeout: 4000 }).then(
      () => 'answered',
      (e: Error) => e.message,
    );
    await new Promise((res) => setTimeout(res, 1000));
    const pages = Number(readFileSync(counter, 'utf8'));
    expect(r, 'the agent got neither a listing nor a refusal from the sidecar').to.not.match(/timed out/i);
    expect(pages).to.be.lessThan(1000);
  });
});
