/**
 * Hostile review round 2 of MCP gating (#13): approvers read each masked argument as a keyed digest
 * (review 7), but the call's line (`resources/read <uri>`, masked with the plain `redact` strategy) is
 * not: two reads held for approval whose URIs differ only in a masked part (whose mailbox, whose record)
 * read exactly the same to the approver, the sha256 apart. The URI is what decides what a read does.
 * The server is a small SDK server over stdio with a resource template; approvals come from the
 * in-memory broker.
 */
import { expect } from 'chai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { MemoryBroker } from '../support/memory-broker.js';
import type { HttpStack } from '../support/http-stack.js';
import {
  aliceRejects,
  connectMcpClient,
  nodeServerTarget,
  startMcpApprovalStack,
  writeServerScript,
  sdkServerScript,
} from '../support/mcp-sidecar-fixtures.js';

const SERVER = sdkServerScript({
  name: 'mail',
  capabilities: { tools: {}, resources: {} },
  body: `
server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [] }));
server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: [] }));
server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
  resourceTemplates: [{ uriTemplate: 'mail://inbox/{address}', name: 'inbox' }],
}));
server.setRequestHandler(ReadResourceRequestSchema, async (r) => ({
  contents: [{ uri: r.params.uri, text: 'the inbox' }],
}));
`,
});

describe('review-mcp2: a held resources/read and what the approver reads of its URI', function () {
  this.timeout(60_000);
  let s: HttpStack;
  let client: Client;
  const broker = new MemoryBroker();

  before(async () => {
    s = await startMcpApprovalStack(broker, {
      targets: [nodeServerTarget('mail', writeServerScript(SERVER, 'mail.mjs', 'agentgate-review-mcp2-'))],
      masking: { detectors: ['email'], defaultStrategy: 'redact' },
      approval: aliceRejects,
      rules: [{ name: 'mailboxes', when: { mcp: { resources: ['mail://inbox/*'] } }, action: 'RequireApproval' }],
    });
    client = await connectMcpClient(s, 'mail', 'agent-review-mcp2', 'review-mcp2');
  });
  after(async () => {
    await client?.close();
    await s?.stop();
  });

  it('two reads that differ only in a masked part of the URI do not read the same to the approver', async () => {
    for (const uri of ['mail://inbox/intern@corp.example', 'mail://inbox/ceo@corp.example'])
      await client.readResource({ uri }).catch((e: Error) => expect(e.message).to.contain('mailboxes'));
    expect(broker.asks).to.have.length(2);
    const [a, b] = broker.asks.map((x) => x.command.text.replaceAll(x.command.sha256, '<sha256>'));
    expect(a).to.contain('resources/read mail://inbox/');
    expect(a, 'the approver cannot tell the two reads apart').to.not.equal(b);
  });
});
