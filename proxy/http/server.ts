/**
 * The HTTP adapter: listeners for `protocol: http` targets (reverse: the agent talks to the sidecar as
 * if it were the API; forward: HTTP_PROXY-style absolute-form requests, CONNECT only where allowed).
 * Node's own HTTP parser reads every request (strict mode: conflicting Content-Length /
 * Transfer-Encoding, oversized heads and slow clients end in a 4xx and a closed connection). Each
 * request is authenticated with the agent's JWT (never forwarded), reduced to facts, decided by the gate
 * before anything goes upstream, sent with the target's own credentials, and its response masked.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { pipeline, Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import { IdentityError, type Principal } from '../identity/verify.js';
import { armExpiry } from '../postgres/token-expiry.js';
import type { Masker } from '../masking/masker.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import type { HttpTargetSpec } from '../../shared/contract/policy-types.js';
import { withoutTables } from './accept-tables.js';
import { upstreamAuthHeader } from './credentials.js';
import type { GateRequest, HttpGatePort, Verdict } from './gate-port.js';
import { JsonMasker } from './json-masker.js';
import { parseRequestPath, PathError, type RequestPath } from '../../shared/policy-language/path-template.js';
import { socketProblem, sendProblem } from './problem.js';
import { buildFacts } from './request-facts.js';
import { headersRulesRead } from './header-binding.js';
import {
  bodyKind,
  codingOf,
  decoder,
  encoder,
  isText,
  JsonStreamMasker,
  LineMasker,
  SniffingMasker,
  Uninspectable,
  type MaskCount,
} from './response-masker.js';

export interface HttpTargetsOptions {
  targets: HttpTargetSpec[];
  runtime: () => PolicyRuntime;
  verify: (token: string) => Promise<Principal>;
  gate: HttpGatePort;
  env?: NodeJS.ProcessEnv;
  resolvePath?: (p: string) => string;
  /** target name → host:port (tests: port 0); `<name>/forward` for its forward-proxy listener. */
  listenOverride?: Record<string, string>;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

const DEFAULTS = {
  maxHeaderBytes: 16 * 1024,
  maxRequestBodyBytes: 1024 * 1024,
  maxResponseBodyBytes: 16 * 1024 * 1024,
  requestTimeoutSeconds: 30,
};
/** Longest single line of a streamed (SSE, NDJSON, text) response the proxy masks. */
const MAX_LINE_BYTES = 1024 * 1024;
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
]);
/** What an API may take as the client's address (IP allow-lists): the agent does not get to say. */
const CLIENT_ADDRESS = /^(forwarded|x-forwarded-.*|x-real-ip|x-client-ip|true-client-ip|cf-connecting-ip)$/;
/** Headers some frameworks take as the real method: a rule decided on the request line could be bypassed. */
const METHOD_OVERRIDES = ['x-http-method-override', 'x-http-method', 'x-method-override'];

interface Upstream {
  spec: HttpTargetSpec;
  url: URL;
  /** The upstream url's path without its trailing slash ('' for the root). */
  base: string;
  agent: http.Agent;
  auth?: [string, string];
  limits: typeof DEFAULTS;
}

interface Listener {
  server: http.Server;
  kind: 'reverse' | 'forward';
  targets: Upstream[];
  address?: { host: string; port: number };
}

interface ConnectionIds {
  connectionId: string;
  sessionId: string;
  client: { address: string; port?: number };
  requests: number;
}

export class HttpTargets {
  private readonly listeners: Listener[] = [];
  private readonly connections = new WeakMap<net.Socket, ConnectionIds>();
  private readonly sockets = new Set<net.Socket>();

  private constructor(private readonly o: HttpTargetsOptions) {}

  static async start(o: HttpTargetsOptions): Promise<HttpTargets> {
    const h = new HttpTargets(o);
    try {
      await h.listenAll();
    } catch (e) {
      await h.stop();
      throw e;
    }
    return h;
  }

  addresses(): { target: string; kind: 'reverse' | 'forward'; host: string; port: number }[] {
    return this.listeners.flatMap((l) =>
      l.address ? l.targets.map((t) => ({ target: t.spec.name, kind: l.kind, ...l.address! })) : [],
    );
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.listeners.map(
        (l) =>
          new Promise<void>((r) => {
            l.server.close(() => r());
            l.server.closeAllConnections();
          }),
      ),
    );
    for (const s of this.sockets) s.destroy();
    for (const l of this.listeners) for (const t of l.targets) t.agent.destroy();
  }

  private async listenAll(): Promise<void> {
    const env = this.o.env ?? process.env;
    const upstreams = this.o.targets.map((spec) => this.upstream(spec, env));
    for (const u of upstreams)
      await this.listen('reverse', u.spec.name, this.o.listenOverride?.[u.spec.name] ?? u.spec.listen, [u], u.spec.tls);
    const forward = new Map<string, Upstream[]>();
    for (const u of upstreams) {
      if (!u.spec.forwardProxy) continue;
      const addr = this.o.listenOverride?.[`${u.spec.name}/forward`] ?? u.spec.forwardProxy.listen;
      forward.set(addr, [...(forward.get(addr) ?? []), u]);
    }
    for (const [addr, us] of forward) await this.listen('forward', us.map((u) => u.spec.name).join(','), addr, us);
  }

  private upstream(spec: HttpTargetSpec, env: NodeJS.ProcessEnv): Upstream {
    const url = new URL(spec.upstream.url);
    const r = (p: string): string => (this.o.resolvePath ? this.o.resolvePath(p) : p);
    const agent =
      url.protocol === 'https:'
        ? new https.Agent({
            keepAlive: true,
            maxSockets: 64,
            ...(spec.upstream.caFile ? { ca: readFileSync(r(spec.upstream.caFile)) } : {}),
            ...(spec.upstream.serverName ? { servername: spec.upstream.serverName } : {}),
            rejectUnauthorized: true,
          })
        : new http.Agent({ keepAlive: true, maxSockets: 64 });
    const auth = upstreamAuthHeader(spec, env, this.o.resolvePath);
    return {
      spec,
      url,
      base: url.pathname.replace(/\/$/, ''),
      agent,
      ...(auth ? { auth } : {}),
      limits: { ...DEFAULTS, ...spec.limits },
    };
  }

  private async listen(
    kind: 'reverse' | 'forward',
    name: string,
    listen: string,
    targets: Upstream[],
    tls?: HttpTargetSpec['tls'],
  ): Promise<void> {
    const limits = targets[0]!.limits;
    const r = (p: string): string => (this.o.resolvePath ? this.o.resolvePath(p) : p);
    const options: http.ServerOptions = {
      maxHeaderSize: Math.min(...targets.map((t) => t.limits.maxHeaderBytes)),
      requestTimeout: limits.requestTimeoutSeconds * 1000,
      headersTimeout: Math.min(limits.requestTimeoutSeconds * 1000, 10_000),
      keepAliveTimeout: 5000,
      // How often Node looks for requests past their timeouts (default 30 s).
      connectionsCheckingInterval: 500,
      requireHostHeader: true,
      insecureHTTPParser: false,
      joinDuplicateHeaders: false,
    };
    const server = tls
      ? https.createServer({ ...options, key: readFileSync(r(tls.keyFile)), cert: readFileSync(r(tls.certFile)) })
      : http.createServer(options);
    // Bounded, so that one agent opening sockets cannot take every descriptor of the sidecar.
    server.maxConnections = 1024;
    const l: Listener = { server, kind, targets };
    // Requests arrive on the TLS socket of a TLS listener, not on the TCP one 'connection' gives.
    server.on(tls ? 'secureConnection' : 'connection', (s: net.Socket) => {
      this.sockets.add(s);
      this.connections.set(s, {
        connectionId: randomUUID(),
        sessionId: randomUUID(),
        client: { address: s.remoteAddress ?? '', ...(s.remotePort ? { port: s.remotePort } : {}) },
        requests: 0,
      });
      s.once('close', () => {
        this.sockets.delete(s);
        const ids = this.connections.get(s);
        if (ids && ids.requests > 0)
          this.o.gate.protocolEvent('connection.close', {
            target: name,
            connectionId: ids.connectionId,
            sessionId: ids.sessionId,
            message: `agent connection closed after ${ids.requests} request(s)`,
          });
      });
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      void this.handle(l, req, res).catch((e: Error) => {
        this.o.log?.('error', 'http request failed', { error: e.message });
        sendProblem(
          res,
          {
            status: 500,
            title: 'Internal error',
            detail: 'the proxy failed on this request; nothing more was forwarded',
          },
          {},
          true,
        );
      });
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => this.clientError(name, err, socket));
    // Sockets handed over by 'upgrade' and 'connect' have no error listener of the server's any more.
    server.on(
      'upgrade',
      (_req: IncomingMessage, socket: net.Socket) =>
        socket.on('error', () => socket.destroy()) &&
        socketProblem(
          socket,
          {
            status: 501,
            title: 'Upgrade refused',
            detail: 'protocol upgrades (WebSocket, h2c) are not inspected and are refused',
          },
          'Not Implemented',
        ),
    );
    server.on('connect', (req: IncomingMessage, socket: net.Socket, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      if (kind !== 'forward')
        return socketProblem(
          socket,
          { status: 405, title: 'Method not allowed', detail: 'CONNECT is served only by a forward-proxy listener' },
          'Method Not Allowed',
        );
      void this.connect(l, req, socket, head).catch(() => socket.destroy());
    });
    const i = listen.lastIndexOf(':');
    const host = listen.slice(0, i).replace(/^\[|\]$/g, '');
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) => reject(new Error(`http target ${name}: cannot listen on ${listen}: ${e.message}`)));
      server.listen(Number(listen.slice(i + 1)), host, () => resolve());
    });
    const a = server.address() as net.AddressInfo;
    l.address = { host: a.address, port: a.port };
    this.listeners.push(l);
    this.o.log?.('info', `http target ${name} listening (${kind})`, { address: `${a.address}:${a.port}` });
  }

  /** Malformed requests, smuggling attempts, oversized heads, slow clients: a 4xx, then the connection closes. */
  private clientError(name: string, err: NodeJS.ErrnoException, socket: net.Socket): void {
    const code = err.code ?? '';
    const [status, reason, detail] =
      code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'the request head is larger than limits.maxHeaderBytes']
        : code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'ERR_HTTP_HEADERS_TIMEOUT'
          ? [408, 'Request Timeout', 'the request was not received in time']
          : [400, 'Bad Request', `malformed HTTP request (${code || err.message})`];
    const ids = this.connections.get(socket);
    this.o.gate.protocolEvent('protocol.error', {
      target: name,
      connectionId: ids?.connectionId ?? randomUUID(),
      ...(ids ? { client: ids.client } : {}),
      message: `${status}: ${detail}`,
    });
    if (code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    socketProblem(socket, { status, title: reason, detail }, reason);
  }

  private async handle(l: Listener, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const ids = this.connections.get(req.socket)!;
    const fail = (
      status: number,
      title: string,
      detail: string,
      close = false,
      extra: Record<string, string> = {},
    ): void => {
      this.o.gate.protocolEvent('protocol.error', {
        target: l.targets.map((t) => t.spec.name).join(','),
        connectionId: ids.connectionId,
        client: ids.client,
        message: `${status}: ${detail}`,
      });
      if (close) req.resume();
      sendProblem(res, { status, title, detail }, extra, close);
    };
    const down = this.o.gate.unavailable();
    if (down)
      return sendProblem(res, { status: 503, title: 'Unavailable', detail: `${down}; requests are refused` }, {}, true);

    // Which target, and the path relative to its upstream url.
    let u: Upstream;
    let path: RequestPath;
    try {
      const routed = this.route(l, req.url ?? '');
      if ('error' in routed)
        return fail(routed.status, routed.status === 403 ? 'Forbidden' : 'Bad request', routed.error, true);
      ({ u, path } = routed);
    } catch (e) {
      if (e instanceof PathError) return fail(400, 'Bad request', e.message, true);
      throw e;
    }
    // CGI/WSGI servers (gunicorn, Werkzeug, nginx's variables) read X_Api_Key as X-Api-Key: such a name
    // could stand in for the injected credential, a client address or a method override.
    const underscored = Object.keys(req.headers).filter((h) => h.includes('_'));
    if (underscored.length)
      return fail(
        400,
        'Bad request',
        `header names with "_" are not accepted (${underscored.join(', ')}): servers read them as the same name with "-"`,
        true,
      );
    const overrides = METHOD_OVERRIDES.filter((h) => req.headers[h] !== undefined);
    if (overrides.length)
      return fail(
        400,
        'Bad request',
        `${overrides.join(', ')} may not be sent: the method on the request line is the one the policy decides`,
        true,
      );
    if (req.headers['transfer-encoding'] !== undefined && req.headers['content-length'] !== undefined)
      return fail(400, 'Bad request', 'Content-Length and Transfer-Encoding together', true);
    const coding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (coding !== 'identity')
      return fail(
        415,
        'Unsupported media type',
        `a request body with Content-Encoding ${coding} is not inspected by the rules; send it uncompressed`,
        true,
      );

    // Identity: the agent's JWT, never forwarded.
    const token = bearerOf(req, l.kind);
    if (!token) {
      this.o.gate.identityRejected(u.spec.name, ids.connectionId, ids.client, 'no bearer token');
      req.resume();
      return l.kind === 'forward'
        ? sendProblem(
            res,
            {
              status: 407,
              title: 'Proxy authentication required',
              detail:
                'send the agent token as Proxy-Authorization: Bearer <token> (or as the password of the proxy URL)',
            },
            { 'proxy-authenticate': 'Bearer realm="agentgate"' },
          )
        : sendProblem(
            res,
            { status: 401, title: 'Unauthorized', detail: 'send the agent token as Authorization: Bearer <token>' },
            { 'www-authenticate': 'Bearer realm="agentgate"' },
          );
    }
    let principal: Principal;
    try {
      principal = await this.o.verify(token);
    } catch (e) {
      const msg = e instanceof IdentityError ? e.message : (e as Error).message;
      this.o.gate.identityRejected(u.spec.name, ids.connectionId, ids.client, msg);
      req.resume();
      return sendProblem(
        res,
        { status: l.kind === 'forward' ? 407 : 401, title: 'Unauthorized', detail: `authentication failed: ${msg}` },
        l.kind === 'forward'
          ? { 'proxy-authenticate': 'Bearer realm="agentgate"' }
          : { 'www-authenticate': 'Bearer error="invalid_token"' },
      );
    }

    // The body, bounded.
    const max = u.limits.maxRequestBodyBytes;
    const declared = req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) : undefined;
    if (declared !== undefined && declared > max)
      return fail(
        413,
        'Content too large',
        `the request body (${declared} bytes) is larger than limits.maxRequestBodyBytes (${max})`,
        true,
      );
    const body = await readBody(req, max);
    if (body === 'too-large')
      return fail(
        413,
        'Content too large',
        `the request body is larger than limits.maxRequestBodyBytes (${max})`,
        true,
      );
    if (body === 'aborted') return;

    ids.requests++;
    const rt = this.o.runtime();
    // Rules, access, masks and tunnels follow the policy in force; listeners and upstreams need a restart.
    const spec = this.current(rt, u);
    if (!spec)
      return sendProblem(res, {
        status: 503,
        title: 'Unavailable',
        detail: `target ${u.spec.name} is no longer in the policy in force; requests are refused`,
      });
    const jsonMasker = new JsonMasker(
      rt.masker,
      spec.maskFields ?? [],
      rt.policy.spec.masking?.defaultStrategy ?? 'redact',
    );
    // Rules see the agent's headers that reach the API, no others (not one named in Connection).
    const passes = agentHeaderFilter(req, u, jsonMasker.active);
    const headers = Object.fromEntries(Object.entries(req.headersDistinct).filter(([name]) => passes(name)));
    const facts = buildFacts(u.spec.name, req.method ?? 'GET', path, headers, body, headersRulesRead(rt));
    if ([...facts.query.keys()].some((k) => k === '_method' || k.startsWith('_method[')) || jsonMethodOverride(facts)) {
      return fail(
        400,
        'Bad request',
        'a _method parameter may not be sent (Rails, Laravel and method-override read it as the method): the method on the request line is the one the policy decides',
        true,
      );
    }
    let gone = false;
    res.once('close', () => (gone = !res.writableFinished));
    const gateReq: GateRequest = {
      facts,
      target: spec,
      principal,
      sessionId: ids.sessionId,
      connectionId: ids.connectionId,
      client: ids.client,
      ...(body.length ? { maskedBody: () => maskedBodyOf(body, facts.json, jsonMasker, rt) } : {}),
      closed: () => gone || req.socket.destroyed,
    };
    const verdict = await this.o.gate.decide(gateReq);
    if (verdict.kind === 'refuse') {
      return sendProblem(res, {
        status: verdict.status,
        title: verdict.status === 403 ? 'Forbidden by policy' : 'Unavailable',
        detail: verdict.reason,
        rule: verdict.rule,
        ...(verdict.approval ? { approvalRequest: verdict.approval } : {}),
      });
    }
    if (principal.exp * 1000 <= Date.now()) {
      this.o.gate.record({
        request: gateReq,
        verdict,
        status: 401,
        requestBytes: body.length,
        responseBytes: 0,
        maskedValues: 0,
        durationMs: Date.now() - started,
        error: 'the agent token expired before the request was forwarded',
      });
      return sendProblem(
        res,
        {
          status: 401,
          title: 'Unauthorized',
          detail: 'the token expired while the request waited; nothing was forwarded',
        },
        { 'www-authenticate': 'Bearer error="invalid_token"' },
      );
    }
    if (res.destroyed)
      return this.o.gate.record({
        request: gateReq,
        verdict,
        status: 0,
        requestBytes: body.length,
        responseBytes: 0,
        maskedValues: 0,
        durationMs: Date.now() - started,
        error: 'the agent went away before the request was forwarded',
      });
    this.forward(u, req, res, path, body, gateReq, verdict, jsonMasker, started);
  }

  /** The target as the policy in force has it (undefined: it was removed). */
  private current(rt: PolicyRuntime, u: Upstream): HttpTargetSpec | undefined {
    return rt.policy.spec.targets.find((t): t is HttpTargetSpec => t.name === u.spec.name && t.protocol === 'http');
  }

  private route(l: Listener, target: string): { u: Upstream; path: RequestPath } | { status: number; error: string } {
    if (l.kind === 'reverse') {
      if (!target.startsWith('/'))
        return {
          status: 400,
          error: 'this listener takes origin-form requests (a path); use the forward-proxy listener for absolute URLs',
        };
      return { u: l.targets[0]!, path: parseRequestPath(target) };
    }
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return { status: 400, error: 'a forward proxy takes absolute-form requests (http://host/path)' };
    }
    if (url.protocol !== 'http:' || url.username || url.password || !/^http:\/\/[^/?#]+/i.test(target))
      return {
        status: 400,
        error: 'a forward proxy takes http:// absolute URLs without credentials (https goes through CONNECT)',
      };
    const u = l.targets.find((t) => t.url.hostname === url.hostname && (url.port === '' || url.port === portOf(t.url)));
    if (!u) return { status: 403, error: `${url.host} is not a target of this policy` };
    // The path as sent (raw, not normalized by URL parsing): it is what the API will route.
    const rest = target.slice('http://'.length).replace(/^[^/?#]+/, '');
    const full = parseRequestPath(rest.startsWith('/') ? rest : `/${rest}`);
    if (u.base && !(full.raw === u.base || full.raw.startsWith(`${u.base}/`)))
      return { status: 403, error: `${full.raw} is outside target ${u.spec.name} (${u.url.href})` };
    return {
      u,
      path: parseRequestPath(`${full.raw.slice(u.base.length) || '/'}${full.query ? `?${full.query}` : ''}`),
    };
  }

  private forward(
    u: Upstream,
    req: IncomingMessage,
    res: ServerResponse,
    path: RequestPath,
    body: Buffer,
    gateReq: GateRequest,
    verdict: Extract<Verdict, { kind: 'forward' }>,
    jsonMasker: JsonMasker,
    started: number,
  ): void {
    const masking = jsonMasker.active;
    const headers = forwardHeaders(req, u, body, masking);
    if (jsonMasker.hasFieldRules && typeof headers.accept === 'string') headers.accept = withoutTables(headers.accept);
    const count: MaskCount = { n: 0 };
    let responseBytes = 0;
    let recorded = false;
    const record = (status: number, error?: string): void => {
      if (recorded) return;
      recorded = true;
      this.o.gate.record({
        request: gateReq,
        verdict,
        status,
        requestBytes: body.length,
        responseBytes,
        maskedValues: count.n,
        durationMs: Date.now() - started,
        ...(error ? { error } : {}),
      });
    };
    const lib = u.url.protocol === 'https:' ? https : http;
    const up = lib.request({
      protocol: u.url.protocol,
      hostname: u.url.hostname,
      port: portOf(u.url),
      method: req.method,
      path: `${u.base}${path.raw === '/' && u.base ? '' : path.raw}${path.query ? `?${path.query}` : ''}` || '/',
      headers,
      agent: u.agent,
      timeout: 120_000,
      insecureHTTPParser: false,
    });
    // A response still streaming when the agent's token expires is cut, as a Postgres session is closed.
    const disarm = armExpiry(gateReq.principal.exp, Date.now, () => {
      record(res.headersSent ? res.statusCode : 0, 'the agent token expired during the response; the response was cut');
      up.destroy();
      res.destroy();
    });
    res.once('close', disarm);
    up.on('timeout', () => up.destroy(new Error('the API did not answer in time')));
    up.on('error', (e) => {
      record(res.headersSent ? res.statusCode : 502, `upstream: ${e.message}`);
      if (!res.headersSent)
        sendProblem(res, { status: 502, title: 'Bad gateway', detail: `the API could not be reached: ${e.message}` });
      else res.destroy();
    });
    res.on('close', () => {
      if (!res.writableFinished) {
        up.destroy();
        record(res.headersSent ? res.statusCode : 0, 'the agent connection closed before the response was complete');
      }
    });
    // Node's client takes heads its server cannot send on (status 099): a 502, never a throw out of the sidecar.
    const unforwardable = (upRes: IncomingMessage, why: string): void => {
      upRes.destroy();
      record(res.headersSent ? res.statusCode : 502, why);
      if (!res.headersSent)
        sendProblem(res, { status: 502, title: 'Bad gateway', detail: `${why}; it was not forwarded` });
      else res.destroy();
    };
    let answered = false;
    // An unsolicited 101 makes Node's client drop the socket with neither a response nor an error.
    up.on('close', () => {
      if (answered || res.headersSent || res.destroyed) return;
      record(502, 'the API closed the connection without a response it could forward');
      sendProblem(res, {
        status: 502,
        title: 'Bad gateway',
        detail: 'the API closed the connection without a response that can be forwarded',
      });
    });
    up.on('response', (upRes) => {
      answered = true;
      const status = upRes.statusCode ?? 502;
      if (status < 100 || status > 999) return unforwardable(upRes, `the API answered with status ${status}`);
      try {
        onResponse(upRes, status);
      } catch (e) {
        unforwardable(upRes, `the API's response could not be forwarded: ${(e as Error).message}`);
      }
    });
    const onResponse = (upRes: IncomingMessage, status: number): void => {
      const out = responseHeaders(upRes, masking ? this.o.runtime().masker : undefined, count);
      const noBody = req.method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
      const finish = (): void => record(status);
      if (!masking || noBody) {
        if (!noBody && upRes.headers['content-length'] !== undefined)
          out['content-length'] = upRes.headers['content-length'];
        res.writeHead(status, out);
        const counter = countingStream((n) => (responseBytes += n));
        pipeline(upRes, counter, res, (err) => (err ? record(status, `response stream: ${err.message}`) : finish()));
        return;
      }
      const coding = codingOf(upRes.headers['content-encoding']);
      const kind = bodyKind(upRes.headers['content-type'], jsonMasker.hasFieldRules);
      if (!coding || !kind) {
        upRes.destroy();
        const why = !coding
          ? `Content-Encoding ${upRes.headers['content-encoding']}`
          : `Content-Type ${upRes.headers['content-type']}`;
        record(502, `masking is on and the response (${why}) cannot be inspected`);
        return sendProblem(res, {
          status: 502,
          title: 'Response cannot be inspected',
          detail: `masking is on and the API's response (${why}) cannot be inspected; it was not forwarded`,
        });
      }
      const rt = this.o.runtime();
      const dec = decoder(coding);
      if (kind === 'json' && upRes.headers['content-length'] !== undefined) {
        // A framed body (bounded): buffered, so that Content-Length is the masked length.
        const chunks: Buffer[] = [];
        const max = u.limits.maxResponseBodyBytes;
        let held = 0;
        // The whole masked body is held, not only each value: whitespace and many small values count too.
        const sink = new Transform({
          transform(c: Buffer, _e, cb: TransformCallback) {
            if ((held += c.length) > max)
              return cb(
                new Uninspectable(
                  `the JSON response is larger than ${max} bytes (limits.maxResponseBodyBytes) and masking is on`,
                ),
              );
            chunks.push(c);
            cb();
          },
        });
        pipeline(
          [
            upRes,
            ...(dec ? [dec] : []),
            new JsonStreamMasker(jsonMasker, rt.masker, u.limits.maxResponseBodyBytes, count),
            sink,
          ],
          (err) => {
            if (err) {
              const why =
                err instanceof Uninspectable
                  ? err.message
                  : `the response could not be read or decoded: ${err.message}`;
              record(502, why);
              return sendProblem(res, {
                status: 502,
                title: 'Response cannot be inspected',
                detail: `${why}; it was not forwarded`,
              });
            }
            const plain = Buffer.concat(chunks);
            const encoded =
              coding === 'gzip'
                ? zlib.gzipSync(plain)
                : coding === 'deflate'
                  ? zlib.deflateSync(plain)
                  : coding === 'br'
                    ? zlib.brotliCompressSync(plain)
                    : plain;
            responseBytes = encoded.length;
            res.writeHead(status, { ...out, 'content-length': String(encoded.length) });
            res.end(encoded, finish);
          },
        );
        return;
      }
      // Streamed (chunked JSON, event streams, text): masked as it comes; the length is not known ahead.
      // The head goes out with the first masked bytes, so a body refused before them is still a 502.
      const enc = encoder(coding);
      const jsonStream = (): Transform =>
        new JsonStreamMasker(jsonMasker, rt.masker, u.limits.maxResponseBodyBytes, count);
      const lines = (): Transform =>
        new LineMasker(kind === 'sse' ? 'sse' : 'lines', jsonMasker, rt.masker, MAX_LINE_BYTES, count);
      const sniff = kind === 'lines' && jsonMasker.hasFieldRules && isText(upRes.headers['content-type']);
      const masker =
        kind === 'json'
          ? jsonStream()
          : sniff
            ? new SniffingMasker((json) => (json ? jsonStream() : lines()), MAX_LINE_BYTES)
            : lines();
      const head = (): void => {
        if (!res.headersSent) res.writeHead(status, out);
      };
      const counter = new Transform({
        transform(c: Buffer, _e, cb: TransformCallback) {
          head();
          responseBytes += c.length;
          cb(null, c);
        },
        flush(cb: TransformCallback) {
          head();
          cb();
        },
      });
      pipeline([upRes, ...(dec ? [dec] : []), masker, ...(enc ? [enc] : []), counter], (err) => {
        if (!err) return;
        const why = err instanceof Uninspectable ? err.message : `response stream: ${err.message}`;
        record(res.headersSent ? status : 502, res.headersSent ? `${why}: the response was cut` : why);
        if (!res.headersSent)
          sendProblem(res, {
            status: 502,
            title: 'Response cannot be inspected',
            detail: `${why}; it was not forwarded`,
          });
        else res.destroy();
      });
      counter.pipe(res);
      res.on('finish', finish);
    };
    up.end(body);
  }

  /** A CONNECT tunnel: only to a target that allows it, to its own host and port, for an authenticated agent. */
  private async connect(l: Listener, req: IncomingMessage, socket: net.Socket, head: Buffer): Promise<void> {
    const ids = this.connections.get(socket) ?? {
      connectionId: randomUUID(),
      sessionId: randomUUID(),
      client: { address: socket.remoteAddress ?? '' },
      requests: 0,
    };
    const authority = req.url ?? '';
    const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(authority);
    const u = m ? l.targets.find((t) => t.url.hostname === m[1] && portOf(t.url) === m[2]) : undefined;
    const refuse = (status: number, reason: string, detail: string, rule?: string): void => {
      this.o.gate.protocolEvent('protocol.error', {
        target: u?.spec.name ?? l.targets.map((t) => t.spec.name).join(','),
        connectionId: ids.connectionId,
        client: ids.client,
        message: `CONNECT ${authority}: ${status}: ${detail}`,
      });
      socketProblem(socket, { status, title: reason, detail, ...(rule ? { rule } : {}) }, reason);
    };
    if (!u) return refuse(403, 'Forbidden', `CONNECT ${authority}: not a target of this policy`);
    const spec = this.current(this.o.runtime(), u);
    if (!spec?.forwardProxy?.allowConnect)
      return refuse(
        403,
        'Forbidden',
        `CONNECT to ${authority} is refused: target ${u.spec.name} does not allow tunnels (forwardProxy.allowConnect), whose content the proxy could not inspect`,
        'connect-not-allowed',
      );
    const token = bearerOf(req, 'forward');
    if (!token) return refuse(407, 'Proxy Authentication Required', 'send the agent token as Proxy-Authorization');
    let principal: Principal;
    try {
      principal = await this.o.verify(token);
    } catch (e) {
      this.o.gate.identityRejected(u.spec.name, ids.connectionId, ids.client, (e as Error).message);
      return socketProblem(
        socket,
        {
          status: 407,
          title: 'Proxy authentication required',
          detail: `authentication failed: ${(e as Error).message}`,
        },
        'Proxy Authentication Required',
      );
    }
    const path = parseRequestPath('/');
    const facts = buildFacts(u.spec.name, 'CONNECT', path, {}, Buffer.alloc(0));
    const gateReq: GateRequest = {
      facts,
      target: spec,
      principal,
      sessionId: ids.sessionId,
      connectionId: ids.connectionId,
      client: ids.client,
      closed: () => socket.destroyed,
    };
    const verdict = await this.o.gate.decide(gateReq);
    if (verdict.kind === 'refuse')
      return socketProblem(
        socket,
        { status: verdict.status, title: 'Forbidden by policy', detail: verdict.reason, rule: verdict.rule },
        'Forbidden',
      );
    const started = Date.now();
    let bytes = 0;
    const up = net.connect(Number(portOf(u.url)), u.url.hostname, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) up.write(head);
      up.on('data', (d: Buffer) => (bytes += d.length));
      socket.pipe(up).pipe(socket);
    });
    const done = (error?: string): void => {
      this.o.gate.record({
        request: gateReq,
        verdict,
        status: 200,
        requestBytes: 0,
        responseBytes: bytes,
        maskedValues: 0,
        durationMs: Date.now() - started,
        ...(error ? { error } : {}),
      });
    };
    up.once('error', (e) => {
      socket.destroy();
      done(e.message);
    });
    up.once('close', () => {
      socket.destroy();
      done();
    });
    socket.once('error', () => up.destroy());
    socket.once('close', () => up.destroy());
  }
}

function portOf(u: URL): string {
  return u.port || (u.protocol === 'https:' ? '443' : '80');
}

/** The agent's token: Authorization: Bearer; on a forward proxy also Proxy-Authorization (Bearer, or Basic with the token as password). */
export function bearerOf(req: IncomingMessage, kind: 'reverse' | 'forward'): string | undefined {
  const fromHeader = (v: string | undefined): string | undefined => {
    if (!v) return undefined;
    const m = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(v);
    if (m) return m[1];
    const b = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(v);
    if (b && kind === 'forward') {
      const text = Buffer.from(b[1]!, 'base64').toString('utf8');
      const i = text.indexOf(':');
      return i >= 0 ? text.slice(i + 1) || undefined : undefined;
    }
    return undefined;
  };
  if (kind === 'forward') {
    const p = fromHeader(req.headers['proxy-authorization']);
    if (p) return p;
  }
  const a = req.headers.authorization;
  return a && /^Bearer\s/i.test(a) ? fromHeader(a) : undefined;
}

export async function readBody(req: IncomingMessage, max: number): Promise<Buffer | 'too-large' | 'aborted'> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > max) return 'too-large';
      chunks.push(c);
    }
  } catch {
    return 'aborted';
  }
  return Buffer.concat(chunks);
}

/** Whether an agent's header (lower-case name) is forwarded as sent: the same test for the rules and the upstream request. */
function agentHeaderFilter(req: IncomingMessage, u: Upstream, masking: boolean): (name: string) => boolean {
  const listed = new Set(
    (req.headers.connection ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  return (name) =>
    !(
      HOP_BY_HOP.has(name) ||
      listed.has(name) ||
      name === 'authorization' ||
      METHOD_OVERRIDES.includes(name) ||
      CLIENT_ADDRESS.test(name) ||
      (u.auth !== undefined && name === u.auth[0]) ||
      (masking && (name === 'range' || name === 'if-range' || name === 'accept-encoding'))
    );
}

function forwardHeaders(req: IncomingMessage, u: Upstream, body: Buffer, masking: boolean): OutgoingHttpHeaders {
  const passes = agentHeaderFilter(req, u, masking);
  const out: OutgoingHttpHeaders = {};
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!passes(name)) continue;
    const prev = out[name];
    out[name] =
      prev === undefined ? raw[i + 1]! : Array.isArray(prev) ? [...prev, raw[i + 1]!] : [String(prev), raw[i + 1]!];
  }
  if (masking) {
    // Only codings the proxy can undo and redo.
    const asked = String(req.headers['accept-encoding'] ?? '').toLowerCase();
    const ok = ['gzip', 'deflate', 'br'].filter((c) => new RegExp(`(^|[ ,])${c}($|[ ,;])`).test(asked));
    out['accept-encoding'] = ok.length ? ok.join(', ') : 'identity';
  }
  out.host = u.url.host;
  if (body.length || !['GET', 'HEAD', 'OPTIONS', 'DELETE'].includes(req.method ?? ''))
    out['content-length'] = String(body.length);
  if (u.auth) out[u.auth[0]] = u.auth[1];
  return out;
}

/** The API's response headers minus hop-by-hop and digests; with masking on, every value through the detectors. */
function responseHeaders(upRes: IncomingMessage, masker?: Masker, count?: MaskCount): OutgoingHttpHeaders {
  const listed = new Set(
    (upRes.headers.connection ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: OutgoingHttpHeaders = {};
  const raw = upRes.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    // Digests and ranges describe the unmasked bytes.
    if (
      HOP_BY_HOP.has(name) ||
      listed.has(name) ||
      name === 'content-md5' ||
      name === 'digest' ||
      name === 'repr-digest' ||
      name === 'content-digest'
    )
      continue;
    let value = raw[i + 1]!;
    if (masker && count) {
      const m = masker.maskText(value);
      value = m.text;
      count.n += m.count;
    }
    const prev = out[name];
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [String(prev), value];
  }
  return out;
}

function countingStream(add: (n: number) => void): Transform {
  return new Transform({
    transform(c: Buffer, _e, cb: TransformCallback) {
      add(c.length);
      cb(null, c);
    },
  });
}

/** The whole body, masked: approval-text.ts bounds what approvers read and says where it is cut. */
/**
 * A `_method` key at the top of a JSON body: Laravel reads a JSON request's input from its body, and
 * Symfony's getMethod takes `_method` from that input. A body that is not valid JSON to the proxy (a
 * key twice…) but spells the key anywhere is refused too: a lenient parser may read it.
 */
function jsonMethodOverride(f: GateRequest['facts']): boolean {
  if (f.json === undefined) return false;
  if (f.json !== 'invalid') {
    const v = f.json.value;
    return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, '_method');
  }
  return /"(?:_|\\u005[fF])method"/.test(f.body.toString('latin1'));
}

function maskedBodyOf(body: Buffer, json: GateRequest['facts']['json'], jm: JsonMasker, rt: PolicyRuntime): string {
  const text = body.toString('utf8');
  if (json && json !== 'invalid') {
    try {
      return jm.maskText(text).text;
    } catch {
      // fall through to detectors
    }
  }
  return rt.masker.maskText(text).text;
}
