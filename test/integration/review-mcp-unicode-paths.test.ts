/**
 * Hostile review of MCP gating (#13): a Deny pattern on a path is matched against the text as sent and
 * its posix.normalize form only. The reference filesystem server, when a path does not exist byte for
 * byte, looks each component up by its Unicode NFC form (resolveUnicodeEquivalentPath): the NFD
 * spelling of a denied directory names a path the pattern does not match, and the server reads the
 * denied file.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import { connectMcpClient, filesystemTarget, toolText as text } from '../support/mcp-sidecar-fixtures.js';

const PRIVATE_NFC = 'priv\u00e9';
const PRIVATE_NFD = 'prive\u0301';

describe('review-mcp: a Deny pattern on a path and Unicode-equivalent spellings', function () {
  this.timeout(60_000);
  let s: HttpStack;
  let dir: string;
  let client: Client;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agentgate-review-mcp-'));
    mkdirSync(join(dir, PRIVATE_NFC));
    writeFileSync(join(dir, PRIVATE_NFC, 'secret.txt'), 'the launch code is 0000\n');
    writeFileSync(join(dir, 'notes.txt'), 'hello\n');
    s = await startHttpStack({
      targets: [filesystemTarget(dir)],
      rules: [
        {
          name: 'no-private',
          when: { mcp: { tools: ['*'], arguments: [{ path: '$.path', pattern: `${dir}/${PRIVATE_NFC}*` }] } },
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

  it('the NFC spelling is refused (the rule works as written)', async () => {
    const r = (await client.callTool({
      name: 'read_text_file',
      arguments: { path: `${dir}/${PRIVATE_NFC}/secret.txt` },
    })) as CallToolResult;
    expect(r.isError).to.equal(true);
    expect(text(r)).to.contain('no-private');
  });

  it('the NFD spelling of the denied directory is refused too', async () => {
    const r = (await client.callTool({
      name: 'read_text_file',
      arguments: { path: `${dir}/${PRIVATE_NFD}/secret.txt` },
    })) as CallToolResult;
    expect(text(r)).to.not.contain('launch code');
  });

  it('the NFD spelling cannot list the denied directory either', async () => {
    const r = (await client.callTool({
      name: 'list_directory',
      arguments: { path: `${dir}/${PRIVATE_NFD}` },
    })) as CallToolResult;
    expect(text(r)).to.not.contain('secret.txt');
  });
});
