/**
 * Hostile review of MCP gating (#13): pathForms folds a path with posix.normalize, which keeps a
 * trailing slash; servers resolve paths with path.resolve, which drops it. A Deny pattern naming one
 * file exactly (`<dir>/.env`) is passed by `<dir>/.env/`, and the reference filesystem server reads
 * the file.
 */
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import { connectMcpClient, filesystemTarget, toolText as text } from '../support/mcp-sidecar-fixtures.js';

describe('review-mcp: a Deny pattern naming one file and a trailing slash', function () {
  this.timeout(60_000);
  let s: HttpStack;
  let dir: string;
  let client: Client;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agentgate-review-mcp-'));
    writeFileSync(join(dir, '.env'), 'DB_PASSWORD=launch-code-0000\n');
    writeFileSync(join(dir, 'notes.txt'), 'hello\n');
    s = await startHttpStack({
      targets: [filesystemTarget(dir)],
      rules: [
        {
          name: 'no-dotenv',
          when: { mcp: { tools: ['*'], arguments: [{ path: '$.path', pattern: `${dir}/.env` }] } },
          action: 'Deny',
        },
      ],
      defaultAction: 'Allow',
    });
    client = await connectMcpClient(s, 'files', 'agent-review-mcp', 'review-mcp');
  });
  after(async () => {
    await client?.close();
    await s?.stop();
  });

  it('the file as named is refused (the rule works as written)', async () => {
    const r = (await client.callTool({ name: 'read_text_file', arguments: { path: `${dir}/.env` } })) as CallToolResult;
    expect(text(r)).to.contain('no-dotenv');
  });

  for (const path of [(d: string) => `${d}/.env/`, (d: string) => `${d}//.env//`])
    it(`${path('<dir>')} is refused too`, async () => {
      const r = (await client.callTool({ name: 'read_text_file', arguments: { path: path(dir) } })) as CallToolResult;
      expect(text(r)).to.not.contain('launch-code');
    });
});
