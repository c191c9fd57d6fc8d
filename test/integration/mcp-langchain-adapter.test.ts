/**
 * The MCP sidecar driven through an agent framework's MCP adapter, as a LangChain / LangGraph agent
 * uses it: @langchain/mcp-adapters' MultiServerMCPClient over Streamable HTTP with the agent's bearer
 * token in its headers, pointed at the sidecar in front of the reference filesystem server (stdio, as
 * its users start it). The tools it loads are the filtered ones; an allowed call returns the masked
 * result; a denied call (a tool result with isError) reaches the framework as a ToolException naming
 * the rule, which LangGraph's ToolNode turns into the error ToolMessage the model reads.
 */
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AIMessage, ToolMessage } from '@langchain/core/messages';
import { ToolNode } from '@langchain/langgraph/prebuilt';
import { MultiServerMCPClient } from '@langchain/mcp-adapters';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import { filesystemTarget, GATING_SERVER, nodeServerTarget } from '../support/mcp-sidecar-fixtures.js';

describe('MCP sidecar through @langchain/mcp-adapters (MultiServerMCPClient)', function () {
  this.timeout(60_000);
  let s: HttpStack;
  let dir: string;
  let mcp: MultiServerMCPClient;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agentgate-mcp-langchain-'));
    writeFileSync(join(dir, 'notes.txt'), 'call carol@example.com about the launch\n');
    writeFileSync(join(dir, 'secret.txt'), 'the launch code is 0000\n');
    s = await startHttpStack({
      targets: [filesystemTarget(dir), { ...nodeServerTarget('gating', GATING_SERVER), listen: '127.0.0.1:2' }],
      masking: { detectors: ['email'], defaultStrategy: 'redact' },
      rules: [
        { name: 'no-moves', when: { mcp: { tools: ['move_file', 'write_file', 'edit_file'] } }, action: 'Deny' },
        {
          name: 'no-secrets',
          when: { mcp: { tools: ['read_*'], arguments: [{ path: '$.path', pattern: '*secret*' }] } },
          action: 'Deny',
          message: 'secret files stay closed',
        },
      ],
      defaultAction: 'Allow',
    });
    mcp = new MultiServerMCPClient({
      mcpServers: {
        files: {
          transport: 'http',
          url: `${s.url('files')}/mcp`,
          headers: { authorization: `Bearer ${await s.token('agent-langchain')}` },
        },
        gating: {
          transport: 'http',
          url: `${s.url('gating')}/mcp`,
          headers: { authorization: `Bearer ${await s.token('agent-langchain')}` },
        },
      },
      throwOnLoadError: true,
    });
  });
  after(async () => {
    await mcp?.close();
    await s?.stop();
  });

  it('loads only the tools the policy lets the agent call', async () => {
    const names = (await mcp.getTools('files')).map((t) => t.name);
    expect(names.some((n) => n.endsWith('read_text_file'))).to.equal(true);
    expect(names.some((n) => /move_file|write_file|edit_file/.test(n))).to.equal(false);
  });

  it('an allowed call returns the masked result; a denied one is the rule-naming error the model reads', async () => {
    const tools = await mcp.getTools('files');
    const read = tools.find((t) => t.name.endsWith('read_text_file'))!;
    const allowed = JSON.stringify(await read.invoke({ path: join(dir, 'notes.txt') }));
    expect(allowed).to.include('about the launch').and.not.include('carol@example.com');

    // The tool itself throws the adapter's ToolException, the rule and its message in the text.
    const thrown = await read
      .invoke({ path: join(dir, 'secret.txt') })
      .then(() => undefined)
      .catch((e: Error) => e);
    expect(thrown?.name).to.equal('ToolException');
    expect(thrown?.message).to.include('no-secrets').and.include('secret files stay closed').and.not.include('0000');

    // What a LangGraph agent's tool step hands the model.
    const node = new ToolNode(tools);
    const out = (await node.invoke({
      messages: [
        new AIMessage({
          content: '',
          tool_calls: [
            { id: 'c1', name: read.name, args: { path: join(dir, 'notes.txt') } },
            { id: 'c2', name: read.name, args: { path: join(dir, 'secret.txt') } },
          ],
        }),
      ],
    })) as { messages: ToolMessage[] };
    const [ok, denied] = out.messages;
    expect(ok!.status).to.equal('success');
    expect(JSON.stringify(ok!.content)).to.include('about the launch').and.not.include('carol@example.com');
    expect(denied!.status).to.equal('error');
    expect(String(denied!.content)).to.include('denied by rule "no-secrets"').and.not.include('0000');

    const recs = s
      .records()
      .filter((x) => x.event.action === 'statement.decision' && x.principal?.sub === 'agent-langchain');
    expect(recs.map((x) => x.rule.name)).to.include('no-secrets');
  });

  it('the tool descriptions and schemas the model is given are masked', async () => {
    const tools = await mcp.getTools('gating');
    const contact = tools.find((t) => t.name.endsWith('contact'))!;
    expect(contact.description).to.include('Reach the owner at').and.not.include('carol@example.com');
    expect(JSON.stringify(tools.map((t) => [t.name, t.description, t.schema]))).to.not.include('carol@example.com');
  });
});
