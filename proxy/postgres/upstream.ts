/**
 * Opens the proxy's own session to the real database: TLS per sslMode (libpq's meanings), startup
 * with the target's user/database and the settings the proxy relies on, then password, md5 or
 * SCRAM-SHA-256(-PLUS) authentication with the target's credentials (the agent never sees them).
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { TLSSocket } from 'node:tls';
import { serialize } from 'pg-protocol';
// SCRAM client math (RFC 5802/7677, channel binding) from node-postgres itself.
import sasl from 'pg/lib/crypto/sasl.js';
import { createHash } from 'node:crypto';
import type { TargetSpec } from '../../shared/contract/policy-types.js';
import { PINNED_SETTINGS } from '../sql/settings.js';
import { bodyReader, Framer, parseErrorNotice, type Message } from './protocol.js';
import { serverEncodingProblem } from './server-encoding.js';
import { SessionInvariants } from './session-invariants.js';

export interface UpstreamSession {
  socket: net.Socket;
  /** ParameterStatus values the server reported at startup, in order. */
  parameters: [string, string][];
  backendPid: number;
  backendSecret: Buffer;
  status: number;
  tls: boolean;
}

export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly sqlState = '08001',
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

export interface UpstreamOptions {
  target: TargetSpec;
  password: string;
  /** Extra startup parameters (client settings the policy allows). */
  startupParams?: Record<string, string>;
  /** maxStatementSeconds: the session's statement_timeout, after (so over) the agent's parameters. */
  statementTimeoutSeconds?: number;
  applicationName?: string;
  timeoutMs?: number;
  resolvePath?: (p: string) => string;
}

export async function connectUpstream(o: UpstreamOptions): Promise<UpstreamSession> {
  const { upstream } = o.target;
  const timeoutMs = o.timeoutMs ?? 10_000;
  let socket: net.Socket = await new Promise((resolve, reject) => {
    const s = net.connect({ host: upstream.host, port: upstream.port });
    s.setNoDelay(true);
    const timer = setTimeout(() => {
      s.destroy();
      reject(new UpstreamError(`timed out connecting to ${upstream.host}:${upstream.port}`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(new UpstreamError(`cannot connect to ${upstream.host}:${upstream.port}: ${e.message}`));
    });
  });
  try {
    let usingTls = false;
    if (upstream.sslMode !== 'disable') {
      socket.write(serialize.requestSsl());
      const answer = await readBytes(socket, 1, timeoutMs);
      if (answer[0] === 0x53) {
        socket = await upgrade(socket, o);
        usingTls = true;
      } else if (upstream.sslMode !== 'prefer') {
        throw new UpstreamError(
          `server at ${upstream.host}:${upstream.port} does not support TLS, and sslMode is ${upstream.sslMode}`,
        );
      }
    }
    const params: Record<string, string> = {
      ...o.startupParams,
      user: upstream.user,
      database: upstream.database,
      application_name: o.applicationName ?? 'agentgate',
      // The classifier parses UTF-8 text with standard strings; the database must read it the same way.
      ...PINNED_SETTINGS,
      ...(o.statementTimeoutSeconds !== undefined ? { statement_timeout: `${o.statementTimeoutSeconds}s` } : {}),
    };
    if (o.target.access === 'ReadOnly') params.default_transaction_read_only = 'on';
    socket.write(serialize.startup(params));
    const session = await authenticate(socket, o.password, upstream.user, usingTls, timeoutMs);
    const bad = new SessionInvariants(o.target, session.parameters).checkAll(session.parameters);
    if (bad)
      throw new UpstreamError(
        `the server reports ${bad.setting}=${bad.actual} at startup where agentgate requires ${bad.expected}`,
        '08004',
      );
    const encoding = serverEncodingProblem(session.parameters);
    if (encoding) throw new UpstreamError(encoding, '08004');
    return session;
  } catch (e) {
    socket.destroy();
    throw e instanceof UpstreamError ? e : new UpstreamError((e as Error).message);
  }
}

async function upgrade(socket: net.Socket, o: UpstreamOptions): Promise<TLSSocket> {
  // Loaded on first use: a sidecar whose upstreams are all plaintext keeps Node's tls out of memory.
  const tls = await import('node:tls');
  const { upstream } = o.target;
  const verify = upstream.sslMode === 'verify-ca' || upstream.sslMode === 'verify-full';
  const ca = upstream.caFile
    ? readFileSync(o.resolvePath ? o.resolvePath(upstream.caFile) : upstream.caFile)
    : undefined;
  return new Promise((resolve, reject) => {
    const t = tls.connect({
      socket,
      rejectUnauthorized: verify,
      ...(ca ? { ca } : {}),
      ...(net.isIP(upstream.host) ? {} : { servername: upstream.host }),
      // verify-ca checks the chain only; verify-full also the host name (Node's default check).
      ...(upstream.sslMode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
    });
    t.once('secureConnect', () => resolve(t));
    t.once('error', (e) => reject(new UpstreamError(`TLS to ${upstream.host}:${upstream.port} failed: ${e.message}`)));
  });
}

function readBytes(socket: net.Socket, n: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => done(new UpstreamError('timed out waiting for the server')), timeoutMs);
    const onData = (d: Buffer): void => {
      got = Buffer.concat([got, d]);
      if (got.length >= n) {
        if (got.length > n) socket.unshift(got.subarray(n));
        done(undefined, got.subarray(0, n));
      }
    };
    const onClose = (): void => done(new UpstreamError('server closed the connection during startup'));
    const done = (err?: Error, data?: Buffer): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onClose);
      socket.pause();
      if (err) reject(err);
      else resolve(data!);
    };
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onClose);
    socket.resume();
  });
}

function authenticate(
  socket: net.Socket,
  password: string,
  user: string,
  usingTls: boolean,
  timeoutMs: number,
): Promise<UpstreamSession> {
  return new Promise((resolve, reject) => {
    const framer = new Framer();
    const parameters: [string, string][] = [];
    let pid = 0;
    let secret = Buffer.alloc(0);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    let scram: any;
    let settled = false;
    const timer = setTimeout(
      () => fail(new UpstreamError('timed out during authentication with the server')),
      timeoutMs,
    );
    const fail = (e: Error): void => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(e);
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
    };
    const onClose = (): void => fail(new UpstreamError('server closed the connection during authentication'));
    const onError = (e: Error): void => fail(new UpstreamError(`server connection failed: ${e.message}`));
    const handle = async (m: Message): Promise<void> => {
      const type = String.fromCharCode(m.type);
      if (type === 'E') {
        const e = parseErrorNotice(m);
        throw new UpstreamError(`server refused the proxy's login: ${e.message ?? 'unknown error'}`, '08004');
      }
      if (type === 'R') {
        const r = bodyReader(m, 'Authentication');
        const code = r.int32();
        switch (code) {
          case 0:
            return;
          case 3:
            socket.write(serialize.password(password));
            return;
          case 5: {
            const salt = r.bytes(4);
            const inner = createHash('md5')
              .update(password + user)
              .digest('hex');
            const outer = createHash('md5')
              .update(Buffer.concat([Buffer.from(inner), salt]))
              .digest('hex');
            socket.write(serialize.password(`md5${outer}`));
            return;
          }
          case 10: {
            const mechanisms: string[] = [];
            for (let s = r.cstring(); s !== ''; s = r.cstring()) mechanisms.push(s);
            scram = sasl.startSession(mechanisms, usingTls ? socket : undefined);
            socket.write(serialize.sendSASLInitialResponseMessage(scram.mechanism, scram.response));
            return;
          }
          case 11:
            await sasl.continueSession(
              scram,
              password,
              m.buf.toString('utf8', r.pos, m.end),
              usingTls ? socket : undefined,
            );
            socket.write(serialize.sendSCRAMClientFinalMessage(scram.response));
            return;
          case 12:
            sasl.finalizeSession(scram, m.buf.toString('utf8', r.pos, m.end));
            return;
          default:
            throw new UpstreamError(`server asked for unsupported authentication method ${code}`);
        }
      }
      if (type === 'S') {
        const r = bodyReader(m, 'ParameterStatus');
        parameters.push([r.cstring(), r.cstring()]);
        return;
      }
      if (type === 'K') {
        const r = bodyReader(m, 'BackendKeyData');
        pid = r.int32();
        secret = Buffer.from(r.bytes(m.end - r.pos));
        return;
      }
      if (type === 'N' || type === 'v') return;
      if (type === 'Z') {
        const status = bodyReader(m, 'ReadyForQuery').byte();
        settled = true;
        cleanup();
        socket.pause();
        resolve({ socket, parameters, backendPid: pid, backendSecret: secret, status, tls: usingTls });
        return;
      }
      throw new UpstreamError(`unexpected message ${JSON.stringify(type)} from the server during startup`);
    };
    let chain = Promise.resolve();
    const onData = (d: Buffer): void => {
      try {
        framer.push(d, (m) => {
          chain = chain.then(() => (settled ? undefined : handle(m))).catch((e: Error) => fail(e));
        });
      } catch (e) {
        fail(e as Error);
      }
    };
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onError);
    socket.resume();
  });
}
