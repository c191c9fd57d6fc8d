/**
 * Hostile review of MCP gating (#13): what a server sends the agent outside a tool result.
 * - A relayed sampling or elicitation request (target allows them) reaches the agent unmasked, and is
 *   not on the audit record.
 * - An error the server answers to a listing (resources/list, tools/list, ...) reaches the agent
 *   unmasked: the listing handlers call the upstream client without the masking `call()` applies.
 * - A tools/call whose tool listing fails upstream is neither decided nor recorded.
 * The server is a small SDK server over stdio (a compromised or merely careless server: the data it
 * quotes is what the policy masks everywhere else).
 */
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CreateMessageRequestSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import { mcpTransport, nodeServerTarget, sdkServerScript } from '../support/mcp-sidecar-fixtures.js';

const SERVER = sdkServerScript({
  name: 'channels',
  capabilities: { tools: {}, resources: {} },
  body: `
const broken = process.argv[2] === 'broken-listing';
server.setRequestHandler(ListToolsRequestSchema, async () => {
  if (broken) throw new Error('tool index of carol@example.com is locked');
  return {
    tools: [
      { name: 'ask', description: 'asks the model', inputSchema: { type: 'object' } },
      { name: 'confirm', description: 'asks the user', inputSchema: { type: 'object' } },
    ],
  };
});
server.setRequestHandler(CallToolRequestSchema, async (r) => {
  if (r.params.name === 'ask') {
    const m = await server.createMessage({
      messages: [{ role: 'user', content: { type: 'text', text: 'summarise the account of carol@example.com' } }],
      systemPrompt: 'the owner is carol@example.com',
      maxTokens: 10,
    });
    return { content: [{ type: 'text', text: 'sampled: ' + (m.content.text ?? '') }] };
  }
  const e = await server.elicitInput({
    message: 'send the invoice to carol@example.com?',
    requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } } },
  });
  return { content: [{ type: 'text', text: 'elicited: ' + e.action }] };
});
server.setRequestHandler(ListResourcesRequestSchema, async () => {
  throw new Error('cannot list the mailbox of carol@example.com');
});
server.setRequestHandler(ReadResourceRequestSchema, async () => ({ contents: [] }));
`,
});

describe('review-mcp: what a server sends the agent besides a tool result', function () {
  this.timeout(60_000);
  let s: HttpStack;
  let token: string;
  const seen: string[] = [];

  const connect = async (target: string): Promise<Client> => {
    const client = new Client(
      { name: 'review-mcp', version: '1' },
      { capabilities: { sampling: {}, elicitation: {} } },
    );
    client.setRequestHandler(CreateMessageRequestSchema, async (r) => {
      seen.push(JSON.stringify(r.params));
      return { model: 'm', role: 'assistant', content: { type: 'text', text: 'ok' } };
    });
    client.setRequestHandler(ElicitRequestSchema, async (r) => {
      seen.push(JSON.stringify(r.params));
      return { action: 'accept', content: { ok: true } };
    });
    await client.connect(mcpTransport(s, target, token));
    return client;
  };

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentgate-review-mcp-'));
    writeFileSync(join(dir, 'channels.mjs'), SERVER);
    s = await startHttpStack({
      targets: [
        {
          ...nodeServerTarget('channels', join(dir, 'channels.mjs')),
          mcp: { capabilities: { sampling: true, elicitation: true } },
        },
        {
          name: 'broken',
          protocol: 'mcp',
          listen: '127.0.0.1:2',
          upstream: { command: process.execPath, args: [join(dir, 'channels.mjs'), 'broken-listing'] },
        },
      ],
      masking: { detectors: ['email'], defaultStrategy: 'redact' },
      defaultAction: 'Allow',
    });
    token = await s.token('agent-review-mcp');
  });
  after(async () => {
    await s?.stop();
  });

  it('a relayed sampling request is masked like a tool result', async () => {
    const client = await connect('channels');
    try {
      seen.length = 0;
      const r = await client.callTool({ name: 'ask', arguments: {} });
      expect(JSON.stringify(r)).to.contain('sampled');
      expect(seen.join('\n')).to.contain('summarise the account of');
      expect(seen.join('\n')).to.not.contain('carol@example.com');
    } finally {
      await client.close();
    }
  });

  it('a relayed elicitation request is masked like a tool result', async () => {
    const client = await connect('channels');
    try {
      seen.length = 0;
      const r = await client.callTool({ name: 'confirm', arguments: {} });
      expect(JSON.stringify(r)).to.contain('elicited');
      expect(seen.join('\n')).to.contain('send the invoice');
      expect(seen.join('\n')).to.not.contain('carol@example.com');
    } finally {
      await client.close();
    }
  });

  it('a relayed sampling request is on the audit record', async () => {
    const client = await connect('channels');
    try {
      await client.callTool({ name: 'ask', arguments: {} });
      const records = s.records().map((x) => JSON.stringify(x));
      expect(records.some((x) => x.includes('sampling/createMessage'))).to.equal(true);
    } finally {
      await client.close();
    }
  });

  it("a server's error to resources/list is masked", async () => {
    const client = await connect('channels');
    try {
      let message = '';
      await client.listResources().catch((e: Error) => (message = e.message));
      expect(message).to.contain('cannot list the mailbox');
      expect(message).to.not.contain('carol@example.com');
    } finally {
      await client.close();
    }
  });

  it("a server's error to tools/list is masked", async () => {
    const client = await connect('broken');
    try {
      let message = '';
      await client.listTools().catch((e: Error) => (message = e.message));
      expect(message).to.contain('tool index');
      expect(message).to.not.contain('carol@example.com');
    } finally {
      await client.close();
    }
  });

  it('a tools/call is decided and recorded even when the tool listing fails upstream', async () => {
    const client = await connect('broken');
    try {
      await client.callTool({ name: 'ask', arguments: {} }).catch(() => undefined);
      const recorded = s.records().filter((x) => x.target === 'broken' && x.mcp?.method === 'tools/call');
      expect(recorded.length, 'no audit record of the tools/call').to.be.greaterThan(0);
    } finally {
      await client.close();
    }
  });
});
