/**
 * MCP gating completeness (#13): every call gets its own decision record (blocked after a rug pull,
 * hidden by the policy, unknown to the server, a method not gated); listings are masked like results
 * (descriptions, schemas, annotations, _meta) with entries whose name or schema keys leak hidden;
 * resource templates no read could pass are hidden; a tool's _meta and icons are fingerprinted; an
 * approval binds the call's _meta; first-seen fingerprints survive a sidecar restart (local mode).
 * The server is test/support/mcp-gating-server.mjs over stdio; server-everything for templates.
 */
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { callFacts } from '../../proxy/mcp/mcp-facts.js';
import { toolFingerprint } from '../../proxy/mcp/tool-fingerprints.js';
import { MemoryBroker } from '../support/memory-broker.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import {
  aliceRejects,
  connectMcpClient,
  GATING_SERVER,
  startMcpApprovalStack,
} from '../support/mcp-sidecar-fixtures.js';

const root = new URL('../..', import.meta.url).pathname;
const EMAIL = 'carol@example.com';

const target = (env: { name: string; value: string }[] = []): Record<string, unknown> => ({
  name: 'gating',
  protocol: 'mcp',
  listen: '127.0.0.1:1',
  upstream: { command: process.execPath, args: [GATING_SERVER], env },
});

async function agent(s: HttpStack, name = 'gating', sub = 'agent-gating'): Promise<Client> {
  return connectMcpClient(s, name, sub, 'gating-agent');
}

const text = (r: CallToolResult): string => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

/** The decision records of this call (rule named), as the audit file has them now. */
function decisions(s: HttpStack, rule: string): Record<string, any>[] {
  return s.records().filter((x) => x.event.action === 'statement.decision' && x.rule?.name === rule);
}

describe('MCP gating: every call is decided and recorded', function () {
  this.timeout(60_000);
  let s: HttpStack;
  let client: Client;

  before(async () => {
    s = await startHttpStack({
      targets: [target()],
      masking: { detectors: ['email'], defaultStrategy: 'redact' },
      rules: [
        { name: 'no-secret-tool', when: { mcp: { tools: ['secret-tool'] } }, action: 'Deny' },
        { name: 'no-hidden-prompt', when: { mcp: { prompts: ['hidden-prompt'] } }, action: 'Deny' },
        { name: 'no-private-notes', when: { mcp: { resources: ['note://private/*'] } }, action: 'Deny' },
      ],
      defaultAction: 'Allow',
    });
    client = await agent(s);
  });
  after(async () => {
    await client?.close();
    await s?.stop();
  });

  it('a tool the server does not have: refused after a Deny record naming it, its arguments masked', async () => {
    const err = await client
      .callTool({ name: 'nope', arguments: { to: EMAIL } })
      .then(() => undefined)
      .catch((e: Error) => e);
    expect(err?.message).to.include('unknown-tool');
    const [rec, ...more] = decisions(s, 'unknown-tool') as [Record<string, any>, ...Record<string, any>[]];
    expect(more).to.have.length(0);
    expect(rec).to.deep.include({ decision: 'Deny', enforced: true, protocol: 'mcp', target: 'gating' });
    expect(rec.event.outcome).to.equal('failure');
    expect(rec.principal.sub).to.equal('agent-gating');
    expect(rec.mcp.tool).to.equal('nope');
    expect(rec.mcp.argumentsSha256).to.equal(
      callFacts('gating', 'tools/call', { name: 'nope', arguments: { to: EMAIL } }).sha256,
    );
    expect(rec.mcp.arguments).to.be.a('string').and.not.include(EMAIL);
  });

  it('a tool hidden by the policy: refused with the rule that hides it, recorded', async () => {
    expect((await client.listTools()).tools.map((t) => t.name)).to.not.include('secret-tool');
    const r = (await client.callTool({ name: 'secret-tool', arguments: {} })) as CallToolResult;
    expect(r.isError).to.equal(true);
    expect(text(r)).to.include('no-secret-tool');
    expect(decisions(s, 'no-secret-tool')).to.have.length(1);
  });

  it('a tool blocked after a rug pull of its _meta: each call refused and recorded', async () => {
    const changed = new Promise<void>((resolve) =>
      client.setNotificationHandler(ToolListChangedNotificationSchema, async () => resolve()),
    );
    await client.callTool({ name: 'echo', arguments: { pull: 'meta' } });
    await changed;
    expect((await client.listTools()).tools.map((t) => t.name)).to.not.include('echo');
    for (let i = 0; i < 2; i++) {
      const r = (await client.callTool({ name: 'echo', arguments: { n: i } })) as CallToolResult;
      expect(r.isError).to.equal(true);
      expect(text(r)).to.include('changed its definition');
    }
    const recs = decisions(s, 'tool-definition-changed');
    expect(recs).to.have.length(2);
    expect(recs.map((x) => x.mcp.tool)).to.deep.equal(['echo', 'echo']);
    expect(recs[1]!.mcp.argumentsSha256).to.equal(
      callFacts('gating', 'tools/call', { name: 'echo', arguments: { n: 1 } }).sha256,
    );
  });

  it('a hidden prompt and a hidden resource: refused and recorded', async () => {
    expect((await client.listPrompts()).prompts.map((p) => p.name)).to.not.include('hidden-prompt');
    const p = await client
      .getPrompt({ name: 'hidden-prompt' })
      .then(() => undefined)
      .catch((e: Error) => e);
    expect(p?.message).to.include('no-hidden-prompt');
    expect(decisions(s, 'no-hidden-prompt')).to.have.length(1);
    expect((await client.listResources()).resources.map((r) => r.uri)).to.not.include('note://private/1');
    const r = await client
      .readResource({ uri: 'note://private/1' })
      .then(() => undefined)
      .catch((e: Error) => e);
    expect(r?.message).to.include('no-private-notes');
    expect(decisions(s, 'no-private-notes')[0]?.mcp.uri).to.equal('note://private/1');
  });

  it('a method the proxy does not gate: refused as not found, recorded', async () => {
    const err = await client
      .setLoggingLevel('debug')
      .then(() => undefined)
      .catch((e: Error) => e);
    expect(err?.message).to.include('method-not-gated');
    const [rec] = decisions(s, 'method-not-gated') as [Record<string, any>];
    expect(rec.mcp.method).to.equal('logging/setLevel');
    expect(rec.decision).to.equal('Deny');
  });
});

describe('MCP gating: what listings show is masked', function () {
  this.timeout(60_000);
  let s: HttpStack;
  let client: Client;
  let upstreamContact: string;

  before(async () => {
    // The fingerprint of the definition as the server sends it, read without the proxy.
    const direct = new Client({ name: 'direct', version: '1' });
    await direct.connect(
      new StdioClientTransport({ command: process.execPath, args: [GATING_SERVER], stderr: 'ignore' }),
    );
    upstreamContact = toolFingerprint((await direct.listTools()).tools.find((t) => t.name === 'contact')!);
    await direct.close();
    s = await startHttpStack({
      targets: [{ ...target(), mcp: { acceptedTools: [{ tool: 'contact', sha256: upstreamContact }] } }],
      masking: { detectors: ['email'], defaultStrategy: 'redact' },
      rules: [{ name: 'no-private-notes', when: { mcp: { resources: ['note://private/*'] } }, action: 'Deny' }],
      defaultAction: 'Allow',
    });
    client = await agent(s);
  });
  after(async () => {
    await client?.close();
    await s?.stop();
  });

  it('tools/list: descriptions, schema defaults and examples, annotations and _meta are masked', async () => {
    const tools = (await client.listTools()).tools;
    const contact = tools.find((t) => t.name === 'contact')!;
    // Pinned by the fingerprint of the server's own definition: masking what is shown does not block it.
    expect(contact, 'contact is listed').to.not.equal(undefined);
    expect(contact.description).to.include('Reach the owner at');
    expect(JSON.stringify(tools)).to.not.include(EMAIL);
    expect(contact.annotations?.readOnlyHint).to.equal(true);
  });

  it('a tool whose name or schema keys carry a secret is not listed', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).to.include('write');
    expect(names.some((n) => n.includes('@'))).to.equal(false);
    expect(names).to.not.include('keyed');
  });

  it('prompts/list, resources/list and resources/templates/list descriptions are masked', async () => {
    const seen = JSON.stringify([
      await client.listPrompts(),
      await client.listResources(),
      await client.listResourceTemplates(),
    ]);
    expect(seen).to.include('greet').and.include('note://public/1').and.include('note://public/{id}');
    expect(seen).to.not.include(EMAIL);
  });

  it('resources/templates/list hides a template no read could pass', async () => {
    const templates = (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
    expect(templates).to.deep.equal(['note://public/{id}']);
  });
});

describe('MCP gating: resources/templates/list of server-everything', function () {
  this.timeout(60_000);
  let s: HttpStack;

  after(() => s?.stop());

  it('shows the templates some read would pass, by the policy, and hides the rest', async () => {
    s = await startHttpStack({
      targets: [
        {
          name: 'everything',
          protocol: 'mcp',
          listen: '127.0.0.1:1',
          upstream: { command: join(root, 'node_modules/.bin/mcp-server-everything'), args: ['stdio'] },
        },
      ],
      rules: [
        { name: 'text-one', when: { mcp: { resources: ['demo://resource/dynamic/text/1*'] } }, action: 'Allow' },
        { name: 'tools', when: { mcp: { tools: ['*'] } }, action: 'Allow' },
      ],
      defaultAction: 'Deny',
    });
    const client = await agent(s, 'everything');
    try {
      const templates = (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
      expect(templates).to.deep.equal(['demo://resource/dynamic/text/{resourceId}']);
      const ok = await client.readResource({ uri: 'demo://resource/dynamic/text/1' });
      expect(JSON.stringify(ok.contents)).to.include('1');
      const denied = await client
        .readResource({ uri: 'demo://resource/dynamic/blob/1' })
        .then(() => undefined)
        .catch((e: Error) => e);
      expect(denied?.message).to.include('defaultAction');
    } finally {
      await client.close();
    }
  });
});

describe('MCP gating: an approval binds the call _meta', function () {
  this.timeout(60_000);

  it('approved with one _meta, the call with another _meta is not the approved call; progressToken is not bound', async () => {
    const broker = new MemoryBroker();
    const s = await startMcpApprovalStack(broker, {
      targets: [target()],
      approval: aliceRejects,
      rules: [{ name: 'writes', when: { mcp: { tools: ['write'] } }, action: 'RequireApproval' }],
    });
    const client = await agent(s);
    try {
      const call = { name: 'write', arguments: { text: 'hello' }, _meta: { 'example.com/route': 'a' } };
      const first = (await client.callTool(call)) as CallToolResult;
      expect(first.isError).to.equal(true);
      const sha = callFacts('gating', 'tools/call', call).sha256;
      expect(sha).to.not.equal(
        callFacts('gating', 'tools/call', { name: 'write', arguments: { text: 'hello' } }).sha256,
      );
      expect(broker.asks.map((a) => a.command.sha256)).to.include(sha);
      broker.approved.add(sha);
      // The same call, another progress token: the approved one.
      const again = (await client.callTool(call, undefined, { onprogress: () => undefined })) as CallToolResult;
      expect(again.isError).to.not.equal(true);
      expect(JSON.parse(text(again))._meta['example.com/route']).to.equal('a');
      const other = (await client.callTool({ ...call, _meta: { 'example.com/route': 'b' } })) as CallToolResult;
      expect(other.isError).to.equal(true);
      expect(text(other)).to.include('writes');
    } finally {
      await client.close();
      await s.stop();
    }
  });
});

describe('MCP gating: first-seen fingerprints survive a sidecar restart (local mode)', function () {
  this.timeout(60_000);

  it('a definition changed while the sidecar was down is blocked after the restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentgate-mcp-baselines-'));
    const auditFile = join(dir, 'audit.log');
    const spec = (variant: string) => ({
      targets: [target([{ name: 'VARIANT', value: variant }])],
      defaultAction: 'Allow' as const,
    });
    const s1 = await startHttpStack(spec('1'), { proxyOptions: { auditFile } });
    try {
      const c = await agent(s1);
      expect((await c.listTools()).tools.map((t) => t.name)).to.include('contact');
      await c.close();
    } finally {
      await s1.stop();
    }
    const s2 = await startHttpStack(spec('2'), { proxyOptions: { auditFile } });
    try {
      const c = await agent(s2);
      expect((await c.listTools()).tools.map((t) => t.name)).to.not.include('contact');
      const r = (await c.callTool({ name: 'contact', arguments: {} })) as CallToolResult;
      expect(r.isError).to.equal(true);
      expect(text(r)).to.include('changed its definition');
      await c.close();
    } finally {
      await s2.stop();
    }
  });

  it('a damaged baseline file stops the sidecar at start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentgate-mcp-baselines-'));
    writeFileSync(join(dir, 'mcp-tool-baselines.jsonl'), '{"target":"gating","tool":"contact"}\n');
    const err = await startHttpStack(
      { targets: [target()], defaultAction: 'Allow' },
      { proxyOptions: { auditFile: join(dir, 'audit.log') } },
    ).then(
      async (s) => {
        await s.stop();
        return undefined;
      },
      (e: Error) => e,
    );
    expect(err?.message).to.include('mcp-tool-baselines.jsonl');
  });
});
