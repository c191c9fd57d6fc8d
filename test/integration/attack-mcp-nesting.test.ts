/**
 * Review of MCP targets (#13): arguments nested 100,000 levels deep (well under the 1 MiB body limit)
 * overflowed the stack while the call was being decided: the agent got "Maximum call stack size
 * exceeded" and no record said what was refused. Such a message is refused at the door, recorded.
 */
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import { bin, stdioTarget } from '../support/mcp-sidecar-fixtures.js';

describe('rev13: MCP messages nested too deep', function () {
  this.timeout(60_000);
  let s: HttpStack;
  let url: string;
  let token: string;
  let sid: string;

  const post = async (body: string): Promise<{ status: number; text: string }> => {
    const r = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sid,
        'mcp-protocol-version': '2025-06-18',
      },
      body,
    });
    return { status: r.status, text: await r.text() };
  };

  before(async () => {
    s = await startHttpStack({
      targets: [stdioTarget('files', bin('mcp-server-filesystem'), [mkdtempSync(join(tmpdir(), 'agentgate-rev13-'))])],
      defaultAction: 'Allow',
    });
    url = `${s.url('files')}/mcp`;
    token = await s.token('agent-rev13');
    const r = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'rev13', version: '1' } },
      }),
    });
    await r.text();
    sid = r.headers.get('mcp-session-id')!;
    await post(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  });
  after(() => s?.stop());

  it('is refused with 400 and a protocol record; the session goes on', async () => {
    const deep = '['.repeat(100_000) + '1' + ']'.repeat(100_000);
    const r = await post(
      `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"read_text_file","arguments":{"path":${deep}}}}`,
    );
    expect(r.status).to.equal(400);
    expect(r.text).to.include('nested');
    expect(s.records().some((x) => x.event?.action === 'protocol.error' && /nested/.test(JSON.stringify(x)))).to.equal(
      true,
    );
    const list = await post(JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'tools/list' }));
    expect(list.status).to.equal(200);
    expect(list.text).to.include('read_text_file');
  });
});
