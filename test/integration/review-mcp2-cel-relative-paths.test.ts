/**
 * Hostile review round 2 of MCP gating (#13): `pattern`/`values` conditions treat a relative (or `~`)
 * path against an absolute anchor as undecidable (it matches Deny rules), but CEL conditions only get
 * the as-sent and folded forms: a relative path stays relative. The reference filesystem server resolves
 * a relative path against its allowed directory, so `secret/key.txt` is `<dir>/secret/key.txt` to it,
 * past a CEL Deny on `request.arguments.path.startsWith("<dir>/secret/")`. The same holds for a pattern
 * condition whose anchor is not absolute (`*` then `/.env`: "a .env file anywhere"): `.env` alone is read.
 * And for `~/…` where the server's HOME is `/` (a container run as an arbitrary UID): `~<dir>/secret/…`.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import { bin, connectMcpClient, filesystemTarget } from '../support/mcp-sidecar-fixtures.js';

const SECRET = 'the-launch-codes-7731';

describe('review-mcp2: a CEL Deny on a path prefix and relative paths', function () {
  this.timeout(60_000);
  let s: HttpStack;
  let dir: string;
  let client: Client;
  let home: Client;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agentgate-review-mcp2-'));
    mkdirSync(join(dir, 'secret'));
    writeFileSync(join(dir, 'secret', 'key.txt'), SECRET);
    writeFileSync(join(dir, 'public.txt'), 'hello');
    writeFileSync(join(dir, '.env'), `API_KEY=${SECRET}`);
    s = await startHttpStack({
      targets: [
        filesystemTarget(dir),
        {
          name: 'files-home',
          protocol: 'mcp',
          listen: '127.0.0.1:2',
          upstream: { command: bin('mcp-server-filesystem'), args: [dir], env: [{ name: 'HOME', value: '/' }] },
        },
      ],
      rules: [
        {
          name: 'no-secret-dir',
          when: { mcp: { tools: ['read_*'], cel: `request.arguments.path.startsWith("${dir}/secret/")` } },
          action: 'Deny',
        },
        {
          name: 'no-dotenv',
          when: { mcp: { tools: ['read_*'], arguments: [{ path: '$.path', pattern: '*/.env' }] } },
          action: 'Deny',
        },
      ],
      defaultAction: 'Allow',
    });
    client = await connectMcpClient(s, 'files', 'agent-review-mcp2', 'review-mcp2');
    home = await connectMcpClient(s, 'files-home', 'agent-review-mcp2', 'review-mcp2');
  });
  after(async () => {
    await home?.close();
    await client?.close();
    await s?.stop();
  });

  it('the absolute path is denied (the rule works as written)', async () => {
    const r = await client.callTool({ name: 'read_text_file', arguments: { path: `${dir}/secret/key.txt` } });
    expect(r.isError).to.equal(true);
    expect(JSON.stringify(r)).to.contain('no-secret-dir').and.not.contain(SECRET);
  });

  it('a relative path the server resolves into the denied directory is denied too', async () => {
    const r = await client.callTool({ name: 'read_text_file', arguments: { path: 'secret/key.txt' } });
    expect(JSON.stringify(r), 'relative path read past the CEL Deny').to.not.contain(SECRET);
  });

  it('a relative path climbing through a sibling is denied too', async () => {
    const r = await client.callTool({ name: 'read_text_file', arguments: { path: './public/../secret/key.txt' } });
    expect(JSON.stringify(r), 'relative path read past the CEL Deny').to.not.contain(SECRET);
  });

  it('a .env file named relative to the served directory is denied by the "*/.env" pattern', async () => {
    const denied = await client.callTool({ name: 'read_text_file', arguments: { path: `${dir}/.env` } });
    expect(JSON.stringify(denied)).to.contain('no-dotenv');
    const r = await client.callTool({ name: 'read_text_file', arguments: { path: '.env' } });
    expect(JSON.stringify(r), 'relative .env read past the pattern Deny').to.not.contain(SECRET);
  });

  it('a path under ~ the server expands into the denied directory is denied too', async () => {
    const r = await home.callTool({ name: 'read_text_file', arguments: { path: `~${dir}/secret/key.txt` } });
    expect(JSON.stringify(r), '~ path read past the CEL Deny').to.not.contain(SECRET);
  });
});
