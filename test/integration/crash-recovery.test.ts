/**
 * Crashes raise no false alarm: the proxy (the CLI, in its own process) is killed with SIGKILL under
 * load. Every statement that reached PostgreSQL (the server's own statement log) has its decision
 * record in the chain; `audit verify` passes before the restart (recordings cut by the crash reported,
 * not failed) and after it (the restart completed them from the chain and recorded so).
 */
import { expect } from 'chai';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../../proxy/local/embedded-postgres.js';
import { AGENT_DB_PASSWORD, startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { readRecords } from '../../proxy/audit/sessions.js';
import { verifyRecordings } from '../../proxy/audit/recordings.js';
import { eventually } from '../support/eventually.js';

const run = promisify(execFile);
const BIN = new URL('../../bin/agentgate.js', import.meta.url).pathname;
/** The marker each driven statement carries (a column alias: it survives into the audit text). */
const MARK = /\bcrash_mark_(\d+)_(\d+)\b/;

describe('crash recovery: SIGKILL under load', function () {
  this.timeout(180_000);
  let s: LocalStack;
  const pgLog: string[] = [];
  let dir: string;
  let auditFile: string;
  let policyFile: string;
  let port: number;

  const startProxy = async (): Promise<ChildProcess> => {
    const child = spawn(
      process.execPath,
      [BIN, 'proxy', '--policy', policyFile, '--audit-file', auditFile, '--no-audit-stdout'],
      {
        env: { ...process.env, BILLING_DB_PASSWORD: AGENT_DB_PASSWORD },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const seen = (d: Buffer): void => {
        out += d.toString();
        if (out.includes('ready')) resolve();
      };
      child.stdout!.on('data', seen);
      child.stderr!.on('data', seen);
      child.once('exit', (code) => reject(new Error(`proxy exited ${code}: ${out}`)));
    });
    return child;
  };
  const verify = async (): Promise<{ code: number; out: string }> => {
    try {
      return { code: 0, out: (await run(process.execPath, [BIN, 'audit', 'verify', auditFile])).stdout };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, out: `${err.stdout}${err.stderr}` };
    }
  };

  before(async () => {
    s = await startLocalStack({
      postgres: { postgresFlags: ['-c', 'log_statement=all'], log: (l) => pgLog.push(String(l)) },
    });
    await s.proxy.stop(); // the proxy under test runs in its own process
    dir = join(s.dir, 'crash');
    mkdirSync(dir);
    auditFile = join(dir, 'audit.log');
    port = await freePort();
    const policy = structuredClone(s.policy);
    policy.spec.targets[0]!.listen = `127.0.0.1:${port}`;
    policyFile = join(dir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify(policy));
  });
  after(() => s?.postgres.stop());

  /** The markers of the driven statements PostgreSQL logged (log_statement=all) so far. */
  const reachedMarks = (): Set<string> =>
    new Set(
      pgLog
        .join('') // chunks of the server's stderr, a line possibly split between two
        .split('\n')
        .filter((l) => /statement: |execute /.test(l))
        .map((l) => MARK.exec(l)?.[0])
        .filter((m): m is string => !!m),
    );

  it('every statement PostgreSQL ran has its record; audit verify passes before and after the restart', async () => {
    const recDir = join(dir, 'sessions', 'audit.log');
    const proxy = await startProxy();
    const exited = new Promise((r) => proxy.once('exit', r));
    let stop = false;
    const connect = async (): Promise<pg.Client> => {
      const c = new pg.Client({
        host: '127.0.0.1',
        port,
        user: 'agent',
        database: 'billing',
        password: await s.token('crash-agent'),
      });
      c.on('error', () => undefined);
      await c.connect();
      return c;
    };
    const clients = await Promise.all(Array.from({ length: 6 }, connect));
    const sent = [0, 0, 0, 0, 0, 0];
    const load = clients.map(async (c, i) => {
      while (!stop) {
        try {
          await c.query(`SELECT id AS crash_mark_${i}_${sent[i]!++} FROM customers ORDER BY id LIMIT 1`);
        } catch {
          return;
        }
      }
    });
    const refused = await connect();
    await eventually('over 50 statements in the server log', () => reachedMarks().size > 50, { timeoutMs: 60_000 });
    // Recordings written before the crash: `audit verify` checks recordings only where some exist (a
    // proxy run without recordings leaves none), so a crash before the first write would cut none.
    const recordingsWritten = (): boolean =>
      existsSync(recDir) && readdirSync(recDir).some((f) => f.endsWith('.jsonl'));
    await eventually('a recording written', recordingsWritten, { timeoutMs: 60_000 });
    // The kill is made at a moment the recordings are behind the chain, so that it cuts one: as a refusal
    // reaches its client (its recording line waits up to 100 ms for the recordings' next write, even if
    // PostgreSQL stalled the load), the proxy is stopped (SIGSTOP: it writes nothing meanwhile) and the
    // files compared; if a loaded machine let that write happen first, it goes on to the next refusal.
    for (let attempt = 1; ; attempt++) {
      const denial = await refused.query('DROP TABLE customers').then(
        () => 'ran',
        (e: Error) => e.message,
      );
      expect(denial).to.contain('DDL is not allowed');
      proxy.kill('SIGSTOP');
      if (recordingsWritten() && verifyRecordings(recDir, readRecords([auditFile])).incomplete.length > 0) break;
      if (attempt === 100) throw new Error('the recordings were never behind the chain at a refusal');
      proxy.kill('SIGCONT');
    }
    proxy.kill('SIGKILL');
    await exited;
    stop = true;
    await Promise.all(load);
    // The server's log lines of the last statements: its backends of the killed proxy's sessions have
    // ended (all they wrote is in the log pipe), then a statement logged after them has been read.
    const d = await s.direct();
    await eventually('the killed sessions ended in PostgreSQL', async () => {
      const r = await d.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
      );
      return r.rows[0].n === 0;
    });
    await d.query("SELECT 'crash_log_read_up_to_here'");
    await d.end();
    await eventually('the server log read up to now', () => pgLog.join('').includes('crash_log_read_up_to_here'));

    // What reached PostgreSQL, from its own statement log, against the decisions in the chain.
    const reached = reachedMarks();
    expect(reached.size).to.be.greaterThan(50);
    const records = readRecords([auditFile]);
    const decided = new Set(
      records
        .filter((r) => r.event.action === 'statement.decision' && r.decision === 'Allow')
        .map((r) => MARK.exec(r.db?.query?.text ?? '')?.[0])
        .filter(Boolean),
    );
    const unrecorded = [...reached].filter((m) => !decided.has(m));
    expect(unrecorded, 'statements that reached PostgreSQL without a decision record').to.deep.equal([]);
    expect(records.some((r) => r.event.action === 'proxy.stop')).to.equal(false);

    // Before the restart: the chain is whole; recordings cut by the crash are reported, nothing fails.
    const before = await verify();
    expect(before.code, before.out).to.equal(0);
    expect(before.out, before.out).to.contain('chain intact').and.contain('incomplete after a crash, nothing altered');

    // The restart completes the recordings from the chain and says so in the chain.
    const again = await startProxy();
    const c = await connect();
    await c.query('SELECT 1');
    await c.end();
    const done = new Promise((r) => again.once('exit', r));
    again.kill('SIGTERM');
    await done;
    const repair = readRecords([auditFile]).filter((r) => r.event.action === 'audit.recordings-repaired');
    expect(repair).to.have.length(1);
    expect(repair[0]!.event.outcome).to.equal('success');
    const after = await verify();
    expect(after.code, after.out).to.equal(0);
    expect(after.out)
      .to.match(/note: \d+ session recording\(s\) were completed from the chain after a crash/)
      .and.not.contain('incomplete after a crash');
    // Every recording now holds exactly its session's chained lines.
    const chainLines = new Set(readFileSync(auditFile, 'utf8').split('\n'));
    for (const f of readdirSync(recDir))
      for (const l of readFileSync(join(recDir, f), 'utf8').trim().split('\n'))
        expect(chainLines.has(l)).to.equal(true);
  });
});
