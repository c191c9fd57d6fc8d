/**
 * The bench's audited relay (test/bench/audited-relay.mjs) is only a fair floor if it does what it
 * claims: through it, node-postgres and psql reach a real PostgreSQL, and every statement — simple
 * Query, unnamed and named extended-protocol Executes — has its decision record in a chain that
 * `audit verify` accepts, on disk by the time the statement's answer is back.
 */
import { expect } from 'chai';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { verifyAuditFile } from '../../proxy/audit/verify.js';
import { AGENT_DB_PASSWORD, startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { auditedRelay } from '../bench/syscalls.js';
import { auditFileRecords } from '../support/audit-records.js';

describe('bench: the audited relay records each statement before forwarding it (real PostgreSQL)', function () {
  this.timeout(120_000);
  let s: LocalStack;
  let relay: { child: ChildProcess; port: number };
  let client: pg.Client;
  const auditFile = join(mkdtempSync(join(tmpdir(), 'agentgate-relay-')), 'relay-audit.log');

  before(async () => {
    s = await startLocalStack();
    const repo = resolve(import.meta.dirname, '../..');
    relay = await auditedRelay(s.postgres.port, repo, auditFile, ['--import', 'tsx']);
    client = new pg.Client({
      host: '127.0.0.1',
      port: relay.port,
      user: 'agent',
      database: 'billing',
      password: AGENT_DB_PASSWORD,
    });
    await client.connect();
  });
  after(async () => {
    await client?.end().catch(() => undefined);
    relay?.child.kill();
    await s?.stop();
  });

  const decisions = (): { text: string; protocol: string }[] =>
    (existsSync(auditFile) && readFileSync(auditFile, 'utf8') ? auditFileRecords(auditFile) : [])
      .filter((r) => r.event.action === 'statement.decision')
      .map((r) => ({ text: r.db!.query!.text, protocol: r.protocol! }));

  it('records a simple Query before its answer is back', async () => {
    const before = decisions().length;
    const r = await client.query('SELECT 41 + 1 AS n');
    expect(r.rows).to.deep.equal([{ n: 42 }]);
    expect(decisions().slice(before)).to.deep.equal([{ text: 'SELECT 41 + 1 AS n', protocol: 'simple' }]);
  });

  it('records every Execute of unnamed and named prepared statements', async () => {
    const before = decisions().length;
    for (const v of [1, 2]) {
      expect((await client.query('SELECT $1::int AS v', [v])).rows).to.deep.equal([{ v }]);
      expect((await client.query({ name: 'named', text: 'SELECT $1::int * 2 AS v', values: [v] })).rows).to.deep.equal([
        { v: v * 2 },
      ]);
    }
    expect(decisions().slice(before)).to.deep.equal([
      { text: 'SELECT $1::int AS v', protocol: 'extended' },
      { text: 'SELECT $1::int * 2 AS v', protocol: 'extended' },
      { text: 'SELECT $1::int AS v', protocol: 'extended' },
      { text: 'SELECT $1::int * 2 AS v', protocol: 'extended' },
    ]);
  });

  it('passes psql through: its SSLRequest, the startup, a two-statement Query', () => {
    const before = decisions().length;
    const out = spawnSync(
      'psql',
      ['-h', '127.0.0.1', '-p', String(relay.port), '-U', 'agent', '-d', 'billing', '-At', '-c', 'SELECT 7; SELECT 8'],
      {
        env: { ...process.env, PGPASSWORD: AGENT_DB_PASSWORD, PGSSLMODE: 'prefer' },
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    expect(out.status, out.stderr).to.equal(0);
    expect(out.stdout.trim().split('\n')).to.deep.equal(['7', '8']);
    expect(decisions().slice(before)).to.deep.equal([{ text: 'SELECT 7; SELECT 8', protocol: 'simple' }]);
  });

  it('writes a chain that audit verify accepts', () => {
    const v = verifyAuditFile(auditFile);
    expect(v.ok, JSON.stringify(v.broken)).to.equal(true);
    expect(v.records).to.equal(decisions().length);
  });
});
