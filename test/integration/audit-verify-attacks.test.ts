/**
 * Two real proxies (embedded PostgreSQL, real clients) whose audit files and recordings share one
 * directory and one local witness: each log verifies with its own recordings and signed checkpoints;
 * a fabricated log and a forged chain appended to a real one fail through the CLI.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { appendFileSync, copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { AuditLog } from '../../proxy/audit/audit-log.js';
import { FileWitness } from '../../proxy/audit/witnesses.js';
import { AGENT_DB_PASSWORD, startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { GuardProxy } from '../../proxy/server.js';

const run = promisify(execFile);
const BIN = new URL('../../bin/agentgate.js', import.meta.url).pathname;

describe('audit verify: two real proxies in one directory, and logs the witness never signed', function () {
  this.timeout(120_000);
  let s: LocalStack;
  let second: GuardProxy;
  const witness = (): string[] => ['--witness', join(s.dir, 'witness', 'checkpoints.jsonl')];
  const secondLog = (): string => join(s.dir, 'second.log');
  const cli = async (args: string[]): Promise<{ code: number; stdout: string }> => {
    try {
      return { code: 0, stdout: (await run(process.execPath, [BIN, ...args])).stdout };
    } catch (e) {
      return { code: (e as { code: number }).code, stdout: (e as { stdout: string }).stdout };
    }
  };

  before(async () => {
    s = await startLocalStack({ witness: true });
    await s.proxy.checkpointer!.checkpoint();
    second = await GuardProxy.start({
      policy: structuredClone(s.policy),
      auditFile: secondLog(),
      recordingsDir: join(s.dir, 'sessions'),
      env: { BILLING_DB_PASSWORD: AGENT_DB_PASSWORD },
      listenOverride: { 'billing-db': '127.0.0.1:0' },
      checkpoints: {
        stream: 'local/second',
        witness: new FileWitness({ file: join(s.dir, 'witness', 'checkpoints.jsonl'), keyDir: join(s.dir, 'witness') }),
      },
    });
    const { host, port } = second.addresses()[0]!;
    for (let i = 0; i < 2; i++) {
      const a = await s.connect(`agent-a${i}`);
      const b = new pg.Client({
        host,
        port,
        user: 'agent',
        database: 'billing',
        password: await s.token(`agent-b${i}`),
      });
      await b.connect();
      await a.query('SELECT email FROM customers');
      await b.query('SELECT count(*) FROM orders');
      await b.query('DELETE FROM orders').catch(() => undefined);
      await Promise.all([a.end(), b.end()]);
    }
    await Promise.all([s.proxy.stop(), second.stop()]);
  });
  after(() => s?.postgres.stop());

  it('each proxy records into its own directory; each log verifies alone and both together', async () => {
    expect(readdirSync(join(s.dir, 'sessions')).sort()).to.deep.equal(['audit.log', 'second.log']);
    for (const log of ['audit.log', 'second.log']) {
      expect(readdirSync(join(s.dir, 'sessions', log))).to.have.length(2);
      const r = await cli(['audit', 'verify', join(s.dir, log), ...witness()]);
      expect(r.code, r.stdout).to.equal(0);
      expect(r.stdout).to.contain(`ok: 2 session recording(s) in ${join(s.dir, 'sessions', log)}`);
    }
    const both = await cli(['audit', 'verify', s.auditFile, secondLog(), ...witness()]);
    expect(both.code, both.stdout).to.equal(0);
    expect(both.stdout)
      .to.contain('2 chains in 2 file(s)')
      .and.contain('ok: stream local/billing-agent')
      .and.contain('ok: stream local/second');
  });

  it("a recording of one log put in the place of another's fails that log only", async () => {
    const mine = join(s.dir, 'sessions', 'audit.log');
    const theirs = join(s.dir, 'sessions', 'second.log');
    const victim = readdirSync(mine)[0]!;
    const original = readFileSync(join(mine, victim));
    copyFileSync(join(theirs, readdirSync(theirs)[0]!), join(mine, victim));
    try {
      const r = await cli(['audit', 'verify', s.auditFile, ...witness()]);
      expect(r.code).to.equal(1);
      expect(r.stdout).to.contain(`recording ${victim} line 1: not in the audit chain`);
      expect((await cli(['audit', 'verify', secondLog(), ...witness()])).code).to.equal(0);
    } finally {
      writeFileSync(join(mine, victim), original);
    }
  });

  it('a fabricated log, and a forged chain appended to the real one, fail', async () => {
    const fake = join(s.dir, 'fake.log');
    const audit = new AuditLog({ file: fake });
    audit.append({ event: { action: 'proxy.start' } });
    audit.append({
      event: { action: 'statement.decision' },
      db: { query: { text: 'SELECT 1' } },
      decision: 'Allow',
      rule: { name: 'defaultAction' },
    });
    audit.close();
    const r = await cli(['audit', 'verify', fake, ...witness()]);
    expect(r.code, r.stdout).to.equal(1);
    expect(r.stdout).to.contain(`the chain starting at seq 1 (${fake} line 1) names no stream`);

    // A copy of the real log (so the other tests keep theirs) with the fabricated chain appended.
    const real = readFileSync(s.auditFile, 'utf8');
    const forged = join(s.dir, 'forged.log');
    writeFileSync(forged, real);
    appendFileSync(forged, readFileSync(fake));
    const p = await cli(['audit', 'verify', forged, ...witness()]);
    expect(p.code, p.stdout).to.equal(1);
    expect(p.stdout)
      .to.contain('ok: stream local/billing-agent')
      .and.contain(`(${forged} line ${real.trimEnd().split('\n').length + 1}) names no stream`);
  });
});
