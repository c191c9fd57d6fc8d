/**
 * The guard proxy: one listener per policy target. Each connection is authenticated with the agent's
 * JWT, bound to a fresh upstream session that uses the target's own credentials, and handed to a
 * PgSession that enforces the policy. A bad connection never affects the others.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { serialize } from 'pg-protocol';
import type { ApprovalBroker } from './approvals/broker.js';
import { AuditLog } from './audit/audit-log.js';
import { Checkpointer, type CheckpointWitness } from './audit/checkpoints.js';
import type { ProxyMetrics } from './observability/metrics.js';
import { RUN_TOKEN_ISSUER_ANNOTATION } from '../shared/contract/labels.js';
import {
  IdentityError,
  principalRecord,
  TokenVerifier,
  type Principal,
  type TokenVerifierOptions,
} from './identity/verify.js';
import { Gate } from './gate/gate.js';
import { noEvents, type EventSink } from './gate/record.js';
import { limitsOf, startupSettingsGuard } from './gate/guards.js';
import { failClosedPolicy } from './cluster/fail-closed-policy.js';
import { compilePolicy, type PolicyRuntime } from './policy/runtime.js';
import {
  isHttpTarget,
  isMcpTarget,
  postgresTargets,
  type AgentAccessPolicy,
  type TargetSpec,
} from '../shared/contract/policy-types.js';
import { ByteQueue, checkStartupParams, readPassword, readStartup } from './postgres/handshake.js';
import {
  authRequest,
  backendKeyData,
  errorResponse,
  negotiateProtocolVersion,
  parameterStatus,
  ProtocolError,
  readyForQuery,
} from './postgres/protocol.js';
import { sendCancel } from './postgres/runtime-caps.js';
import { PgSession } from './postgres/session.js';
import { connectUpstream, UpstreamError, type UpstreamSession } from './postgres/upstream.js';
import { CATALOG_PATH, readCatalog } from './postgres/catalog-reader.js';
import type { CatalogRows } from './sql/catalog.js';
import { CatalogKeeper, type CatalogLoad } from './sql/catalog-keeper.js';
import { CATALOG_HIDDEN_WRITES_SQL, hiddenWritesFromRows } from './sql/hidden-writes.js';
import { KeptUpstream } from './postgres/kept-upstream.js';
import { StatementClassifier } from './sql/classifier.js';
import { SqlParser } from './sql/parser.js';
import type { HttpWiring } from './http/wire.js';
import type { HttpTargets } from './http/server.js';
import type { McpTargets } from './mcp/server.js';
import { readTargetSecret } from './target-secrets.js';

export interface GuardProxyOptions {
  policy: AgentAccessPolicy;
  /** Resolves relative paths in the policy (local mode: relative to the policy file). */
  resolvePath?: (p: string) => string;
  auditFile?: string;
  /** Rotate the audit file at this size (the chain continues across files). */
  auditMaxBytes?: number;
  auditStdout?: boolean;
  /** Session recordings directory (one JSON-lines file per session, covered by the chain). */
  recordingsDir?: string;
  /** Where passwordEnv credentials are read from. */
  env?: NodeJS.ProcessEnv;
  /** Override listen addresses (e.g. port 0 in tests): target name → host:port. */
  listenOverride?: Record<string, string>;
  /** Injected clock in ms, for tests. */
  now?: () => number;
  /** Called for operational log lines (not audit records). */
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
  catalogRefreshMs?: number;
  /** Least time between two catalog loads asked for by statements naming relations the catalog does not know. */
  catalogDemandIntervalMs?: number;
  /** Fetches the cluster's service-account JWKS, for `kubernetes: true` issuers. */
  kubernetesJwks?: TokenVerifierOptions['kubernetesJwks'];
  /** Approval requests and grants (cluster mode); without it RequireApproval is enforced as a denial. */
  approvals?: ApprovalBroker;
  /** Kubernetes Events (cluster mode): denials and identity failures, as reason + message. */
  events?: EventSink;
  /** The pod this proxy serves (sidecar): Kubernetes tokens must be bound to it (and to its uid, when known). */
  pod?: { name: string; namespace: string; uid?: string };
  /** The operator's run-token issuer (default: the compiled policy's agentgate.dev/run-token-issuer annotation). */
  runTokenIssuer?: string;
  /** Prometheus metrics (served by the health server). */
  metrics?: ProxyMetrics;
  /** Signed checkpoints of the audit chain (the operator in a cluster, a local witness otherwise). */
  checkpoints?: { witness: CheckpointWitness; stream: string; everyMs?: number };
  /** Postgres sessions' traffic while the server owes them an answer (busy-poll.ts; session.ts says when). */
  onTraffic?: () => void;
}

interface TargetRuntime {
  spec: TargetSpec;
  password: string;
  server: net.Server;
  catalog: CatalogKeeper;
  address?: { host: string; port: number };
}

interface CancelKey {
  target: TargetRuntime;
  upstream: UpstreamSession;
  session?: PgSession;
}

export class GuardProxy {
  private runtimeValue: PolicyRuntime;
  private readonly targets: TargetRuntime[] = [];
  private readonly sessions = new Set<PgSession>();
  private readonly cancelKeys = new Map<string, CancelKey>();
  private verifier: TokenVerifier;
  private refreshTimer?: NodeJS.Timeout;
  /** Per target: the session capped writes read their tables' triggers, rules and cascades over. */
  private readonly hiddenWritesSessions = new Map<string, KeptUpstream>();
  readonly audit: AuditLog;
  readonly checkpointer?: Checkpointer;
  /** Listeners of the policy's http targets (proxy/http/). */
  private http?: HttpTargets;
  private readonly gate: Gate;
  /** Kubernetes Events (cluster mode); none to raise in local mode. */
  private readonly events: EventSink;
  private mcp?: McpTargets;

  private constructor(
    private readonly opts: GuardProxyOptions,
    private readonly classifier: StatementClassifier,
    private readonly parser: SqlParser,
  ) {
    this.events = opts.events ?? noEvents;
    this.runtimeValue = compilePolicy(opts.policy, maskingKey(opts.env ?? process.env));
    this.verifier = this.makeVerifier(opts.policy);
    this.audit = new AuditLog({
      ...(opts.auditFile ? { file: opts.auditFile } : {}),
      ...(opts.recordingsDir ? { recordingsDir: opts.recordingsDir } : {}),
      ...(opts.auditMaxBytes ? { maxBytes: opts.auditMaxBytes } : {}),
      stdout: opts.auditStdout ?? false,
    });
    if (!this.audit.healthy) throw new Error(`cannot open the audit log: ${this.audit.error!.message}`);
    if (opts.checkpoints) {
      this.checkpointer = new Checkpointer({
        audit: this.audit,
        ...opts.checkpoints,
        ...(opts.log ? { log: opts.log } : {}),
        onFailure: (m: string) => this.events('Warning', 'AuditCheckpointFailed', m),
      });
    }
    this.gate = new Gate({
      runtime: () => this.runtime,
      audit: this.audit,
      failClosed: () => this.failClosed?.reason,
      events: this.events,
      ...(opts.approvals ? { approvals: opts.approvals } : {}),
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
    });
    opts.metrics?.observe(() => ({
      auditHealthy: this.audit.healthy,
      checkpointFailures: this.checkpointer?.failures ?? 0,
    }));
  }

  static async start(opts: GuardProxyOptions): Promise<GuardProxy> {
    const parser = SqlParser.create();
    const proxy = new GuardProxy(opts, new StatementClassifier(parser), parser);
    try {
      await proxy.listenAll();
    } catch (e) {
      await proxy.stop();
      throw e;
    }
    return proxy;
  }

  get runtime(): PolicyRuntime {
    return this.failClosed?.runtime ?? this.runtimeValue;
  }

  /** While set (cluster mode: the policy is deleted or out of reach), every statement and new session is refused. */
  private failClosed?: { reason: string; runtime: PolicyRuntime };

  /** Fails closed with the reason, or (undefined) enforces the policy again. Audited, and an Event. */
  setPolicyUnavailable(reason: string | undefined): void {
    if (reason === this.failClosed?.reason) return;
    if (reason) {
      this.failClosed = {
        reason,
        runtime: compilePolicy(
          failClosedPolicy(this.runtimeValue.policy, reason),
          maskingKey(this.opts.env ?? process.env),
        ),
      };
      this.audit.tryAppend({
        event: { action: 'policy.updated', outcome: 'failure' },
        policy: this.runtimeValue.ref,
        message: `${reason}: refusing every statement and new session`,
      });
      this.events('Warning', 'PolicyUnavailable', `${reason}: refusing every statement and new session`);
      this.log('error', 'policy unavailable: failing closed', { reason });
    } else {
      this.failClosed = undefined;
      this.audit.tryAppend({
        event: { action: 'policy.updated', outcome: 'success' },
        policy: this.runtimeValue.ref,
        message: 'policy available again: enforcing it',
      });
      this.events(
        'Normal',
        'PolicyAvailable',
        `enforcing policy ${this.runtimeValue.ref.namespace ?? ''}/${this.runtimeValue.ref.name} again`,
      );
      this.log('info', 'policy available again', { ...this.runtimeValue.ref });
    }
  }

  /** Cluster mode: the compiled ConfigMap is not what the operator wrote. Nothing changes in force; audited, and an Event. */
  recordPolicyTampered(message: string, detail: Record<string, unknown>): void {
    this.audit.tryAppend({
      event: { action: 'policy.tampered', outcome: 'failure' },
      policy: this.runtimeValue.ref,
      message,
      detail,
    });
    this.events('Warning', 'CompiledPolicyTampered', message);
    this.log('error', 'compiled policy tampered with', { message, ...detail });
  }

  /** Replaces the policy in force; running sessions apply it from their next statement. */
  updatePolicy(policy: AgentAccessPolicy): void {
    const verifier = this.makeVerifier(policy);
    const listeners = (p: AgentAccessPolicy): string =>
      JSON.stringify(p.spec.targets.map((t) => [t.name, t.listen, t.upstream, t.credentials, t.tls]));
    if (listeners(policy) !== listeners(this.runtimeValue.policy)) {
      this.log(
        'warn',
        'targets changed: listeners and upstreams apply after a restart; rules, masking and identity apply now',
      );
    }
    this.runtimeValue = compilePolicy(policy, maskingKey(this.opts.env ?? process.env));
    if (this.failClosed)
      this.failClosed.runtime = compilePolicy(
        failClosedPolicy(policy, this.failClosed.reason),
        maskingKey(this.opts.env ?? process.env),
      );
    this.verifier = verifier;
    this.audit.tryAppend({
      event: { action: 'policy.updated' },
      policy: this.runtimeValue.ref,
      ...(this.runtimeValue.change ? { detail: { change: this.runtimeValue.change } } : {}),
    });
    this.log('info', 'policy updated', { ...this.runtimeValue.ref });
  }

  private makeVerifier(policy: AgentAccessPolicy): TokenVerifier {
    const o = this.opts;
    return new TokenVerifier(policy.spec.identity, {
      ...(o.resolvePath ? { resolvePath: o.resolvePath } : {}),
      ...(o.now ? { now: () => Math.floor(o.now!() / 1000) } : {}),
      ...(o.kubernetesJwks ? { kubernetesJwks: o.kubernetesJwks } : {}),
      binding: {
        ...(policy.metadata.namespace ? { namespace: policy.metadata.namespace } : {}),
        ...(policy.spec.subjects ? { subjects: policy.spec.subjects } : {}),
        ...(o.pod ? { pod: o.pod } : {}),
      },
      runTokens: runTokenContext(policy, o.runTokenIssuer),
    });
  }

  addresses(): { target: string; host: string; port: number; kind?: 'reverse' | 'forward' }[] {
    return [
      ...this.targets.map((t) => ({ target: t.spec.name, ...t.address! })),
      ...(this.http?.addresses() ?? []),
      ...(this.mcp?.addresses() ?? []),
    ];
  }

  private log(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void {
    this.opts.log?.(level, message, fields);
  }

  private async listenAll(): Promise<void> {
    const env = this.opts.env ?? process.env;
    for (const spec of postgresTargets(this.opts.policy.spec)) {
      const password = resolvePassword(spec, env, this.opts.resolvePath);
      const server = net.createServer({ pauseOnConnect: true, noDelay: true });
      const catalog = new CatalogKeeper({
        load: (since) => this.loadCatalog(spec, password, since),
        loadHiddenWrites: () => this.loadHiddenWrites(spec, password),
        ...(this.opts.catalogDemandIntervalMs !== undefined
          ? { minIntervalMs: this.opts.catalogDemandIntervalMs }
          : {}),
        onError: (e) =>
          this.log(
            'warn',
            `target ${spec.name}: cannot load the catalog; unknown functions are denied until it loads`,
            { error: e.message },
          ),
      });
      const t: TargetRuntime = { spec, password, server, catalog };
      server.on('connection', (socket) => {
        void this.handleConnection(t, socket);
      });
      const listen = this.opts.listenOverride?.[spec.name] ?? spec.listen;
      const i = listen.lastIndexOf(':');
      const host = listen.slice(0, i).replace(/^\[|\]$/g, '');
      const port = Number(listen.slice(i + 1));
      await new Promise<void>((resolve, reject) => {
        server.once('error', (e) => reject(new Error(`target ${spec.name}: cannot listen on ${listen}: ${e.message}`)));
        server.listen(port, host, () => resolve());
      });
      const addr = server.address() as net.AddressInfo;
      t.address = { host: addr.address, port: addr.port };
      this.targets.push(t);
      this.log('info', `target ${spec.name} listening`, {
        address: `${addr.address}:${addr.port}`,
        upstream: `${spec.upstream.host}:${spec.upstream.port}`,
      });
      void this.refreshCatalog(t);
    }
    const o = this.opts;
    const wiring: HttpWiring = {
      policy: o.policy,
      runtime: () => this.runtime,
      verify: (token) => this.verifier.verify(token),
      gate: this.gate,
      ...(o.auditFile ? { auditFile: o.auditFile } : {}),
      ...(o.events ? { events: o.events } : {}),
      ...(o.env ? { env: o.env } : {}),
      ...(o.resolvePath ? { resolvePath: o.resolvePath } : {}),
      ...(o.listenOverride ? { listenOverride: o.listenOverride } : {}),
      ...(o.log ? { log: o.log } : {}),
    };
    // Loaded only for a policy with such targets: with the MCP SDK, zod and hono they are ~20 MiB of RSS.
    const targets = o.policy.spec.targets;
    if (targets.some(isHttpTarget)) this.http = await (await import('./http/wire.js')).startHttpTargets(wiring);
    if (targets.some(isMcpTarget)) this.mcp = await (await import('./mcp/wire.js')).startMcpTargets(wiring);
    this.audit.append({
      event: { action: 'proxy.start' },
      policy: this.runtimeValue.ref,
      detail: {
        targets: this.addresses(),
        ...(this.opts.checkpoints ? { stream: this.opts.checkpoints.stream } : {}),
        ...(this.runtimeValue.change ? { change: this.runtimeValue.change } : {}),
      },
    });
    this.checkpointer?.start();
    const every = this.opts.catalogRefreshMs ?? 60_000;
    this.refreshTimer = setInterval(() => this.targets.forEach((t) => void this.refreshCatalog(t)), every);
    this.refreshTimer.unref();
  }

  /** Reloads the target's catalog (coalesced with a load under way). */
  refreshCatalog(t: TargetRuntime): Promise<void> {
    return t.catalog.refresh();
  }

  /** The target's catalog (functions, schemas, relations, masked columns), over the proxy's own session. */
  private async loadCatalog(spec: TargetSpec, password: string, since?: string): Promise<CatalogLoad> {
    let up: UpstreamSession | undefined;
    try {
      up = await connectUpstream({
        target: spec,
        password,
        applicationName: 'agentgate-catalog',
        ...(this.opts.resolvePath ? { resolvePath: this.opts.resolvePath } : {}),
      });
      return await readCatalog(up.socket, {
        ruledNames: (this.runtimeValue.policy.spec.masking?.columns ?? []).map((c) => c.name),
        upstreamUser: spec.upstream.user,
        ...(since !== undefined ? { since } : {}),
      });
    } finally {
      up?.socket.end(serialize.end());
    }
  }

  /** Relations whose writes change rows a command tag does not count (for maxRowsAffected), over a session the proxy keeps. */
  private async loadHiddenWrites(
    spec: TargetSpec,
    password: string,
  ): Promise<NonNullable<CatalogRows['hiddenWrites']>> {
    let kept = this.hiddenWritesSessions.get(spec.name);
    if (!kept) {
      kept = new KeptUpstream(() =>
        connectUpstream({
          target: spec,
          password,
          applicationName: 'agentgate-catalog',
          ...(this.opts.resolvePath ? { resolvePath: this.opts.resolvePath } : {}),
        }),
      );
      this.hiddenWritesSessions.set(spec.name, kept);
    }
    return hiddenWritesFromRows(await kept.query(`${CATALOG_PATH}; ${CATALOG_HIDDEN_WRITES_SQL}`));
  }

  private async handleConnection(t: TargetRuntime, raw: net.Socket): Promise<void> {
    const connectionId = randomUUID();
    const client = { address: raw.remoteAddress ?? '', ...(raw.remotePort ? { port: raw.remotePort } : {}) };
    const q = new ByteQueue(raw);
    raw.resume();
    let socket: net.Socket = raw;
    const fatal = (code: string, message: string): void => {
      if (!socket.destroyed) socket.end(errorResponse({ severity: 'FATAL', code, message: `agentgate: ${message}` }));
    };
    let principal: Principal | undefined;
    try {
      const { packet, socket: s } = await readStartup(q, raw, {
        ...(t.spec.tls ? { tls: loadTls(t.spec, this.opts.resolvePath) } : {}),
      });
      socket = s;
      if (packet.kind === 'cancel') return this.cancel(packet.pid, packet.secret, raw);
      if (this.failClosed) {
        this.audit.tryAppend({
          event: { action: 'connection.open', outcome: 'failure' },
          connection: connectionId,
          target: t.spec.name,
          client,
          message: this.failClosed.reason,
        });
        return fatal('08004', `${this.failClosed.reason}; new sessions are refused until it is back`);
      }
      const startup = checkStartupParams(packet.params);
      const pinned = startupSettingsGuard(Object.keys(startup.forward), limitsOf(this.runtimeValue));
      if (pinned) throw new ProtocolError(pinned, '42501');
      if (packet.minor > 0 || startup.unsupportedOptions.length)
        socket.write(negotiateProtocolVersion(0, startup.unsupportedOptions));
      socket.write(authRequest(3)); // AuthenticationCleartextPassword: the password is the agent's JWT
      const token = await readPassword(q);
      try {
        principal = await this.verifier.verify(token);
      } catch (e) {
        const err = e instanceof IdentityError ? e : new IdentityError((e as Error).message);
        this.gate.identityRejected(undefined, t.spec.name, connectionId, client, err.message);
        return fatal(err.sqlState, `authentication failed: ${err.message}`);
      }
      if (!t.catalog.loaded) await this.refreshCatalog(t);
      const upstream = await connectUpstream({
        target: t.spec,
        password: t.password,
        startupParams: startup.forward,
        ...(this.runtimeValue.policy.spec.mode !== 'Audit' &&
        this.runtimeValue.policy.spec.runtimeLimits?.maxStatementSeconds !== undefined
          ? { statementTimeoutSeconds: this.runtimeValue.policy.spec.runtimeLimits.maxStatementSeconds }
          : {}),
        applicationName:
          `agentgate:${principal.sub}${startup.applicationName ? `:${startup.applicationName}` : ''}`.slice(0, 63),
        ...(this.opts.resolvePath ? { resolvePath: this.opts.resolvePath } : {}),
      });
      const sessionId = randomUUID();
      const rec = this.audit.tryAppend({
        event: { action: 'connection.open', outcome: 'success' },
        session: { id: sessionId },
        connection: connectionId,
        target: t.spec.name,
        client,
        principal: principalRecord(principal),
        policy: this.runtimeValue.ref,
        detail: { tokenExpires: new Date(principal.exp * 1000).toISOString(), upstreamTls: upstream.tls },
      });
      if (!rec) {
        upstream.socket.destroy();
        return fatal('42501', 'audit log unavailable; connection refused');
      }
      const pid = randomInt(1, 2 ** 31 - 1);
      const secret = randomBytes(4);
      const cancelKey = `${pid}:${secret.toString('hex')}`;
      const keyed: CancelKey = { target: t, upstream };
      this.cancelKeys.set(cancelKey, keyed);
      const greeting = [
        authRequest(0),
        ...upstream.parameters.map(([k, v]) => parameterStatus(k, v)),
        backendKeyData(pid, secret),
        readyForQuery(upstream.status),
      ];
      const clientSocket = q.detach();
      clientSocket.write(Buffer.concat(greeting));
      const session = new PgSession(
        clientSocket,
        upstream.socket,
        {
          target: t.spec,
          runtime: () => this.runtime,
          classifier: this.classifier,
          catalog: () => t.catalog.catalog,
          freshCatalog: (shapes) =>
            t.catalog.ensure(shapes, {
              countsWrites:
                this.runtimeValue.policy.spec.mode !== 'Audit' &&
                this.runtimeValue.policy.spec.runtimeLimits?.maxRowsAffected !== undefined,
            }),
          audit: this.audit,
          principal,
          sessionId,
          connectionId,
          startupParameters: upstream.parameters,
          ...(this.opts.now ? { now: this.opts.now } : {}),
          onSchemaChange: () => void this.refreshCatalog(t),
          cancelUpstream: () =>
            sendCancel(t.spec.upstream.host, t.spec.upstream.port, upstream.backendPid, upstream.backendSecret),
          gate: this.gate,
          events: this.events,
          ...(this.opts.metrics ? { metrics: this.opts.metrics } : {}),
          ...(this.opts.onTraffic ? { onTraffic: this.opts.onTraffic } : {}),
          onClose: () => {
            this.sessions.delete(session);
            this.cancelKeys.delete(cancelKey);
            this.opts.metrics?.sessions.dec({ target: t.spec.name });
          },
        },
        upstream.status,
      );
      keyed.session = session;
      this.sessions.add(session);
      this.opts.metrics?.sessions.inc({ target: t.spec.name });
      session.start();
    } catch (e) {
      const err = e as Error;
      const code = e instanceof ProtocolError ? e.sqlState : e instanceof UpstreamError ? e.sqlState : 'XX000';
      const action = e instanceof UpstreamError ? 'connection.close' : 'protocol.error';
      this.audit.tryAppend({
        event: { action, outcome: 'failure' },
        connection: connectionId,
        target: t.spec.name,
        client,
        message: err.message,
        ...(principal ? { principal: { iss: principal.iss, sub: principal.sub } } : {}),
      });
      fatal(code, e instanceof UpstreamError ? `cannot reach the database: ${err.message}` : err.message);
    }
  }

  private cancel(pid: number, secret: Buffer, socket: net.Socket): void {
    socket.end();
    const key = this.cancelKeys.get(`${pid}:${secret.toString('hex')}`);
    if (!key) return;
    // A statement held for an approval is not at the server: the hold ends, and the server is left alone.
    if (key.session?.cancelHeld()) return;
    const { host, port } = key.target.spec.upstream;
    sendCancel(host, port, key.upstream.backendPid, key.upstream.backendSecret);
  }

  /** Why the proxy cannot serve (for /readyz), or undefined when every target listens and the audit log works. */
  notReady(): string | undefined {
    if (this.stopping) return 'shutting down';
    if (!this.audit.healthy) return `audit log unavailable: ${this.audit.error?.message}`;
    if (this.failClosed) return `policy unavailable: ${this.failClosed.reason}`;
    const listening = new Set([
      ...this.targets.filter((t) => t.address).map((t) => t.spec.name),
      ...(this.http?.addresses().map((a) => a.target) ?? []),
      ...(this.mcp?.addresses().map((a) => a.target) ?? []),
    ]);
    const missing = this.runtimeValue.policy.spec.targets.filter((t) => !listening.has(t.name)).map((t) => t.name);
    return missing.length ? `targets not listening: ${missing.join(', ')}` : undefined;
  }

  private stopping = false;

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.refreshTimer);
    for (const s of this.sessions) s.close('proxy shutting down');
    await Promise.all(this.targets.map((t) => new Promise<void>((r) => t.server.close(() => r()))));
    await this.http?.stop();
    await this.mcp?.stop();
    this.hiddenWritesSessions.forEach((k) => k.close());
    this.audit.tryAppend({ event: { action: 'proxy.stop' }, policy: this.runtimeValue.ref });
    await this.checkpointer?.stop();
    this.audit.close();
    await this.parser.close();
  }
}

function resolvePassword(t: TargetSpec, env: NodeJS.ProcessEnv, resolvePath?: (p: string) => string): string {
  return readTargetSecret(t.name, t.credentials, env, resolvePath);
}

function loadTls(t: TargetSpec, resolvePath?: (p: string) => string): { key: Buffer; cert: Buffer } {
  const r = (p: string): string => (resolvePath ? resolvePath(p) : p);
  return { key: readFileSync(r(t.tls!.keyFile)), cert: readFileSync(r(t.tls!.certFile)) };
}

function maskingKey(env: NodeJS.ProcessEnv): { hashKey?: Buffer } {
  return env.AGENTGATE_MASKING_KEY ? { hashKey: Buffer.from(env.AGENTGATE_MASKING_KEY, 'utf8') } : {};
}

/** Which run tokens this proxy's policy accepts: the operator's issuer, exchanged under this policy. */
function runTokenContext(policy: AgentAccessPolicy, issuer?: string): { issuer?: string; policy?: string } {
  const iss = issuer ?? policy.metadata.annotations?.[RUN_TOKEN_ISSUER_ANNOTATION];
  return {
    ...(iss ? { issuer: iss } : {}),
    ...(policy.metadata.namespace ? { policy: `${policy.metadata.namespace}/${policy.metadata.name}` } : {}),
  };
}
