/**
 * Review of MCP targets (#13): every MCP session starts its own server process (stdio) or upstream
 * connection, and the only bound was 256 sessions per target for all principals together: one agent
 * could start 256 server processes and lock every other agent out. Sessions are bounded per principal.
 */
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import { filesystemTarget } from '../support/mcp-sidecar-fixtures.js';

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'rev13', version: '1' } },
};

describe('rev13: MCP sessions per principal', function () {
  this.timeout(60_000);
  let s: HttpStack;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentgate-rev13-sessions-'));
    s = await startHttpStack({
      targets: [filesystemTarget(dir)],
      defaultAction: 'Allow',
    });
  });
  after(() => s?.stop());

  const open = async (token: string): Promise<{ status: number; sid: string | null }> => {
    const r = await fetch(`${s.url('files')}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify(initialize),
    });
    await r.text();
    return { status: r.status, sid: r.headers.get('mcp-session-id') };
  };

  it('one principal cannot hold more than its share of sessions; another still opens one', async () => {
    const greedy = await s.token('agent-greedy');
    const opened: string[] = [];
    let refused: number | undefined;
    for (let i = 0; i < 20 && refused === undefined; i++) {
      const r = await open(greedy);
      if (r.sid) opened.push(r.sid);
      else refused = r.status;
    }
    expect(refused, `${opened.length} sessions opened`).to.equal(429);
    expect(opened.length).to.equal(16);
    const other = await open(await s.token('agent-other'));
    expect(other.status).to.equal(200);
    expect(other.sid).to.be.a('string');
    // Closing one of its sessions lets the principal open another.
    const del = await fetch(`${s.url('files')}/mcp`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${greedy}`, 'mcp-session-id': opened[0]! },
    });
    expect(del.status).to.equal(200);
    expect((await open(greedy)).status).to.equal(200);
  });
});
