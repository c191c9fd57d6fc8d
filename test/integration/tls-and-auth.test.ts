/**
 * TLS both ways and md5 upstream login, against a real PostgreSQL with ssl=on and md5 passwords.
 * Certificates come from a throwaway CA made with openssl for 127.0.0.1.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgres } from '../../proxy/local/embedded-postgres.js';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import type { TargetSpec } from '../../shared/contract/policy-types.js';

function makeCerts(dir: string): { ca: string; cert: string; key: string } {
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=agentgate test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  );
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr');
  execFileSync('bash', ['-c', 'printf "subjectAltName=IP:127.0.0.1,DNS:localhost" > san.ext'], { cwd: dir });
  ssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'san.ext',
    '-out',
    'server.crt',
  );
  return { ca: join(dir, 'ca.crt'), cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
}

function postgresUid(): { uid: number; gid: number } | undefined {
  try {
    return {
      uid: Number(execFileSync('id', ['-u', 'postgres']).toString()),
      gid: Number(execFileSync('id', ['-g', 'postgres']).toString()),
    };
  } catch {
    return undefined;
  }
}

describe('TLS and md5 (real PostgreSQL with ssl=on)', () => {
  let s: LocalStack;
  let certs: { ca: string; cert: string; key: string };

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentgate-tls-'));
    chmodSync(dir, 0o755);
    certs = makeCerts(dir);
    // As root, embedded-postgres runs the server as a "postgres" system user it creates on first start.
    if (process.getuid?.() === 0 && !postgresUid()) await (await startPostgres()).stop();
    const owner = postgresUid();
    if (process.getuid?.() === 0 && owner) {
      chownSync(certs.key, owner.uid, owner.gid);
      chownSync(certs.cert, owner.uid, owner.gid);
    }
    chmodSync(certs.key, 0o600);
    chmodSync(certs.cert, 0o644);
    s = await startLocalStack({
      postgres: {
        authMethod: 'md5',
        postgresFlags: [
          '-c',
          'ssl=on',
          '-c',
          `ssl_cert_file=${certs.cert}`,
          '-c',
          `ssl_key_file=${certs.key}`,
          '-c',
          'password_encryption=md5',
        ],
      },
      editPolicy: (p) => {
        const t = p.spec.targets[0] as TargetSpec;
        t.upstream.sslMode = 'verify-full';
        t.upstream.caFile = certs.ca;
        t.tls = { certFile: certs.cert, keyFile: certs.key };
      },
    });
  });
  after(() => s?.stop());

  it('logs in upstream with md5 over verified TLS', async () => {
    const admin = s.postgres.client();
    await admin.connect();
    const hash = (await admin.query("SELECT rolpassword FROM pg_authid WHERE rolname = 'agent'")).rows[0]
      .rolpassword as string;
    await admin.end();
    expect(hash.startsWith('md5')).to.equal(true);
    const c = await s.connect();
    const r = await c.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    expect(r.rows[0].ssl).to.equal(true);
    await c.end();
  });

  it('serves agents over TLS on its own listener (verify-full from the agent side)', async () => {
    const c = new pg.Client({
      host: '127.0.0.1',
      port: s.port,
      user: 'agent',
      database: 'billing',
      password: await s.token(),
      ssl: { ca: readFileSync(certs.ca), servername: 'localhost' },
    });
    await c.connect();
    expect((await c.query('SELECT 1 AS one')).rows[0].one).to.equal(1);
    expect((c as any).connection.stream.encrypted).to.equal(true);
    await c.end();
  });

  it('refuses to log in upstream when sslMode verify-full cannot verify the server', async () => {
    const bad = await startLocalStack({
      postgres: {
        postgresFlags: ['-c', 'ssl=on', '-c', `ssl_cert_file=${certs.cert}`, '-c', `ssl_key_file=${certs.key}`],
      },
      editPolicy: (p) => {
        (p.spec.targets[0] as TargetSpec).upstream.sslMode = 'verify-full';
      },
    });
    try {
      const c = new pg.Client({
        host: bad.host,
        port: bad.port,
        user: 'agent',
        database: 'billing',
        password: await bad.token(),
      });
      const err = await c.connect().then(
        () => undefined,
        (e: { code?: string; message: string }) => e,
      );
      expect(err?.code).to.equal('08001');
      expect(err?.message).to.match(/cannot reach the database: TLS .* failed/);
    } finally {
      await bad.stop();
    }
  });
});
