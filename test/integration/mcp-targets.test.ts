/**
 * MCP targets with reference servers run as their users run them: @modelcontextprotocol/server-filesystem
 * over stdio (the sidecar launches it) and server-everything in streamableHttp mode, the SDK's Client as
 * the agent. Allowed, denied by argument, approved (an in-memory broker stands in for the operator),
 * masked results, tools/list filtered, a rug pull blocked, bad JSON-RPC and oversized messages refused
 * with the session intact.
 */
import { expect } from 'chai';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ToolListChangedNotificationSchema,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import type { McpTargetSpec } from '../../shared/contract/policy-types.js';
import { callFacts } from '../../proxy/mcp/mcp-facts.js';
import { toolFingerprint } from '../../proxy/mcp/tool-fingerprints.js';
import { MemoryBroker } from '../support/memory-broker.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';

const root = new URL('../..', import.meta.url).pathname;
const bin = (name: string): string => join(root, 'node_modules/.bin', name);

async function agent(
  s: HttpStack,
  target: string,
  token: string,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(`${s.url(target)}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'test-agent', version: '1' });
  await client.connect(transport);
  return { client, transport };
}

const text = (r: CallToolResult): string =>
  r.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');

describe('MCP targets: the filesystem server over stdio', function () {
  this.timeout(60_000);
  let s: HttpStack;
  let broker: MemoryBroker;
  let token: string;
  let dir: string;

  before(async () => {
    broker = new MemoryBroker();
    dir = mkdtempSync(join(tmpdir(), 'agentgate-mcp-files-'));
    writeFileSync(join(dir, 'notes.txt'), 'call carol@example.com about the launch\n');
    writeFileSync(join(dir, 'secret.txt'), 'the launch code is 0000\n');
    s = await startHttpStack(
      {
        targets: [
          {
            name: 'files',
            protocol: 'mcp',
            listen: '127.0.0.1:1',
            upstream: { command: bin('mcp-server-filesystem'), args: [dir] },
          },
        ],
        masking: { detectors: ['email'], defaultStrategy: 'redact' },
        approval: { mode: 'Hold', approvers: { users: ['alice'] } } as never,
        rules: [
          { name: 'no-moves', when: { mcp: { tools: ['move_file'] } }, action: 'Deny' },
          {
            name: 'no-secrets',
            when: { mcp: { tools: ['read_*'], arguments: [{ path: '$.path', pattern: '*secret*' }] } },
            action: 'Deny',
            message: 'secret files stay closed',
          },
          {
            name: 'writes-need-approval',
            when: { mcp: { tools: ['write_file', 'edit_file'] } },
            action: 'RequireApproval',
          },
        ],
        defaultAction: 'Allow',
      },
      { proxyOptions: { approvals: broker } },
    );
    token = await s.token('agent-files');
  });
  after(() => s?.stop());

  it('tools/list shows only the tools the agent may call', async () => {
    const { client } = await agent(s, 'files', token);
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).to.include.members(['read_text_file', 'write_file', 'list_directory']);
      expect(names).to.not.include('move_file');
    } finally {
      await client.close();
    }
  });

  it('an allowed call goes through, its result masked, with a decision and a completion record', async () => {
    const { client } = await agent(s, 'files', token);
    try {
      const r = (await client.callTool({
        name: 'read_text_file',
        arguments: { path: join(dir, 'notes.txt') },
      })) as CallToolResult;
      expect(r.isError).to.not.equal(true);
      expect(text(r)).to.include('about the launch').and.not.include('carol@example.com');
      const recs = s.records();
      const decision = recs.find((x) => x.event.action === 'statement.decision' && x.mcp?.tool === 'read_text_file')!;
      expect(decision).to.include({ protocol: 'mcp', decision: 'Allow', target: 'files' });
      expect(decision.mcp.argumentsSha256).to.equal(
        callFacts('files', 'tools/call', { name: 'read_text_file', arguments: { path: join(dir, 'notes.txt') } })
          .sha256,
      );
      expect(decision.principal.sub).to.equal('agent-files');
      const done = recs.find((x) => x.event.action === 'statement.completion' && x.decisionSeq === decision.seq)!;
      expect(done.maskedValues).to.be.greaterThan(0);
      expect(done.mcp.resultBytes).to.be.greaterThan(0);
      // The session's recording holds the same chained lines.
      const recording = readFileSync(join(s.dir, 'sessions', 'audit.log', `${decision.session.id}.jsonl`), 'utf8');
      expect(recording).to.include(`"seq":${decision.seq},`);
    } finally {
      await client.close();
    }
  });

  it('a call denied by its arguments is a tool error naming the rule; the file is never read', async () => {
    const { client } = await agent(s, 'files', token);
    try {
      const r = (await client.callTool({
        name: 'read_text_file',
        arguments: { path: join(dir, 'secret.txt') },
      })) as CallToolResult;
      expect(r.isError).to.equal(true);
      expect(text(r)).to.include('no-secrets').and.include('secret files stay closed').and.not.include('0000');
      expect(r._meta?.['agentgate.dev/rule']).to.equal('no-secrets');
      // A tool hidden from the list is refused when called by name anyway.
      const moved = (await client.callTool({
        name: 'move_file',
        arguments: { source: join(dir, 'notes.txt'), destination: join(dir, 'n2.txt') },
      })) as CallToolResult;
      expect(moved.isError).to.equal(true);
      expect(text(moved)).to.include('no-moves');
      expect(existsSync(join(dir, 'notes.txt'))).to.equal(true);
      const denied = s.records().filter((x) => x.event.action === 'statement.decision' && x.decision === 'Deny');
      expect(denied.map((x) => x.rule.name)).to.include.members(['no-secrets', 'no-moves']);
    } finally {
      await client.close();
    }
  });

  it('RequireApproval holds the call, shows the tool, masked arguments and their hash, and runs it once approved', async () => {
    const { client } = await agent(s, 'files', token);
    try {
      const args = { path: join(dir, 'out.txt'), content: 'send to dave@example.com' };
      const progress: string[] = [];
      const pending = client.callTool({ name: 'write_file', arguments: args }, undefined, {
        onprogress: (p) => void progress.push(p.message ?? ''),
        resetTimeoutOnProgress: true,
      });
      const sha = callFacts('files', 'tools/call', { name: 'write_file', arguments: args }).sha256;
      await broker.settle(`apr-${sha.slice(0, 8)}`, 'Approved');
      const r = (await pending) as CallToolResult;
      expect(r.isError).to.not.equal(true);
      expect(readFileSync(join(dir, 'out.txt'), 'utf8')).to.equal('send to dave@example.com');
      expect(progress[0]).to.equal(`waiting for ApprovalRequest agents/apr-${sha.slice(0, 8)}`);
      const ask = broker.asks.find((a) => a.command.sha256 === sha)!;
      expect(ask.rule).to.equal('writes-need-approval');
      expect(ask.command.text).to.include('tools/call write_file').and.include(sha).and.not.include('dave@example.com');
      // The same tool with other arguments is another call, held again.
      const other = client.callTool({ name: 'write_file', arguments: { ...args, content: 'else' } });
      const sha2 = callFacts('files', 'tools/call', {
        name: 'write_file',
        arguments: { ...args, content: 'else' },
      }).sha256;
      await broker.settle(`apr-${sha2.slice(0, 8)}`, 'Denied');
      const r2 = (await other) as CallToolResult;
      expect(r2.isError).to.equal(true);
      expect(text(r2)).to.include('was denied');
      expect(readFileSync(join(dir, 'out.txt'), 'utf8')).to.equal('send to dave@example.com');
    } finally {
      await client.close();
    }
  });

  it('bad JSON-RPC and oversized messages are refused; the session and other sessions go on', async () => {
    const a = await agent(s, 'files', token);
    const b = await agent(s, 'files', token);
    try {
      const post = (body: string): Promise<Response> =>
        fetch(`${s.url('files')}/mcp`, {
          method: 'POST',
          body,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            'mcp-session-id': a.transport.sessionId!,
            'mcp-protocol-version': '2025-06-18',
          },
        });
      const notJson = await post('{"jsonrpc":"2.0","id":7,"method":"tools/call",');
      expect(notJson.status).to.equal(400);
      expect(((await notJson.json()) as { error: { code: number } }).error.code).to.equal(-32700);
      const notRpc = await post('{"jsonrpc":"1.0","id":7,"method":"tools/call"}');
      expect(notRpc.status).to.equal(400);
      const twice = await post(
        `{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"read_text_file","arguments":{"path":"${join(dir, 'secret.txt')}","path":"${join(dir, 'notes.txt')}"}}}`,
      );
      expect(twice.status).to.equal(400);
      const batch = await post('[{"jsonrpc":"2.0","id":9,"method":"tools/list"}]');
      expect(batch.status).to.equal(400);
      const big = await post(
        JSON.stringify({
          jsonrpc: '2.0',
          id: 10,
          method: 'tools/call',
          params: {
            name: 'write_file',
            arguments: { path: join(dir, 'big.txt'), content: 'x'.repeat(2 * 1024 * 1024) },
          },
        }),
      );
      expect(big.status).to.equal(413);
      expect(existsSync(join(dir, 'big.txt'))).to.equal(false);
      // Both sessions still work.
      expect((await a.client.listTools()).tools.length).to.be.greaterThan(3);
      const r = (await b.client.callTool({ name: 'list_directory', arguments: { path: dir } })) as CallToolResult;
      expect(text(r)).to.include('notes.txt');
      expect(
        s.records().filter((x) => x.event.action === 'protocol.error' && x.protocol === 'mcp').length,
      ).to.be.greaterThanOrEqual(5);
    } finally {
      await a.client.close();
      await b.client.close();
    }
  });

  it('an initialize the SDK transport refuses leaves no server process behind', async () => {
    const servers = (): number => {
      try {
        return execFileSync('pgrep', ['-P', String(process.pid), '-f', 'mcp-server-filesystem'])
          .toString()
          .trim()
          .split('\n').length;
      } catch {
        return 0;
      }
    };
    const before = servers();
    for (let i = 0; i < 3; i++) {
      // No Accept header: the transport answers 406 and opens no session.
      const r = await fetch(`${s.url('files')}/mcp`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
        }),
      });
      expect(r.status).to.equal(406);
    }
    await new Promise((r) => setTimeout(r, 500));
    expect(servers()).to.equal(before);
  });

  it('a session is bound to its principal, and no token is no session', async () => {
    const a = await agent(s, 'files', token);
    try {
      const other = await s.token('agent-other');
      const r = await fetch(`${s.url('files')}/mcp`, {
        method: 'POST',
        body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
        headers: {
          authorization: `Bearer ${other}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': a.transport.sessionId!,
        },
      });
      expect(r.status).to.equal(403);
      const none = await fetch(`${s.url('files')}/mcp`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      });
      expect(none.status).to.equal(401);
    } finally {
      await a.client.close();
    }
  });
});

describe('MCP targets: RequireApproval in Reject mode', function () {
  this.timeout(60_000);

  it('refuses the call naming the ApprovalRequest; the same call after approval runs, another does not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentgate-mcp-reject-'));
    const broker = new MemoryBroker();
    const s = await startHttpStack(
      {
        targets: [
          {
            name: 'files',
            protocol: 'mcp',
            listen: '127.0.0.1:1',
            upstream: { command: bin('mcp-server-filesystem'), args: [dir] },
          },
        ],
        approval: { mode: 'Reject', approvers: { users: ['alice'] } } as never,
        rules: [{ name: 'writes', when: { mcp: { tools: ['write_file'] } }, action: 'RequireApproval' }],
        defaultAction: 'Allow',
      },
      { proxyOptions: { approvals: broker } },
    );
    try {
      const { client } = await agent(s, 'files', await s.token());
      const args = { path: join(dir, 'a.txt'), content: 'one' };
      const sha = callFacts('files', 'tools/call', { name: 'write_file', arguments: args }).sha256;
      const first = (await client.callTool({ name: 'write_file', arguments: args })) as CallToolResult;
      expect(first.isError).to.equal(true);
      expect(text(first))
        .to.include(`agents/apr-${sha.slice(0, 8)}`)
        .and.include('send the same request again');
      expect(first._meta?.['agentgate.dev/approvalRequest']).to.equal(`agents/apr-${sha.slice(0, 8)}`);
      expect(existsSync(join(dir, 'a.txt'))).to.equal(false);
      broker.approved.add(sha);
      // Same call, keys in another order: the same binding.
      const again = (await client.callTool({
        name: 'write_file',
        arguments: { content: 'one', path: join(dir, 'a.txt') },
      })) as CallToolResult;
      expect(again.isError).to.not.equal(true);
      expect(readFileSync(join(dir, 'a.txt'), 'utf8')).to.equal('one');
      const other = (await client.callTool({
        name: 'write_file',
        arguments: { ...args, content: 'two' },
      })) as CallToolResult;
      expect(other.isError).to.equal(true);
      expect(readFileSync(join(dir, 'a.txt'), 'utf8')).to.equal('one');
      expect(s.records().some((x) => x.event.action === 'approval.grant-used')).to.equal(true);
      await client.close();
    } finally {
      await s.stop();
    }
  });
});

describe('MCP targets: a tool that changes its definition mid-session (rug pull)', function () {
  this.timeout(60_000);

  it('is blocked, recorded, and passes again once an admin accepts its fingerprint', async () => {
    const s = await startHttpStack({
      targets: [
        {
          name: 'weather',
          protocol: 'mcp',
          listen: '127.0.0.1:1',
          upstream: { command: process.execPath, args: [join(root, 'test/support/mcp-rug-pull-server.mjs')] },
        },
      ],
      defaultAction: 'Allow',
    });
    try {
      const { client } = await agent(s, 'weather', await s.token());
      const changed = new Promise<void>((resolve) =>
        client.setNotificationHandler(ToolListChangedNotificationSchema, async () => resolve()),
      );
      const first = (await client.callTool({ name: 'weather', arguments: { city: 'Oslo' } })) as CallToolResult;
      expect(text(first)).to.equal('Sunny in Oslo');
      await changed;
      // The new definition is not shown, and calling it is refused.
      expect((await client.listTools()).tools.map((t) => t.name)).to.not.include('weather');
      const second = (await client.callTool({
        name: 'weather',
        arguments: { city: 'Oslo', notes: 'id_rsa' },
      })) as CallToolResult;
      expect(second.isError).to.equal(true);
      expect(text(second)).to.include('changed its definition');
      const rec = s.records().find((x) => x.rule?.name === 'tool-definition-changed')!;
      expect(rec.detail.tool).to.equal('weather');
      const fp = rec.detail.sha256 as string;
      expect(fp).to.match(/^[0-9a-f]{64}$/);
      // The admin accepts the new definition (the policy field); the tool passes again.
      const policy = structuredClone(s.proxy.runtime.policy);
      (policy.spec.targets[0] as McpTargetSpec).mcp = { acceptedTools: [{ tool: 'weather', sha256: fp }] };
      s.proxy.updatePolicy(policy);
      const listed = (await client.listTools()).tools.find((x) => x.name === 'weather')!;
      expect(toolFingerprint(listed)).to.equal(fp);
      const third = (await client.callTool({ name: 'weather', arguments: { city: 'Bergen' } })) as CallToolResult;
      expect(text(third)).to.equal('Sunny in Bergen');
      await client.close();
    } finally {
      await s.stop();
    }
  });
});

describe('MCP targets: server-everything over Streamable HTTP', function () {
  this.timeout(60_000);
  const servers: ChildProcess[] = [];
  let s: HttpStack;
  let token: string;
  /** server-everything as its users start it (`mcp-server-everything streamableHttp|sse`, PORT=…), on loopback. */
  const everything = async (mode: 'streamableHttp' | 'sse'): Promise<number> => {
    const port = await freePort();
    const server = spawn(
      process.execPath,
      ['--import', join(root, 'test/support/loopback-only.mjs'), bin('mcp-server-everything'), mode],
      { env: { PATH: process.env.PATH, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.stderr!.on('data', (d: Buffer) => /listening|running/i.test(d.toString()) && resolve());
      server.once('exit', (c) => reject(new Error(`server-everything ${mode} exited (${c})`)));
    });
    return port;
  };

  before(async () => {
    const port = await everything('streamableHttp');
    const ssePort = await everything('sse');
    s = await startHttpStack({
      targets: [
        {
          name: 'everything',
          protocol: 'mcp',
          listen: '127.0.0.1:1',
          upstream: { url: `http://127.0.0.1:${port}/mcp` },
          maskFields: [{ path: '$.conditions' }],
        },
        {
          name: 'everything-sampling',
          protocol: 'mcp',
          listen: '127.0.0.1:2',
          upstream: { url: `http://127.0.0.1:${port}/mcp` },
          mcp: { capabilities: { sampling: true } },
        },
        {
          name: 'everything-sse',
          protocol: 'mcp',
          listen: '127.0.0.1:3',
          upstream: { url: `http://127.0.0.1:${ssePort}/sse`, transport: 'sse' },
        },
      ],
      masking: { detectors: ['email'], defaultStrategy: 'redact' },
      rules: [
        {
          name: 'no-drops',
          when: { mcp: { tools: ['echo'], cel: 'request.arguments.message.contains("drop")' } },
          action: 'Deny',
        },
        { name: 'no-env', when: { mcp: { tools: ['get-env'] } }, action: 'Deny' },
      ],
      defaultAction: 'Allow',
    });
    token = await s.token('agent-everything');
  });
  after(async () => {
    await s?.stop();
    for (const p of servers) p.kill();
  });

  it('allows, denies by a CEL condition on the arguments, and masks text and structured content', async () => {
    const { client } = await agent(s, 'everything', token);
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).to.include('echo').and.include('get-structured-content').and.not.include('get-env');
      const ok = (await client.callTool({
        name: 'echo',
        arguments: { message: 'write to erin@example.com' },
      })) as CallToolResult;
      expect(text(ok)).to.include('write to').and.not.include('erin@example.com');
      const no = (await client.callTool({ name: 'echo', arguments: { message: 'drop table' } })) as CallToolResult;
      expect(no.isError).to.equal(true);
      expect(text(no)).to.include('no-drops');
      const sc = (await client.callTool({
        name: 'get-structured-content',
        arguments: { location: 'Chicago' },
      })) as CallToolResult;
      const structured = sc.structuredContent as { temperature: number; conditions: string };
      expect(structured.temperature).to.be.a('number');
      expect(structured.conditions).to.not.match(/^(Cloudy|Sunny|Partly|Rain|Clear)/);
      expect(text(sc)).to.not.include('"conditions":"Partly');
    } finally {
      await client.close();
    }
  });

  it('reaches a legacy HTTP+SSE server the same way', async () => {
    const { client } = await agent(s, 'everything-sse', token);
    try {
      const ok = (await client.callTool({
        name: 'echo',
        arguments: { message: 'to frank@example.com' },
      })) as CallToolResult;
      expect(text(ok)).to.include('to ').and.not.include('frank@example.com');
      const no = (await client.callTool({ name: 'echo', arguments: { message: 'drop it' } })) as CallToolResult;
      expect(no.isError).to.equal(true);
      expect(
        s.records().some((x) => x.target === 'everything-sse' && x.event.action === 'statement.completion'),
      ).to.equal(true);
    } finally {
      await client.close();
    }
  });

  it('sampling is refused by default (the server never sees the capability) and relayed where the target allows it', async () => {
    const sampled: string[] = [];
    const connect = async (target: string): Promise<Client> => {
      const client = new Client({ name: 'test-agent', version: '1' }, { capabilities: { sampling: {} } });
      client.setRequestHandler(CreateMessageRequestSchema, async (r) => {
        sampled.push(JSON.stringify(r.params.messages));
        return { model: 'test-model', role: 'assistant', content: { type: 'text', text: 'a sampled answer' } };
      });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${s.url(target)}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${token}` } },
        }),
      );
      return client;
    };
    const plain = await connect('everything');
    const relayed = await connect('everything-sampling');
    try {
      expect((await plain.listTools()).tools.map((t) => t.name)).to.not.include('trigger-sampling-request');
      expect((await relayed.listTools()).tools.map((t) => t.name)).to.include('trigger-sampling-request');
      const r = (await relayed.callTool({
        name: 'trigger-sampling-request',
        arguments: { prompt: 'hello', maxTokens: 10 },
      })) as CallToolResult;
      expect(text(r)).to.include('a sampled answer');
      expect(sampled.join()).to.include('hello');
    } finally {
      await plain.close();
      await relayed.close();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
}
