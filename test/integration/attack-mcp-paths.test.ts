/**
 * Review of MCP targets (#13): an argument condition that allows paths under a directory must not let
 * `..` segments walk out of it. The reference filesystem server resolves `<dir>/public/../secret.txt`
 * to `<dir>/secret.txt`; the glob `<dir>/public/*` matched the text as sent.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import { bin, connectMcpClient, filesystemTarget, toolText as text } from '../support/mcp-sidecar-fixtures.js';

describe('rev13: MCP argument conditions on paths', function () {
  this.timeout(60_000);
  let s: HttpStack;
  let dir: string;
  let client: Client;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agentgate-rev13-'));
    mkdirSync(join(dir, 'public'));
    writeFileSync(join(dir, 'public', 'readme.txt'), 'hello\n');
    writeFileSync(join(dir, 'secret.txt'), 'the launch code is 0000\n');
    s = await startHttpStack({
      targets: [filesystemTarget(dir)],
      rules: [
        {
          name: 'public-reads',
          when: { mcp: { tools: ['read_text_file'], arguments: [{ path: '$.path', pattern: `${dir}/public/*` }] } },
          action: 'Allow',
        },
      ],
      defaultAction: 'Deny',
    });
    client = await connectMcpClient(s, 'files', 'agent-rev13', 'rev13');
  });
  after(async () => {
    await client?.close();
    await s?.stop();
  });

  it('allows a read under the allowed directory', async () => {
    const r = (await client.callTool({
      name: 'read_text_file',
      arguments: { path: `${dir}/public/readme.txt` },
    })) as CallToolResult;
    expect(r.isError).to.not.equal(true);
    expect(text(r)).to.contain('hello');
  });

  for (const path of [
    (d: string) => `${d}/public/../secret.txt`,
    (d: string) => `${d}/public/./../secret.txt`,
    (d: string) => `${d}/public/..//secret.txt`,
    (d: string) => `${d}/public/sub/../../secret.txt`,
  ])
    it(`refuses ${path('<dir>')}: a ".." segment leaves the directory the pattern names`, async () => {
      const r = (await client.callTool({ name: 'read_text_file', arguments: { path: path(dir) } })) as CallToolResult;
      expect(r.isError).to.equal(true);
      expect(text(r)).to.not.contain('launch code');
      expect(text(r)).to.contain('agentgate');
    });
});

describe('rev13: a Deny pattern on a path sees the path as the server resolves it', function () {
  this.timeout(60_000);
  let s: HttpStack;
  let dir: string;
  let client: Client;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agentgate-rev13-'));
    writeFileSync(join(dir, 'secret.txt'), 'the launch code is 0000\n');
    writeFileSync(join(dir, 'notes.txt'), 'hello\n');
    s = await startHttpStack({
      targets: [
        {
          name: 'files',
          protocol: 'mcp',
          listen: '127.0.0.1:1',
          // The server expands ~ to its HOME: here the shared directory, as a user's home often is.
          upstream: { command: bin('mcp-server-filesystem'), args: [dir], env: [{ name: 'HOME', value: dir }] },
        },
      ],
      rules: [
        {
          name: 'no-secrets',
          when: { mcp: { tools: ['read_text_file'], arguments: [{ path: '$.path', pattern: `${dir}/secret*` }] } },
          action: 'Deny',
        },
      ],
      defaultAction: 'Allow',
    });
    client = await connectMcpClient(s, 'files', 'agent-rev13', 'rev13');
  });
  after(async () => {
    await client?.close();
    await s?.stop();
  });

  it('another file is read', async () => {
    const r = (await client.callTool({
      name: 'read_text_file',
      arguments: { path: `${dir}/notes.txt` },
    })) as CallToolResult;
    expect(text(r)).to.contain('hello');
  });

  for (const path of [
    (d: string) => `${d}//secret.txt`,
    (d: string) => `${d}/./secret.txt`,
    (d: string) => `${d}/x/../secret.txt`,
    () => '~/secret.txt',
    () => 'secret.txt',
  ])
    it(`refuses ${path('<dir>')}`, async () => {
      const r = (await client.callTool({ name: 'read_text_file', arguments: { path: path(dir) } })) as CallToolResult;
      expect(text(r)).to.not.contain('launch code');
      expect(r.isError).to.equal(true);
    });
});
