/**
 * Hostile review of MCP gating (#13): path patterns see a path as the server resolves it, CEL does not.
 * The README's own example holds writes outside /data/tmp for approval with
 * `!request.arguments.path.startsWith("/data/tmp/")`; `<dir>/tmp/../important.txt` starts with the
 * prefix, is not held, and the reference filesystem server writes `<dir>/important.txt`.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import { connectMcpClient, filesystemTarget } from '../support/mcp-sidecar-fixtures.js';

describe("review-mcp: the README's CEL rule on write paths", function () {
  this.timeout(60_000);
  let s: HttpStack;
  let dir: string;
  let client: Client;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agentgate-review-mcp-'));
    mkdirSync(join(dir, 'tmp'));
    s = await startHttpStack({
      targets: [filesystemTarget(dir)],
      rules: [
        {
          name: 'writes',
          when: {
            mcp: { tools: ['write_file', 'edit_file'], cel: `!request.arguments.path.startsWith("${dir}/tmp/")` },
          },
          action: 'RequireApproval',
        },
      ],
      approval: { mode: 'Reject', approvers: { users: ['alice'] } } as never,
      defaultAction: 'Allow',
    });
    client = await connectMcpClient(s, 'files', 'agent-review-mcp', 'review-mcp');
  });
  after(async () => {
    await client?.close();
    await s?.stop();
  });

  it('a write outside tmp is held (the rule works as written)', async () => {
    const r = await client.callTool({ name: 'write_file', arguments: { path: `${dir}/direct.txt`, content: 'x' } });
    expect(JSON.stringify(r)).to.contain('writes');
    expect(existsSync(join(dir, 'direct.txt'))).to.equal(false);
  });

  it('a write that climbs out of tmp with .. is held too', async () => {
    await client.callTool({ name: 'write_file', arguments: { path: `${dir}/tmp/../important.txt`, content: 'x' } });
    expect(existsSync(join(dir, 'important.txt')), 'written without approval').to.equal(false);
  });
});
