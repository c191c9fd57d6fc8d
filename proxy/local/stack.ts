/**
 * Local mode end to end, without a cluster: an embedded PostgreSQL seeded with sample data, dev
 * tokens from a local issuer, and the guard proxy in front. Used by the demo, the tests and the
 * benchmark, so all three exercise exactly the same wiring.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { issueDevToken, ensureDevKey } from '../identity/dev-issuer.js';
import { loadPolicyFile } from '../policy/load.js';
import { postgresTargets, type AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { validatePolicy } from '../../shared/contract/validate-policy.js';
import { FileWitness } from '../audit/witnesses.js';
import { GuardProxy, type GuardProxyOptions } from '../server.js';
import { startPostgres, type RunningPostgres, type StartOptions } from './embedded-postgres.js';

export const EXAMPLE_POLICY = new URL('../../examples/local/policy.yaml', import.meta.url).pathname;
export const EXAMPLE_SEED = new URL('../../examples/local/seed.sql', import.meta.url).pathname;
export const AGENT_DB_PASSWORD = 'agent-local-password';

export interface LocalStack {
  postgres: RunningPostgres;
  proxy: GuardProxy;
  policy: AgentAccessPolicy;
  dir: string;
  auditFile: string;
  /** Address of the first target's listener. */
  host: string;
  port: number;
  token(subject?: string, opts?: { ttlSeconds?: number; audience?: string; issuer?: string }): Promise<string>;
  /** A node-postgres client connected through the proxy with a fresh token. */
  connect(subject?: string): Promise<pg.Client>;
  /** A client straight to the database as the target's user (bypassing the proxy), for checks. */
  direct(): Promise<pg.Client>;
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  /** Adjust the example policy before the proxy starts (the result is validated again). */
  editPolicy?: (p: AgentAccessPolicy) => void;
  /** Keep the example's listen address instead of an ephemeral port. */
  fixedListen?: boolean;
  auditStdout?: boolean;
  proxyOptions?: Partial<GuardProxyOptions>;
  seedSql?: string;
  /** Where keys and the audit log go (default: a fresh temporary directory). */
  dir?: string;
  /** How the embedded PostgreSQL server is started (auth method, TLS flags). */
  postgres?: StartOptions;
  /** Signed checkpoints by a local witness (key and checkpoints in DIR/witness, stream local/<policy>). */
  witness?: boolean;
}

export async function startLocalStack(o: LocalStackOptions = {}): Promise<LocalStack> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'agentgate-local-'));
  const postgres = await startPostgres(o.postgres);
  try {
    const admin = postgres.client();
    await admin.connect();
    await admin.query(`CREATE ROLE agent LOGIN PASSWORD '${AGENT_DB_PASSWORD}'`);
    await admin.query('CREATE DATABASE billing OWNER agent');
    await admin.end();
    const seed = new pg.Client({
      host: postgres.host,
      port: postgres.port,
      user: 'agent',
      password: AGENT_DB_PASSWORD,
      database: 'billing',
    });
    await seed.connect();
    await seed.query(o.seedSql ?? readFileSync(EXAMPLE_SEED, 'utf8'));
    await seed.end();

    const { policy } = loadPolicyFile(EXAMPLE_POLICY);
    const key = await ensureDevKey(dir);
    policy.spec.identity.issuers[0]!.jwksFile = key.jwksFile;
    for (const t of postgresTargets(policy.spec)) t.upstream.port = postgres.port;
    o.editPolicy?.(policy);
    validatePolicy(JSON.parse(JSON.stringify(policy)), 'edited policy');
    const auditFile = join(dir, 'audit.log');
    const proxy = await GuardProxy.start({
      policy,
      auditFile,
      recordingsDir: join(dir, 'sessions'),
      auditStdout: o.auditStdout ?? false,
      env: { BILLING_DB_PASSWORD: AGENT_DB_PASSWORD },
      ...(o.witness
        ? {
            checkpoints: {
              stream: `local/${policy.metadata.name}`,
              witness: new FileWitness({
                file: join(dir, 'witness', 'checkpoints.jsonl'),
                keyDir: join(dir, 'witness'),
              }),
            },
          }
        : {}),
      ...(o.fixedListen
        ? {}
        : { listenOverride: Object.fromEntries(policy.spec.targets.map((t) => [t.name, '127.0.0.1:0'])) }),
      ...o.proxyOptions,
    });
    const { host, port } = proxy.addresses()[0]!;
    const issuer = policy.spec.identity.issuers[0]!.issuer;
    const token: LocalStack['token'] = (subject = 'agent-1', t = {}) =>
      issueDevToken({
        dir,
        issuer: t.issuer ?? issuer,
        subject,
        audience: t.audience ?? 'agentgate',
        ttlSeconds: t.ttlSeconds ?? 600,
      });
    return {
      postgres,
      proxy,
      policy,
      dir,
      auditFile,
      host,
      port,
      token,
      connect: async (subject) => {
        const c = new pg.Client({ host, port, user: 'agent', database: 'billing', password: await token(subject) });
        await c.connect();
        return c;
      },
      direct: async () => {
        const c = new pg.Client({
          host: postgres.host,
          port: postgres.port,
          user: 'agent',
          password: AGENT_DB_PASSWORD,
          database: 'billing',
        });
        await c.connect();
        return c;
      },
      stop: async () => {
        await proxy.stop();
        await postgres.stop();
      },
    };
  } catch (e) {
    await postgres.stop();
    throw e;
  }
}
