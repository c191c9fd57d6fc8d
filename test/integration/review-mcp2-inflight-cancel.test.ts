/**
 * Hostile review round 2 of MCP gating (#13): requests in flight are capped per session (64) and per
 * principal (128), and every request counts, whatever it is (review 17). A call held for approval is
 * in flight for as long as the hold lasts, and the way a client gives up on one is another request:
 * `notifications/cancelled` (the SDK sends it when a call times out or is aborted), or DELETE of the
 * session. At the cap both are refused with 429: the agent cannot withdraw any of its held calls, which
 * then stay open (and can still be approved and sent) although the agent no longer wants them, and it
 * cannot even close its session. The server is test/support/mcp-gating-server.mjs over stdio; approvals
 * come from the in-memory broker, which never answers here.
 */
import { expect } from 'chai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { MemoryBroker } from '../support/memory-broker.js';
import type { HttpStack } from '../support/http-stack.js';
import {
  GATING_SERVER,
  mcpTransport,
  nodeServerTarget,
  startMcpApprovalStack,
} from '../support/mcp-sidecar-fixtures.js';

const HELD = 64;

describe('review-mcp2: withdrawing held calls at the in-flight cap', function () {
  this.timeout(60_000);
  let s: HttpStack;
  let client: Client;
  let transport: StreamableHTTPClientTransport;
  let token: string;
  const broker = new MemoryBroker();

  before(async () => {
    s = await startMcpApprovalStack(broker, {
      targets: [nodeServerTarget('gating', GATING_SERVER)],
      approval: { mode: 'Hold', timeoutSeconds: 600, approvers: { users: ['alice'] } } as never,
      rules: [{ name: 'held-echo', when: { mcp: { tools: ['echo'] } }, action: 'RequireApproval' }],
    });
    token = await s.token('agent-review-mcp2');
    transport = mcpTransport(s, 'gating', token);
    client = new Client({ name: 'review-mcp2', version: '1' });
    await client.connect(transport);
  });
  after(async () => {
    await s?.stop();
  });

  const raw = (method: string, body?: unknown): Promise<Response> =>
    fetch(`${s.url('gating')}/mcp`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        'mcp-session-id': transport.sessionId!,
        'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
        accept: 'application/json, text/event-stream',
        'content-type': 'application/json',
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  it('a held call can still be cancelled, and the session closed, when the session has 64 calls held', async () => {
    for (let n = 0; n < HELD; n++)
      void client.callTool({ name: 'echo', arguments: { n } }, undefined, { timeout: 600_000 }).catch(() => undefined);
    // The client's event stream (GET) is one of the session's 64: 63 calls are held, the 64th refused.
    while (broker.asks.length < HELD - 1) await new Promise((r) => setTimeout(r, 50));

    // The SDK's client numbered initialize 0 and the calls 1..64.
    const cancel = await raw('POST', {
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 1, reason: 'the user gave up' },
    });
    await cancel.arrayBuffer();
    expect(cancel.status, 'the cancellation of a held call is refused').to.equal(202);

    const del = await raw('DELETE');
    await del.arrayBuffer();
    expect(del.status, 'the agent cannot close its own session').to.equal(200);
  });
});
