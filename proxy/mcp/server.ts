/**
 * The MCP adapter: one Streamable HTTP endpoint per `protocol: mcp` target (`http://<listen>/mcp`). The
 * agent authenticates every HTTP request with its JWT (never forwarded); a session is bound to the
 * principal that opened it. Each agent session gets its own client to the real server (a stdio process
 * the sidecar launches, or Streamable HTTP / SSE). The SDK frames both sides; this file reads every
 * message first (bounded, JSON-RPC checked), lets the agent see only the tools it may call, decides each
 * call before it goes upstream, blocks tools whose definition changed, and masks what comes back.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema,
  CallToolResultSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  GetPromptResultSchema,
  isInitializeRequest,
  JSONRPCMessageSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  PromptListChangedNotificationSchema,
  ReadResourceRequestSchema,
  ReadResourceResultSchema,
  ResourceListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
  type CallToolResult,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { JsonMasker } from '../http/json-masker.js';
import { canonicalJson, hasDuplicateKeys } from '../http/request-facts.js';
import { bearerOf, readBody } from '../http/server.js';
import { IdentityError, type Principal } from '../identity/verify.js';
import type { Masker } from '../masking/masker.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import type { MaskStrategy, McpTargetSpec } from '../../shared/contract/policy-types.js';
import type { McpGate, McpGateRequest, McpRefusal } from './gate.js';
import { callFacts } from './mcp-facts.js';
import { agentError, unprefixed } from './mcp-error.js';
import { jsonDepth, MAX_JSON_DEPTH } from './json-depth.js';
import { withholdEmbedded } from './embedded-resources.js';
import { ListingMasker } from './listing-masker.js';
import { McpResultMasker } from './result-masker.js';
import { keepableToolName, MAX_TOOL_NAME } from '../../shared/contract/tool-definitions.js';
import type { BaselineStore } from './tool-baselines.js';
import { toolFingerprint, ToolFingerprints } from './tool-fingerprints.js';
import { upstreamClient, upstreamSecrets, upstreamTransport } from './upstream.js';
import { templateReadable } from './uri-template.js';

export interface McpTargetsOptions {
  targets: McpTargetSpec[];
  runtime: () => PolicyRuntime;
  verify: (token: string) => Promise<Principal>;
  gate: McpGate;
  env?: NodeJS.ProcessEnv;
  resolvePath?: (p: string) => string;
  listenOverride?: Record<string, string>;
  /** Where first-seen tool fingerprints are kept (default: in memory, for this process only). */
  baselines?: BaselineStore;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

const DEFAULTS = {
  maxHeaderBytes: 16 * 1024,
  maxRequestBodyBytes: 1024 * 1024,
  maxResponseBodyBytes: 16 * 1024 * 1024,
  requestTimeoutSeconds: 30,
};
/** Error code of a call refused by policy where the message has no result to carry it (resources, prompts). */
const POLICY_DENIED = -32001;
const MAX_SESSIONS_PER_TARGET = 256;
/** Pages of a server's tools/list read before it is given up on (a server that always has a next page). */
const MAX_TOOL_PAGES = 100;
/** Tools of one listing that may be given a first-seen baseline (each is a line in the baseline file, a report to the operator). */
const MAX_NEW_TOOLS_PER_LISTING = 1000;
/** Each session is a server process or upstream connection: one principal may not hold them all. */
const MAX_SESSIONS_PER_PRINCIPAL = 16;
/**
 * Requests in flight (a slow tool, a call held for approval, an event stream) keep their connections;
 * the listener has 1024 for everyone: one principal, or one session, may not hold them all.
 */
const MAX_REQUESTS_PER_PRINCIPAL = 128;
const MAX_REQUESTS_PER_SESSION = 64;
/**
 * Past those caps, room for what ends requests (notifications such as `notifications/cancelled`,
 * responses to the server, DELETE): a principal at the cap can still withdraw a held call or close its session.
 */
const RESERVED_FOR_WITHDRAWALS = 16;
/** A session without a request for this long is closed (with its server process); clients rarely send DELETE. */
const IDLE_SESSION_MS = 15 * 60 * 1000;

interface Listener {
  spec: McpTargetSpec;
  server: http.Server;
  limits: typeof DEFAULTS;
  address?: { host: string; port: number };
  fingerprints: ToolFingerprints;
  sessions: Map<string, Session>;
  /** Initializes being served, per principal (their sessions are not in `sessions` yet). */
  opening: Map<string, number>;
  /** HTTP requests being served, per principal. */
  inFlight: Map<string, number>;
  /** The tool names of the first complete listing of this target (in this sidecar). */
  firstListing?: Set<string>;
  reaper?: NodeJS.Timeout;
}

interface Session {
  /** The audit session (and connection) of this MCP session. */
  auditId: string;
  principal: { sub: string; iss: string };
  /** The verified principal that opened it (server-to-agent requests are recorded under it). */
  opener: Principal;
  transport: StreamableHTTPServerTransport;
  server: Server;
  upstream: Client;
  client: { address: string; port?: number };
  tools?: Map<string, ListedTool>;
  calls: number;
  lastUsed: number;
  /** HTTP requests of this session being served (a held call among them). */
  active: number;
  /** HTTP requests of this session in flight (bounded by MAX_REQUESTS_PER_SESSION). */
  requests: number;
  /** The secret values the sidecar hands this session's server: masked in all it sends (upstreamSecrets). */
  secrets: string[];
  /** The policy's masker with those secrets, for the policy in force. */
  maskerFor?: { rt: PolicyRuntime; masker: Masker };
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** A tool as the server listed it; `added`: its name was not in the target's first listing. */
interface ListedTool {
  tool: Tool;
  blocked: boolean;
  added: boolean;
}

/** What the adapter checks of a call besides the policy (asked again after a hold, `refresh`ed first). */
interface CallChecks {
  refusal?: () => McpRefusal | undefined;
  refresh?: () => Promise<void>;
}

export class McpTargets {
  private readonly listeners: Listener[] = [];

  private constructor(private readonly o: McpTargetsOptions) {}

  static async start(o: McpTargetsOptions): Promise<McpTargets> {
    const m = new McpTargets(o);
    try {
      for (const t of o.targets) await m.listen(t);
    } catch (e) {
      await m.stop();
      throw e;
    }
    return m;
  }

  addresses(): { target: string; kind: 'reverse'; host: string; port: number }[] {
    return this.listeners.flatMap((l) =>
      l.address ? [{ target: l.spec.name, kind: 'reverse' as const, ...l.address }] : [],
    );
  }

  async stop(): Promise<void> {
    for (const l of this.listeners) clearInterval(l.reaper);
    for (const l of this.listeners) for (const s of l.sessions.values()) await this.close(l, s);
    await Promise.all(
      this.listeners.map(
        (l) =>
          new Promise<void>((r) => {
            l.server.close(() => r());
            l.server.closeAllConnections();
          }),
      ),
    );
  }

  private async listen(spec: McpTargetSpec): Promise<void> {
    const limits = { ...DEFAULTS, ...spec.limits };
    const options: http.ServerOptions = {
      maxHeaderSize: limits.maxHeaderBytes,
      requestTimeout: limits.requestTimeoutSeconds * 1000,
      headersTimeout: Math.min(limits.requestTimeoutSeconds * 1000, 10_000),
      keepAliveTimeout: 5000,
      connectionsCheckingInterval: 500,
      requireHostHeader: true,
      insecureHTTPParser: false,
      joinDuplicateHeaders: false,
    };
    // `tls` is what lets a listener leave loopback: the agent's token never crosses the network in clear.
    const r = this.o.resolvePath ?? ((p: string) => p);
    const server = spec.tls
      ? https.createServer({
          ...options,
          key: readFileSync(r(spec.tls.keyFile)),
          cert: readFileSync(r(spec.tls.certFile)),
        })
      : http.createServer(options);
    server.maxConnections = 1024;
    const l: Listener = {
      spec,
      server,
      limits,
      fingerprints: new ToolFingerprints(this.o.baselines),
      sessions: new Map(),
      opening: new Map(),
      inFlight: new Map(),
    };
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      void this.handle(l, req, res).catch((e: Error) => {
        this.o.log?.('error', 'mcp request failed', { error: e.message });
        if (!res.headersSent)
          jsonRpcError(
            res,
            500,
            ErrorCode.InternalError,
            'the proxy failed on this message; nothing more was forwarded',
          );
        else res.destroy();
      });
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
      this.o.gate.protocolEvent('protocol.error', {
        target: spec.name,
        connectionId: randomUUID(),
        message: `malformed HTTP request (${err.code ?? err.message})`,
      });
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      else socket.destroy();
    });
    const listen = this.o.listenOverride?.[spec.name] ?? spec.listen;
    const i = listen.lastIndexOf(':');
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) =>
        reject(new Error(`mcp target ${spec.name}: cannot listen on ${listen}: ${e.message}`)),
      );
      server.listen(Number(listen.slice(i + 1)), listen.slice(0, i).replace(/^\[|\]$/g, ''), () => resolve());
    });
    const a = server.address() as net.AddressInfo;
    l.address = { host: a.address, port: a.port };
    l.reaper = setInterval(() => {
      for (const s of l.sessions.values())
        if (s.active === 0 && Date.now() - s.lastUsed > IDLE_SESSION_MS) void this.close(l, s);
    }, 60_000);
    l.reaper.unref();
    this.listeners.push(l);
    this.o.log?.('info', `mcp target ${spec.name} listening`, { address: `${a.address}:${a.port}` });
  }

  /** The target as the policy in force has it (undefined: it was removed). */
  private current(l: Listener): McpTargetSpec | undefined {
    return this.o
      .runtime()
      .policy.spec.targets.find((t): t is McpTargetSpec => t.name === l.spec.name && t.protocol === 'mcp');
  }

  private async handle(l: Listener, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const client = {
      address: req.socket.remoteAddress ?? '',
      ...(req.socket.remotePort ? { port: req.socket.remotePort } : {}),
    };
    const connectionId = randomUUID();
    const refuse = (status: number, code: number, message: string, close = false): void => {
      this.o.gate.protocolEvent('protocol.error', {
        target: l.spec.name,
        connectionId,
        client,
        message: `${status}: ${message}`,
      });
      if (close) req.resume();
      jsonRpcError(res, status, code, message, close);
    };
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/mcp')
      return jsonRpcError(res, 404, ErrorCode.InvalidRequest, 'the MCP endpoint is /mcp');
    const down = this.o.gate.unavailable();
    if (down) return jsonRpcError(res, 503, ErrorCode.InternalError, `${down}; calls are refused`);
    const token = bearerOf(req, 'reverse');
    let principal: Principal;
    try {
      if (!token) throw new IdentityError('no bearer token');
      principal = await this.o.verify(token);
    } catch (e) {
      this.o.gate.identityRejected(l.spec.name, connectionId, client, (e as Error).message);
      req.resume();
      res.setHeader('www-authenticate', token ? 'Bearer error="invalid_token"' : 'Bearer realm="agentgate"');
      return jsonRpcError(
        res,
        401,
        ErrorCode.InvalidRequest,
        token
          ? `authentication failed: ${(e as Error).message}`
          : 'send the agent token as Authorization: Bearer <token>',
      );
    }
    const who = `${principal.iss}\n${principal.sub}`;
    const mine = l.inFlight.get(who) ?? 0;
    const busy = (): void =>
      refuse(
        429,
        ErrorCode.InvalidRequest,
        `${principal.sub} has ${MAX_REQUESTS_PER_PRINCIPAL} requests in flight on target ${l.spec.name}; wait for one to end`,
        true,
      );
    // What a request is, is known once its body is read: until then the reserve bounds it too.
    if (mine >= MAX_REQUESTS_PER_PRINCIPAL + RESERVED_FOR_WITHDRAWALS) return busy();
    l.inFlight.set(who, mine + 1);
    res.once('close', () => {
      const n = (l.inFlight.get(who) ?? 1) - 1;
      if (n > 0) l.inFlight.set(who, n);
      else l.inFlight.delete(who);
    });
    const spec = this.current(l);
    if (!spec)
      return jsonRpcError(
        res,
        503,
        ErrorCode.InternalError,
        `target ${l.spec.name} is no longer in the policy in force; calls are refused`,
      );

    let body: unknown;
    if (req.method === 'POST') {
      const coding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
      if (coding !== 'identity')
        return refuse(
          415,
          ErrorCode.InvalidRequest,
          `a message with Content-Encoding ${coding} is not inspected; send it uncompressed`,
          true,
        );
      const max = l.limits.maxRequestBodyBytes;
      if (Number(req.headers['content-length'] ?? 0) > max)
        return refuse(
          413,
          ErrorCode.InvalidRequest,
          `the message is larger than limits.maxRequestBodyBytes (${max}); it was not forwarded`,
          true,
        );
      const raw = await readBody(req, max);
      if (raw === 'aborted') return;
      if (raw === 'too-large')
        return refuse(
          413,
          ErrorCode.InvalidRequest,
          `the message is larger than limits.maxRequestBodyBytes (${max}); it was not forwarded`,
          true,
        );
      const text = raw.toString('utf8');
      try {
        body = JSON.parse(text);
      } catch {
        return refuse(400, ErrorCode.ParseError, 'Parse error: the message is not JSON; it was not forwarded');
      }
      if (jsonDepth(text) > MAX_JSON_DEPTH)
        return refuse(
          400,
          ErrorCode.InvalidRequest,
          `the message is nested more than ${MAX_JSON_DEPTH} levels deep; it was not forwarded`,
        );
      if (hasDuplicateKeys(text))
        return refuse(
          400,
          ErrorCode.InvalidRequest,
          'an object has the same key twice; such a message is not decided on',
        );
      if (Array.isArray(body))
        return refuse(400, ErrorCode.InvalidRequest, 'JSON-RPC batches are not accepted; send one message per request');
      if (!JSONRPCMessageSchema.safeParse(body).success)
        return refuse(400, ErrorCode.InvalidRequest, 'not a JSON-RPC 2.0 message; it was not forwarded');
    }
    // Withdrawing (a cancellation, an answer to the server, closing the session) is never refused for
    // the requests it would end: those use the reserve, all else the caps.
    const withdrawal = req.method === 'DELETE' || (req.method === 'POST' && !isRequest(body));
    if (!withdrawal && (l.inFlight.get(who) ?? 1) - 1 >= MAX_REQUESTS_PER_PRINCIPAL) return busy();
    const sid = req.headers['mcp-session-id'];
    let s: Session | undefined;
    let opened = false;
    if (typeof sid === 'string') {
      s = l.sessions.get(sid);
      if (!s)
        return jsonRpcError(res, 404, ErrorCode.InvalidRequest, 'no such MCP session (it ended); initialize a new one');
      if (s.principal.sub !== principal.sub || s.principal.iss !== principal.iss)
        return refuse(403, ErrorCode.InvalidRequest, 'this MCP session belongs to another principal');
      if (s.requests >= MAX_REQUESTS_PER_SESSION + (withdrawal ? RESERVED_FOR_WITHDRAWALS : 0))
        return refuse(
          429,
          ErrorCode.InvalidRequest,
          `this MCP session has ${MAX_REQUESTS_PER_SESSION} requests in flight; wait for one to end`,
          true,
        );
    } else {
      if (req.method !== 'POST' || !isInitializeRequest(body))
        return jsonRpcError(
          res,
          400,
          ErrorCode.InvalidRequest,
          'no Mcp-Session-Id: the first message of a session is initialize',
        );
      if (l.sessions.size >= MAX_SESSIONS_PER_TARGET)
        return jsonRpcError(
          res,
          503,
          ErrorCode.InternalError,
          `target ${spec.name} has ${MAX_SESSIONS_PER_TARGET} open MCP sessions; close one first`,
        );
      let held = l.opening.get(who) ?? 0;
      for (const x of l.sessions.values()) if (`${x.principal.iss}\n${x.principal.sub}` === who) held++;
      if (held >= MAX_SESSIONS_PER_PRINCIPAL)
        return refuse(
          429,
          ErrorCode.InvalidRequest,
          `${principal.sub} has ${MAX_SESSIONS_PER_PRINCIPAL} open MCP sessions on target ${spec.name}; close one (DELETE) first`,
        );
      l.opening.set(who, (l.opening.get(who) ?? 0) + 1);
      try {
        s = await this.open(l, spec, principal, client);
        opened = true;
      } catch (e) {
        if (l.opening.get(who) === 1) l.opening.delete(who);
        else l.opening.set(who, l.opening.get(who)! - 1);
        const message = `the MCP server could not be reached: ${(e as Error).message}`;
        this.o.gate.protocolEvent('protocol.error', { target: spec.name, connectionId, client, message });
        return jsonRpcError(res, 502, ErrorCode.InternalError, message);
      }
    }
    (req as IncomingMessage & { auth?: unknown }).auth = {
      token: '',
      clientId: principal.sub,
      scopes: [],
      extra: { principal },
    };
    s.active++;
    s.lastUsed = Date.now();
    const session = s;
    session.requests++;
    res.once('close', () => void session.requests--);
    try {
      await s.transport.handleRequest(req, res, body);
    } finally {
      s.active--;
      s.lastUsed = Date.now();
      if (opened) {
        const n = l.opening.get(who)! - 1;
        if (n > 0) l.opening.set(who, n);
        else l.opening.delete(who);
      }
      // An initialize the transport refused leaves no session: its server process goes too.
      if (opened && !(s.transport.sessionId && l.sessions.get(s.transport.sessionId) === s)) await this.close(l, s);
    }
  }

  /** A new agent session: its own client to the server, and the SDK server the agent talks to. */
  private async open(
    l: Listener,
    spec: McpTargetSpec,
    principal: Principal,
    client: Session['client'],
  ): Promise<Session> {
    // Upstreams (command, url, credentials) follow the policy the sidecar started with, as listeners do.
    const upstream = upstreamClient(spec);
    const how = {
      env: this.o.env ?? process.env,
      ...(this.o.resolvePath ? { resolvePath: this.o.resolvePath } : {}),
      onStderr: (line: string) =>
        this.o.log?.('info', `mcp target ${spec.name}: server stderr`, { line: line.slice(0, 1000) }),
    };
    const secrets = upstreamSecrets(l.spec, how);
    await upstream.connect(upstreamTransport(l.spec, how));
    const masker = this.o.runtime().masker.withLiterals(secrets);
    const caps = upstream.getServerCapabilities() ?? {};
    const server = new Server(
      { name: `agentgate-${spec.name}`, version: '1' },
      {
        capabilities: {
          tools: { listChanged: true },
          ...(caps.resources ? { resources: { listChanged: true } } : {}),
          ...(caps.prompts ? { prompts: { listChanged: true } } : {}),
        },
        ...(upstream.getInstructions() ? { instructions: masker.maskText(upstream.getInstructions()!).text } : {}),
      },
    );
    let s!: Session;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void l.sessions.set(id, s),
    });
    s = {
      auditId: randomUUID(),
      principal: { sub: principal.sub, iss: principal.iss },
      opener: principal,
      transport,
      server,
      upstream,
      client,
      calls: 0,
      lastUsed: Date.now(),
      active: 0,
      requests: 0,
      secrets,
    };
    transport.onclose = () => void this.close(l, s);
    upstream.onclose = () => void transport.close();
    this.handlers(l, s, spec);
    await server.connect(transport);
    return s;
  }

  private async close(l: Listener, s: Session): Promise<void> {
    if (s.transport.sessionId && l.sessions.get(s.transport.sessionId) === s) {
      l.sessions.delete(s.transport.sessionId);
      this.o.gate.protocolEvent('connection.close', {
        target: l.spec.name,
        connectionId: s.auditId,
        sessionId: s.auditId,
        client: s.client,
        message: `MCP session closed after ${s.calls} call(s)`,
      });
    }
    await s.upstream.close().catch(() => undefined);
    await s.transport.close().catch(() => undefined);
  }

  private handlers(l: Listener, s: Session, opened: McpTargetSpec): void {
    const { server, upstream } = s;
    const spec = (): McpTargetSpec => {
      const t = this.current(l);
      if (!t) throw agentError(ErrorCode.InternalError, `target ${l.spec.name} is no longer in the policy in force`);
      return t;
    };
    const principalOf = (extra: Extra): Principal => (extra.authInfo?.extra as { principal: Principal }).principal;

    server.setRequestHandler(ListToolsRequestSchema, async (_r, extra) => {
      const t = spec();
      const p = principalOf(extra);
      // Listed afresh each time: a definition changed without a list_changed notification is caught too.
      s.tools = undefined;
      const tools = await this.listed(l, s, () => this.tools(l, s, t, p, extra.signal), false);
      const engine = this.o.gate.engine();
      // Masked as shown; fingerprinted (this.tools) as the server defined them.
      return {
        tools: this.listing(s).entries(
          [...tools.values()]
            .filter((x) => !x.blocked && engine.toolListed(x.tool.name, t, principalFacts(p)))
            .map((x) => x.tool),
          ['name'],
        ),
      };
    });

    server.setRequestHandler(CallToolRequestSchema, async (r, extra) => {
      const t = spec();
      const p = principalOf(extra);
      const name = r.params.name;
      let tools: Awaited<ReturnType<typeof this.tools>> | undefined;
      let listingFailed: string | undefined;
      try {
        tools = await this.tools(l, s, t, p, extra.signal);
      } catch (e) {
        listingFailed = this.maskedError(s, e).message;
      }
      // Every call is decided and recorded, those refused before the policy is asked included; asked
      // again after a hold, against the tools as last listed (a rug pull meanwhile blocks it).
      const refusalOf = (): McpRefusal | undefined => {
        if (listingFailed !== undefined)
          return { rule: 'tool-listing-failed', message: `the server's tool listing failed: ${listingFailed}` };
        const known = (s.tools ?? tools)?.get(name);
        // The name as the agent sent it, masked: the refusal is on record.
        const shown = this.textMasker(s).maskText(name).text;
        if (!known) return { rule: 'unknown-tool', message: `the server has no tool "${shown}"` };
        if (known.blocked)
          return {
            rule: 'tool-definition-changed',
            message: `tool "${shown}" changed its definition since it was first seen and is blocked until an admin accepts the new one`,
          };
        if (!this.o.gate.engine().toolListed(name, spec(), principalFacts(p)))
          return {
            rule: 'tool-not-listed',
            message: `tool "${shown}" is not listed for this agent`,
            unlessPolicyBlocks: true,
          };
        return undefined;
      };
      return this.gated(
        l,
        s,
        t,
        p,
        'tools/call',
        r.params as Record<string, unknown>,
        extra,
        async (signal) => {
          const result = await upstream.request({ method: 'tools/call', params: r.params }, CallToolResultSchema, {
            signal,
            timeout: 600_000,
          });
          return { result, isError: result.isError === true };
        },
        tools?.has(name)
          ? (reason, rule, approval) => refusal(reason, rule, approval)
          : (reason) => {
              throw agentError(ErrorCode.InvalidParams, `agentgate: ${reason}`);
            },
        {
          refusal: refusalOf,
          refresh: async () => void (await this.tools(l, s, spec(), p, extra.signal)),
        },
      );
    });

    if (upstream.getServerCapabilities()?.resources) {
      server.setRequestHandler(ListResourcesRequestSchema, async (r, extra) => {
        const t = spec();
        const p = principalOf(extra);
        const list = await this.listed(l, s, () => upstream.listResources(r.params, { signal: extra.signal }));
        const engine = this.o.gate.engine();
        const visible = list.resources.filter(
          (x) =>
            !engine.decide(callFacts(t.name, 'resources/read', { uri: x.uri }), t, principalFacts(p), p.triggeredBy)
              .blocked,
        );
        return this.maskedPage(s, t, list, 'resources', visible, ['uri']);
      });
      server.setRequestHandler(ListResourceTemplatesRequestSchema, async (r, extra) => {
        const t = spec();
        const p = principalOf(extra);
        const list = await this.listed(l, s, () => upstream.listResourceTemplates(r.params, { signal: extra.signal }));
        const engine = this.o.gate.engine();
        const readable = (uri: string): boolean =>
          !engine.decide(callFacts(t.name, 'resources/read', { uri }), t, principalFacts(p), p.triggeredBy).blocked;
        const visible = list.resourceTemplates.filter((x) =>
          templateReadable(x.uriTemplate, this.o.runtime().policy.spec, readable),
        );
        return this.maskedPage(s, t, list, 'resourceTemplates', visible, ['uriTemplate']);
      });
      server.setRequestHandler(ReadResourceRequestSchema, async (r, extra) => {
        const t = spec();
        return this.gated(
          l,
          s,
          t,
          principalOf(extra),
          'resources/read',
          r.params as Record<string, unknown>,
          extra,
          async (signal) => ({
            result: await upstream.request({ method: 'resources/read', params: r.params }, ReadResourceResultSchema, {
              signal,
            }),
            isError: false,
          }),
          deniedError,
        );
      });
    }
    if (upstream.getServerCapabilities()?.prompts) {
      server.setRequestHandler(ListPromptsRequestSchema, async (r, extra) => {
        const t = spec();
        const p = principalOf(extra);
        const list = await this.listed(l, s, () => upstream.listPrompts(r.params, { signal: extra.signal }));
        const engine = this.o.gate.engine();
        const visible = list.prompts.filter((x) => engine.promptListed(x.name, t, principalFacts(p)));
        return this.maskedPage(s, t, list, 'prompts', visible, ['name']);
      });
      server.setRequestHandler(GetPromptRequestSchema, async (r, extra) => {
        const t = spec();
        const p = principalOf(extra);
        return this.gated(
          l,
          s,
          t,
          p,
          'prompts/get',
          r.params as Record<string, unknown>,
          extra,
          async (signal) => ({
            result: await upstream.request({ method: 'prompts/get', params: r.params }, GetPromptResultSchema, {
              signal,
            }),
            isError: false,
          }),
          deniedError,
          {
            refusal: () =>
              this.o.gate.engine().promptListed(r.params.name, spec(), principalFacts(p))
                ? undefined
                : {
                    rule: 'prompt-not-listed',
                    message: `prompt "${r.params.name}" is not listed for this agent`,
                    unlessPolicyBlocks: true,
                  },
          },
        );
      });
    }

    // Any other request (a method this proxy does not gate, or one the server did not declare) is
    // refused as the SDK would (method not found), decided and recorded first.
    server.fallbackRequestHandler = async (r, extra) =>
      this.gated(
        l,
        s,
        spec(),
        principalOf(extra),
        r.method,
        (r.params ?? {}) as Record<string, unknown>,
        extra,
        () => Promise.reject(new Error('unreachable: a method not gated is never forwarded')),
        (reason) => {
          throw agentError(ErrorCode.MethodNotFound, `agentgate: ${reason}`);
        },
        {
          refusal: () => ({
            rule: 'method-not-gated',
            message: `${r.method} is not passed to the server by this proxy`,
          }),
        },
      );

    // What the server announces or asks for: list changes pass (tools are then fingerprinted again),
    // sampling and elicitation only where the target allows them (the client declares nothing else).
    upstream.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      s.tools = undefined;
      await server.sendToolListChanged().catch(() => undefined);
    });
    upstream.setNotificationHandler(
      ResourceListChangedNotificationSchema,
      async () => void (await server.sendResourceListChanged().catch(() => undefined)),
    );
    upstream.setNotificationHandler(
      PromptListChangedNotificationSchema,
      async () => void (await server.sendPromptListChanged().catch(() => undefined)),
    );
    const caps = opened.mcp?.capabilities ?? {};
    // Masked like a result and recorded before the agent gets them: the server may quote any data in them.
    const relay = <P>(method: string, params: P): P => {
      const t = spec();
      const masker = this.masker(s, t);
      const masked = masker.mask(params);
      this.o.gate.relayed(
        { sessionId: s.auditId, connectionId: s.auditId, principal: s.opener, target: t, client: s.client },
        method,
        masked,
        masker.count,
        Buffer.byteLength(JSON.stringify(params ?? {})),
      );
      return masked;
    };
    // What goes back to the server is on record (masked) before it is sent.
    const answered = <R>(method: string, result: R): R => {
      const t = spec();
      const text = JSON.stringify(result ?? {});
      const masked = this.jsonMasker(s, t).maskText(text);
      this.o.gate.relayedAnswer(
        { sessionId: s.auditId, connectionId: s.auditId, principal: s.opener, target: t, client: s.client },
        method,
        {
          sha256: createHash('sha256')
            .update(canonicalJson(result ?? {}))
            .digest('hex'),
          masked: masked.text,
          maskedValues: masked.count,
          bytes: Buffer.byteLength(text),
        },
      );
      return result;
    };
    if (caps.sampling)
      upstream.setRequestHandler(CreateMessageRequestSchema, async (r) => {
        // The sidecar's client never declares sampling.context: the agent attaches nothing from its other servers.
        const params =
          r.params.includeContext === undefined ? r.params : { ...r.params, includeContext: 'none' as const };
        return answered('sampling/createMessage', await server.createMessage(relay('sampling/createMessage', params)));
      });
    if (caps.elicitation)
      upstream.setRequestHandler(ElicitRequestSchema, async (r) =>
        answered('elicitation/create', await server.elicitInput(relay('elicitation/create', r.params))),
      );
  }

  /** The server's tools, fingerprinted: fetched once per session and again after a list change. */
  private async tools(
    l: Listener,
    s: Session,
    t: McpTargetSpec,
    p: Principal,
    signal: AbortSignal,
  ): Promise<Map<string, ListedTool>> {
    if (s.tools) {
      // The policy may have accepted a fingerprint since.
      for (const [name, x] of s.tools)
        if (x.blocked && keepableToolName(name))
          x.blocked = !l.fingerprints.check(t, this.toolKey(s, name), toolFingerprint(x.tool), { added: x.added }).ok;
      return s.tools;
    }
    // A name the target's first listing did not have is a change too (a tool added mid-way to steer the
    // model); before this sidecar's first listing, a name the baseline store lacks for a target it knows
    // (listed before a restart, or by another pod) is one as well.
    const first = l.firstListing;
    const storeKnew = first === undefined && l.fingerprints.known(t.name);
    const out = new Map<string, ListedTool>();
    let cursor: string | undefined;
    // A server that pages for ever, or sends more than a result may hold, gets no listing at all.
    const deadline = Date.now() + l.limits.requestTimeoutSeconds * 1000;
    let pages = 0;
    let bytes = 0;
    let claimed = 0;
    let unpinnable = 0;
    do {
      if (++pages > MAX_TOOL_PAGES)
        throw agentError(ErrorCode.InternalError, `the server's tool listing ran past ${MAX_TOOL_PAGES} pages`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw agentError(
          ErrorCode.InternalError,
          `the server's tool listing took longer than limits.requestTimeoutSeconds (${l.limits.requestTimeoutSeconds})`,
        );
      const page = await s.upstream.listTools(cursor ? { cursor } : undefined, { signal, timeout: left });
      bytes += Buffer.byteLength(JSON.stringify(page));
      if (bytes > l.limits.maxResponseBodyBytes)
        throw agentError(
          ErrorCode.InternalError,
          `the server's tool listing is larger than limits.maxResponseBodyBytes (${l.limits.maxResponseBodyBytes})`,
        );
      for (const tool of page.tools) {
        if (!keepableToolName(tool.name)) {
          unpinnable++;
          out.set(tool.name, { tool, blocked: true, added: false });
          continue;
        }
        const fp = toolFingerprint(tool);
        // Baselines, reports, the policy's status and acceptedTools know the tool by this key.
        const kept = this.toolKey(s, tool.name);
        const added =
          first !== undefined ? !first.has(tool.name) : storeKnew && !l.fingerprints.hasBaseline(t.name, kept);
        const c = l.fingerprints.check(t, kept, fp, {
          added,
          budgetSpent: claimed >= MAX_NEW_TOOLS_PER_LISTING,
        });
        if (c.claimed) claimed++;
        if (!c.ok && c.unrecorded !== undefined)
          this.o.gate.protocolEvent('protocol.error', {
            target: t.name,
            connectionId: s.auditId,
            sessionId: s.auditId,
            message: `tool "${kept}" is blocked: its first-seen fingerprint could not be kept (${c.unrecorded})`,
          });
        else if (!c.ok && c.first)
          this.o.gate.toolChanged(
            t.name,
            { sessionId: s.auditId, connectionId: s.auditId, principal: p },
            kept,
            fp,
            c.baseline,
            added,
          );
        out.set(tool.name, { tool, blocked: !c.ok, added });
      }
      cursor = page.nextCursor;
    } while (cursor && out.size < 10_000);
    if (unpinnable)
      this.o.gate.protocolEvent('protocol.error', {
        target: t.name,
        connectionId: s.auditId,
        sessionId: s.auditId,
        message: `${unpinnable} tool(s) blocked: a name longer than ${MAX_TOOL_NAME} characters or with a NUL can never be pinned or accepted`,
      });
    l.firstListing ??= new Set([...out].filter(([, x]) => !(x.added && x.blocked)).map(([name]) => name));
    s.tools = out;
    this.o.gate.toolsListed(t.name, out.keys());
    return out;
  }

  /**
   * A server's tool name as the sidecar writes it down (baseline file, audit log, Events, the policy's
   * status, `mcp.acceptedTools`): as is, or `sha256:<hex>` of it when masking would change it (a server
   * that names a tool after its credential or a customer's address).
   */
  private toolKey(s: Session, name: string): string {
    return this.textMasker(s).maskText(name).text === name
      ? name
      : `sha256:${createHash('sha256').update(name).digest('hex')}`;
  }

  /** The policy's masker, with the secrets this session's server was handed. */
  private textMasker(s: Session): Masker {
    const rt = this.o.runtime();
    if (s.maskerFor?.rt !== rt) s.maskerFor = { rt, masker: rt.masker.withLiterals(s.secrets) };
    return s.maskerFor.masker;
  }

  /** `distinguishing`: as approvers read it, each redacted value a keyed digest (Masker.distinguishing). */
  private jsonMasker(s: Session, t: McpTargetSpec, distinguishing = false): JsonMasker {
    const spec = this.o.runtime().policy.spec;
    const strategy = spec.masking?.defaultStrategy ?? 'redact';
    if (!distinguishing) return new JsonMasker(this.textMasker(s), t.maskFields ?? [], strategy);
    const h = (x: MaskStrategy): MaskStrategy => (x === 'redact' ? 'hash' : x);
    return new JsonMasker(
      this.textMasker(s).distinguishing(),
      (t.maskFields ?? []).map((f) => ({ ...f, strategy: h(f.strategy ?? strategy) })),
      h(strategy),
    );
  }

  private listing(s: Session): ListingMasker {
    return new ListingMasker(this.textMasker(s));
  }

  private masker(s: Session, t: McpTargetSpec): McpResultMasker {
    return new McpResultMasker(this.jsonMasker(s, t), this.textMasker(s));
  }

  /** A listing page as the agent gets it: masked like a result, its `key` entries the `visible` ones masked by `id`. */
  private maskedPage<L extends object, K extends keyof L & string>(
    s: Session,
    t: McpTargetSpec,
    list: L,
    key: K,
    visible: object[],
    id: readonly string[],
  ): L {
    return { ...this.masker(s, t).mask({ ...list, [key]: [] }), [key]: this.listing(s).entries(visible, id) } as L;
  }

  /**
   * A listing from the server: its errors masked like a call's, and (`sized`) refused over
   * limits.maxResponseBodyBytes before anything of it is masked or passed on.
   */
  private async listed<T>(l: Listener, s: Session, fetch: () => Promise<T>, sized = true): Promise<T> {
    let list: T;
    try {
      list = await fetch();
    } catch (e) {
      throw this.maskedError(s, e);
    }
    const bytes = sized ? Buffer.byteLength(JSON.stringify(list)) : 0;
    if (bytes > l.limits.maxResponseBodyBytes)
      throw agentError(
        ErrorCode.InternalError,
        `the listing (${bytes} bytes) is larger than limits.maxResponseBodyBytes (${l.limits.maxResponseBodyBytes}); it was not passed on`,
      );
    return list;
  }

  /** An error from the server as the agent may see it: its message masked, its data dropped. */
  private maskedError(s: Session, e: unknown): McpError {
    const text = unprefixed(e instanceof Error ? e.message : String(e));
    const message = this.textMasker(s).maskText(text).text;
    return e instanceof McpError
      ? agentError(e.code, message)
      : agentError(ErrorCode.InternalError, `the MCP server failed: ${message}`);
  }

  /** Decides the call, sends it only when allowed, masks and bounds the result, records the outcome. */
  private async gated<R>(
    l: Listener,
    s: Session,
    t: McpTargetSpec,
    p: Principal,
    method: string,
    params: Record<string, unknown>,
    extra: Extra,
    send: (signal: AbortSignal) => Promise<{ result: R; isError: boolean }>,
    refused: (reason: string, rule: string, approval?: string) => R,
    checks?: CallChecks,
  ): Promise<R> {
    // A call in flight (held for approval, or streaming its answer) keeps its session from being reaped.
    s.active++;
    try {
      return await this.call(l, s, t, p, method, params, extra, send, refused, checks);
    } finally {
      s.active--;
      s.lastUsed = Date.now();
    }
  }

  private async call<R>(
    l: Listener,
    s: Session,
    t: McpTargetSpec,
    p: Principal,
    method: string,
    params: Record<string, unknown>,
    extra: Extra,
    send: (signal: AbortSignal) => Promise<{ result: R; isError: boolean }>,
    refused: (reason: string, rule: string, approval?: string) => R,
    checks?: CallChecks,
  ): Promise<R> {
    const started = Date.now();
    const facts = callFacts(t.name, method, params);
    const maskedArguments = this.jsonMasker(s, t).maskText(JSON.stringify(facts.arguments ?? {})).text;
    const req: McpGateRequest = {
      facts,
      target: t,
      principal: p,
      sessionId: s.auditId,
      connectionId: s.auditId,
      client: s.client,
      maskedArguments,
      approvalArguments: () => this.jsonMasker(s, t, true).maskText(JSON.stringify(facts.arguments ?? {})).text,
      requestBytes: Buffer.byteLength(JSON.stringify(params)),
      masker: () => this.textMasker(s),
      ...(checks?.refusal ? { refusal: checks.refusal } : {}),
      closed: () => extra.signal.aborted,
    };
    s.calls++;
    // While a call is held for approval, progress notifications (when the agent asked for them) keep
    // its client from timing out, and say which ApprovalRequest it waits for.
    const token = (params._meta as { progressToken?: string | number } | undefined)?.progressToken;
    let held: NodeJS.Timeout | undefined;
    let wasHeld = false;
    const onHold = (approval: string): void => {
      wasHeld = true;
      if (token === undefined) return;
      let n = 0;
      const tick = (): void =>
        void extra
          .sendNotification({
            method: 'notifications/progress',
            params: { progressToken: token, progress: ++n, message: `waiting for ApprovalRequest ${approval}` },
          })
          .catch(() => undefined);
      tick();
      held = setInterval(tick, 10_000);
    };
    const verdict = await this.o.gate.decide(req, onHold).finally(() => clearInterval(held));
    if (verdict.kind === 'refuse') return refused(verdict.reason, verdict.rule, verdict.approval);
    if (wasHeld && checks?.refusal) {
      // What happened to the tool during the hold: listed again if the server announced a change.
      let late: McpRefusal | undefined;
      try {
        await checks.refresh?.();
        late = checks.refusal();
      } catch (e) {
        late = {
          rule: 'tool-listing-failed',
          message: `the server's tool listing failed: ${this.maskedError(s, e).message}`,
        };
      }
      if (late) {
        const why = `${late.message} (rule "${late.rule}"); the approved call was not sent to the server`;
        this.o.gate.record({
          request: req,
          verdict,
          resultBytes: 0,
          maskedValues: 0,
          isError: true,
          durationMs: Date.now() - started,
          error: why,
        });
        return refused(why, late.rule);
      }
    }
    // The masking in force once the call may go (a hold can outlast a policy change).
    const masker = this.masker(s, this.current(l) ?? t);
    if (p.exp * 1000 <= Date.now() || extra.signal.aborted) {
      const why = extra.signal.aborted
        ? 'the agent cancelled the call before it was sent'
        : 'the agent token expired before the call was sent';
      this.o.gate.record({
        request: req,
        verdict,
        resultBytes: 0,
        maskedValues: 0,
        isError: true,
        durationMs: Date.now() - started,
        error: why,
      });
      throw agentError(ErrorCode.InvalidRequest, `${why}; nothing was sent to the server`);
    }
    let out: { result: R; isError: boolean };
    try {
      out = await send(extra.signal);
    } catch (e) {
      const error = this.maskedError(s, e);
      this.o.gate.record({
        request: req,
        verdict,
        resultBytes: 0,
        maskedValues: 0,
        isError: true,
        durationMs: Date.now() - started,
        error: error.message,
      });
      throw error;
    }
    const resultBytes = Buffer.byteLength(JSON.stringify(out.result));
    if (resultBytes > l.limits.maxResponseBodyBytes) {
      const error = `the result (${resultBytes} bytes) is larger than limits.maxResponseBodyBytes (${l.limits.maxResponseBodyBytes}); it was not passed on`;
      this.o.gate.record({
        request: req,
        verdict,
        resultBytes,
        maskedValues: 0,
        isError: true,
        durationMs: Date.now() - started,
        error,
      });
      throw agentError(ErrorCode.InternalError, error);
    }
    const embedded = withholdEmbedded(out.result, (uri) =>
      sameResource(uri, facts.uri)
        ? { blocked: false, rule: '' }
        : this.o.gate
            .engine()
            .decide(callFacts(t.name, 'resources/read', { uri }), t, principalFacts(p), p.triggeredBy),
    );
    const masked = masker.mask(embedded.result);
    this.o.gate.record({
      request: req,
      verdict,
      resultBytes,
      maskedValues: masker.count + embedded.withheld,
      isError: out.isError,
      durationMs: Date.now() - started,
    });
    return masked;
  }
}

/**
 * A refused tool call is a tool result with isError, naming the rule: MCP clients hand tool results
 * (errors included) to the model, which can then tell the user or ask for approval, while a JSON-RPC
 * error surfaces as an exception in the client (the SDK's callTool throws) that most agent loops
 * report as a failed tool without its text. The rule and ApprovalRequest are also in _meta.
 */
function refusal(reason: string, rule: string, approval?: string): CallToolResult {
  return {
    content: [{ type: 'text', text: `agentgate: ${reason}` }],
    isError: true,
    _meta: { 'agentgate.dev/rule': rule, ...(approval ? { 'agentgate.dev/approvalRequest': approval } : {}) },
  };
}

/** resources/read and prompts/get have no error result: a JSON-RPC error naming the rule. */
function deniedError(reason: string, rule: string, approval?: string): never {
  throw agentError(POLICY_DENIED, `agentgate: ${reason}`, {
    rule,
    ...(approval ? { approvalRequest: approval } : {}),
  });
}

/** Whether `uri` is the resource a read named (as sent or as URL-parsed): decided already, approval included. */
function sameResource(uri: string, read: string | undefined): boolean {
  if (read === undefined) return false;
  if (uri === read) return true;
  try {
    return new URL(uri).href === new URL(read).href;
  } catch {
    return false;
  }
}

function principalFacts(p: Principal): { sub: string; iss: string; triggeredBy?: string } {
  return { sub: p.sub, iss: p.iss, ...(p.triggeredBy ? { triggeredBy: p.triggeredBy.sub } : {}) };
}

/** A JSON-RPC request (method and id): what notifications and responses are not. */
function isRequest(body: unknown): boolean {
  return !!body && typeof body === 'object' && 'method' in body && 'id' in body;
}

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string, close = false): void {
  if (res.headersSent) return void res.destroy();
  const body = JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(body);
}
