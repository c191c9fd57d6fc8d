/**
 * `audit verify --witness` against a log that is not the witnessed chain: a fabricated log, a forged
 * chain appended to a real one, a removed checkpoint line, a cut-off or padded tail. And two proxies
 * whose audit files share a directory: each log's recordings are its own.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { verifyAll, verified, type FullVerification } from '../../cli/commands/audit.js';
import { AuditLog } from '../../proxy/audit/audit-log.js';
import { Checkpointer } from '../../proxy/audit/checkpoints.js';
import { FileWitness } from '../../proxy/audit/witnesses.js';

const run = promisify(execFile);
const BIN = new URL('../../bin/agentgate.js', import.meta.url).pathname;
const STREAM = 'local/billing-agent';
const T0 = Date.parse('2026-11-30T06:00:00.000Z');

describe('audit verify: a log that is not the witnessed chain fails', function () {
  this.timeout(30_000);
  let dir: string;
  let witnessFile: string;
  let t: number;
  const now = (): Date => new Date(t);

  /** A proxy's run as the server writes it: proxy.start naming the stream, a checkpoint at start, decisions, a checkpoint, stop. */
  const proxyRun = async (file: string, stream = STREAM, sessions: string[] = []): Promise<void> => {
    const audit = new AuditLog({ file, recordingsDir: join(dir, 'sessions'), now });
    const cp = new Checkpointer({
      audit,
      witness: new FileWitness({ file: witnessFile, keyDir: join(dir, 'witness'), now }),
      stream,
      everyMs: 60_000,
    });
    audit.append({ event: { action: 'proxy.start' }, detail: { stream } });
    cp.start();
    await cp.checkpoint();
    for (const id of sessions) {
      const s = audit.scope({ session: { id }, principal: { iss: 'i', sub: `agent-${id.slice(0, 4)}` }, target: 'db' });
      s.append({ event: { action: 'connection.open' } });
      s.append({
        event: { action: 'statement.decision' },
        db: { query: { text: 'DELETE FROM orders' } },
        decision: 'Deny',
        enforced: true,
        rule: { name: 'no-unbounded-writes' },
      });
      s.append({ event: { action: 'connection.close' } });
    }
    t += 10_000;
    for (let i = 0; i < 3; i++)
      audit.append({
        event: { action: 'statement.decision' },
        db: { query: { text: `SELECT ${i}` } },
        decision: 'Allow',
        rule: { name: 'r' },
      });
    await cp.checkpoint();
    audit.append({
      event: { action: 'statement.decision' },
      db: { query: { text: 'DROP TABLE orders' } },
      decision: 'Deny',
      enforced: true,
      rule: { name: 'no-ddl' },
    });
    audit.append({ event: { action: 'proxy.stop' } });
    await cp.stop();
    audit.close();
  };
  /** A chain with valid hashes written by no witnessed proxy (what an attacker with write access can make). */
  const fabricate = (file: string, detail?: Record<string, unknown>): void => {
    const audit = new AuditLog({ file, now });
    audit.append({ event: { action: 'proxy.start' }, ...(detail ? { detail } : {}) });
    for (let i = 0; i < 4; i++)
      audit.append({
        event: { action: 'statement.decision' },
        db: { query: { text: `SELECT ${i}` } },
        decision: 'Allow',
        rule: { name: 'r' },
      });
    audit.close();
  };
  const verify = (files: string[], o: { stream?: string } = {}): Promise<FullVerification> =>
    verifyAll(files, { witnessFile, cluster: false, operatorNamespace: 'agentgate-system', ...o });
  const problems = (v: FullVerification): string =>
    [
      ...v.chains.flatMap((c) => [...(c.broken ? [c.broken.reason] : []), ...(c.checkpoints?.problems ?? [])]),
      ...v.split.problems,
      ...v.recordings.flatMap((r) => r.problems),
    ].join('\n');
  const cli = async (args: string[]): Promise<{ code: number; stdout: string }> => {
    try {
      return { code: 0, stdout: (await run(process.execPath, [BIN, ...args])).stdout };
    } catch (e) {
      return { code: (e as { code: number }).code, stdout: (e as { stdout: string }).stdout };
    }
  };
  const lines = (f: string): string[] => readFileSync(f, 'utf8').trimEnd().split('\n');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agentgate-verify-attacks-'));
    witnessFile = join(dir, 'witness', 'checkpoints.jsonl');
    t = T0;
  });

  it('an intact witnessed log passes, its short tail reported', async () => {
    await proxyRun(join(dir, 'audit.log'));
    const r = await cli(['audit', 'verify', join(dir, 'audit.log'), '--witness', witnessFile]);
    expect(r.code, r.stdout).to.equal(0);
    expect(r.stdout).to.match(
      /ok: stream local\/billing-agent: 3 signed checkpoint\(s\) verify; the witness's latest head \(seq 8, .*\) is in the log; 1 record\(s\) after the last signed head/,
    );
  });

  it('a fabricated log (a fresh chain with valid hashes naming no stream) fails, with its file and line', async () => {
    await proxyRun(join(dir, 'audit.log'));
    const fake = join(dir, 'fake.log');
    fabricate(fake);
    const r = await cli(['audit', 'verify', fake, '--witness', witnessFile]);
    expect(r.code, r.stdout).to.equal(1);
    expect(r.stdout)
      .to.contain(`the chain starting at seq 1 (${fake} line 1) names no stream`)
      .and.contain('the witness never signed it');
  });

  it('a fabricated log naming a stream the witness never signed fails', async () => {
    await proxyRun(join(dir, 'audit.log'));
    const fake = join(dir, 'fake.log');
    fabricate(fake, { stream: 'local/ghost' });
    const v = await verify([fake]);
    expect(verified(v)).to.equal(false);
    expect(problems(v))
      .to.contain('stream local/ghost (chain starting at seq 1')
      .and.contain('the witness holds no checkpoint of this stream');
  });

  it('a forged chain appended to a real witnessed log fails (it does not descend from the witnessed head)', async () => {
    const file = join(dir, 'audit.log');
    await proxyRun(file);
    const forged = join(dir, 'forged.log');
    fabricate(forged);
    appendFileSync(file, readFileSync(forged));
    const r = await cli(['audit', 'verify', file, '--witness', witnessFile]);
    expect(r.code, r.stdout).to.equal(1);
    expect(r.stdout).to.contain('2 chains in 1 file(s)').and.contain('ok: stream local/billing-agent');
    expect(r.stdout).to.contain(`the chain starting at seq 1 (${file} line 10) names no stream`);
  });

  it('a forged chain naming the real stream, appended to the real log, fails', async () => {
    const file = join(dir, 'audit.log');
    await proxyRun(file);
    const forged = join(dir, 'forged.log');
    fabricate(forged, { stream: STREAM });
    appendFileSync(file, readFileSync(forged));
    const v = await verify([file]);
    expect(verified(v)).to.equal(false);
    expect(problems(v)).to.match(
      /is not the one that was signed|truncated: the witness signed seq 8 of stream local\/billing-agent/,
    );
  });

  it('a log whose last checkpoint line was removed fails', async () => {
    const file = join(dir, 'audit.log');
    await proxyRun(file);
    writeFileSync(file, `${lines(file).slice(0, -1).join('\n')}\n`);
    const r = await cli(['audit', 'verify', file]);
    expect(r.code, 'the hash chain alone accepts it').to.equal(0);
    const v = await verify([file]);
    expect(verified(v)).to.equal(false);
    expect(problems(v)).to.contain(
      `stream local/billing-agent: the log ends at the witnessed head seq 8 (${file} line 8) without the checkpoint record written for it`,
    );
  });

  it('a log whose last witnessed head was cut off fails', async () => {
    const file = join(dir, 'audit.log');
    await proxyRun(file);
    writeFileSync(file, `${lines(file).slice(0, -2).join('\n')}\n`);
    const v = await verify([file]);
    expect(verified(v)).to.equal(false);
    expect(problems(v)).to.contain('truncated: the witness signed seq 8 of stream local/billing-agent');
  });

  it('a tail appended after the last witnessed head (linked by hash) fails once it runs past one checkpoint interval', async () => {
    const file = join(dir, 'audit.log');
    await proxyRun(file);
    // The attacker continues the real chain as a restart would (after a shutdown only a proxy.start may
    // follow): the AuditLog resumes from the file's last line.
    t += 20_000;
    const audit = new AuditLog({ file, now });
    audit.append({ event: { action: 'proxy.start' }, detail: { stream: STREAM } });
    audit.append({
      event: { action: 'statement.decision' },
      db: { query: { text: 'SELECT 1' } },
      decision: 'Allow',
      rule: { name: 'r' },
    });
    audit.close();
    const within = await verify([file]);
    expect(problems(within)).to.equal('');
    expect(within.chains[0]!.checkpoints!.unwitnessedTail).to.equal(3);

    t += 5 * 60_000;
    const later = new AuditLog({ file, now });
    later.append({
      event: { action: 'statement.decision' },
      db: { query: { text: 'SELECT 2' } },
      decision: 'Allow',
      rule: { name: 'r' },
    });
    later.close();
    const v = await verify([file]);
    expect(verified(v)).to.equal(false);
    expect(problems(v)).to.match(
      /stream local\/billing-agent: unwitnessed tail: 4 record\(s\) follow the witness's latest head seq 8 \(.*line 8\); they run from seq 10 \(.*line 10\) at 2026-11-30T06:00:30.000Z to seq 12 \(.*line 12\) at 2026-11-30T06:05:30.000Z, longer than one checkpoint interval \(60 s\) \+ 30 s/,
    );
  });

  it('a proxy restarted an hour after its shutdown, then stopped dead within an interval of its last records, verifies', async () => {
    const file = join(dir, 'audit.log');
    await proxyRun(file);
    t += 3600_000;
    const audit = new AuditLog({ file, now });
    audit.append({ event: { action: 'proxy.start' }, detail: { stream: STREAM } }); // restarted, the witness not reached yet
    for (let i = 0; i < 3; i++) {
      t += 15_000;
      audit.append({
        event: { action: 'statement.decision' },
        db: { query: { text: `SELECT ${i}` } },
        decision: 'Allow',
        rule: { name: 'r' },
      });
    }
    audit.close(); // no checkpoint: killed before the next tick
    const v = await verify([file]);
    expect(problems(v)).to.equal('');
    expect(v.chains[0]!.checkpoints!.unwitnessedTail).to.equal(5);
  });

  describe('two proxies whose audit files share a directory', () => {
    const A = ['aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000002'];
    const B = ['bbbbbbbb-0000-4000-8000-000000000001'];
    const a = (): string => join(dir, 'a.log');
    const b = (): string => join(dir, 'b.log');
    beforeEach(async () => {
      await proxyRun(a(), 'local/a', A);
      await proxyRun(b(), 'local/b', B);
    });

    it('each log records into its own directory and verifies with its recordings', async () => {
      expect(readdirSync(join(dir, 'sessions')).sort()).to.deep.equal(['a.log', 'b.log']);
      for (const [file, ids] of [
        [a(), A],
        [b(), B],
      ] as const) {
        const r = await cli(['audit', 'verify', file, '--witness', witnessFile]);
        expect(r.code, r.stdout).to.equal(0);
        expect(r.stdout).to.contain(
          `ok: ${ids.length} session recording(s) in ${join(dir, 'sessions', file.slice(dir.length + 1))}`,
        );
      }
      const both = await verify([a(), b()]);
      expect(problems(both)).to.equal('');
      expect(both.recordings.map((r) => [r.logs, r.sessions])).to.deep.equal([
        [['a.log'], 2],
        [['b.log'], 1],
      ]);
    });

    it('a rotated log keeps one recordings directory, named after its live file', async () => {
      const file = join(dir, 'rotating.log');
      const audit = new AuditLog({ file, recordingsDir: join(dir, 'sessions'), maxBytes: 600, now });
      const sess = audit.scope({ session: { id: A[0]! }, principal: { iss: 'i', sub: 'agent' }, target: 'db' });
      sess.append({ event: { action: 'connection.open' } });
      for (let i = 0; i < 6; i++)
        sess.append({
          event: { action: 'statement.decision' },
          db: { query: { text: `SELECT ${i}` } },
          decision: 'Allow',
          rule: { name: 'r' },
        });
      sess.append({ event: { action: 'connection.close' } });
      audit.close();
      const files = readdirSync(dir)
        .filter((f) => f.startsWith('rotating.log'))
        .sort()
        .map((f) => join(dir, f));
      expect(files.length).to.be.greaterThan(2);
      const v = await verifyAll([...files.slice(1), files[0]!], {
        cluster: false,
        operatorNamespace: 'agentgate-system',
      });
      expect(problems(v)).to.equal('');
      expect(v.recordings.map((r) => [r.logs, r.dir, r.sessions, r.lines])).to.deep.equal([
        [['rotating.log'], join(dir, 'sessions', 'rotating.log'), 1, 8],
      ]);
    });

    it("the layout before (every recording directly in sessions/) still verifies: the other log's recordings are ignored", async () => {
      for (const log of ['a.log', 'b.log']) {
        for (const f of readdirSync(join(dir, 'sessions', log)))
          renameSync(join(dir, 'sessions', log, f), join(dir, 'sessions', f));
        rmSync(join(dir, 'sessions', log), { recursive: true });
      }
      const v = await verify([a()]);
      expect(problems(v)).to.equal('');
      expect(v.recordings[0]).to.deep.include({ sessions: 2, foreign: 1, ok: true });
    });

    it("mixing is detected where it is a real problem: another log's line in this log's recording, a session's recording replaced by another log's, a recording missing", async () => {
      const recA = join(dir, 'sessions', 'a.log', `${A[0]}.jsonl`);
      const recB = join(dir, 'sessions', 'b.log', `${B[0]}.jsonl`);
      const original = readFileSync(recA, 'utf8');
      appendFileSync(recA, lines(recB)[1]! + '\n');
      expect(problems(await verify([a()]))).to.contain(`recording ${A[0]}.jsonl line 4: not in the audit chain`);
      writeFileSync(recA, readFileSync(recB));
      expect(problems(await verify([a()]))).to.contain(`recording ${A[0]}.jsonl line 1: not in the audit chain`);
      writeFileSync(recA, original);
      rmSync(join(dir, 'sessions', 'a.log', `${A[1]}.jsonl`));
      expect(problems(await verify([a()]))).to.contain(
        `session ${A[1]} has no recording in ${join(dir, 'sessions', 'a.log')}`,
      );
      expect(problems(await verify([b()]))).to.equal('');
    });
  });
});
