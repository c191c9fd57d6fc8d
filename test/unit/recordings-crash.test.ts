/**
 * Session recordings after a crash: the state a SIGKILL leaves (chain whole, recordings without their
 * batched tail) is reported as incomplete, not as tampering; the restart completes the recordings from
 * the chain with a chained record saying so; edits stay detected before and after.
 */
import { expect } from 'chai';
import { cpSync, existsSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../proxy/audit/audit-log.js';
import { recordingFile, verifyRecordings } from '../../proxy/audit/recordings.js';
import { readRecords } from '../../proxy/audit/sessions.js';
import { verifyAuditFile } from '../../proxy/audit/verify.js';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const C = '33333333-3333-4333-8333-333333333333';

describe('session recordings after a crash', () => {
  let crashed: string;
  const recDir = (d: string): string => join(d, 'sessions', 'audit.log');
  const verify = (d: string) => verifyRecordings(recDir(d), readRecords([join(d, 'audit.log')]));
  const restart = (d: string): AuditLog =>
    new AuditLog({ file: join(d, 'audit.log'), recordingsDir: join(d, 'sessions') });
  /** A copy of the crashed state to attack or restart. */
  const copy = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'agentgate-crash-'));
    cpSync(crashed, d, { recursive: true });
    return d;
  };

  before(() => {
    // A running proxy: some recording lines written out, the last ones still batched in memory. The
    // files as they are at that instant are what a SIGKILL leaves.
    const live = mkdtempSync(join(tmpdir(), 'agentgate-live-'));
    const audit = new AuditLog({ file: join(live, 'audit.log'), recordingsDir: join(live, 'sessions') });
    audit.append({ event: { action: 'proxy.start' } });
    const a = audit.scope({ session: { id: A }, target: 'db' });
    const b = audit.scope({ session: { id: B }, target: 'db' });
    a.append({ event: { action: 'connection.open' } });
    b.append({ event: { action: 'connection.open' } });
    a.append({ event: { action: 'statement.decision' }, db: { query: { text: 'SELECT 1' } }, decision: 'Allow' });
    audit.flush();
    for (let i = 0; i < 5; i++)
      a.append({ event: { action: 'statement.decision' }, db: { query: { text: `SELECT ${i}` } }, decision: 'Allow' });
    b.append({
      event: { action: 'statement.decision' },
      db: { query: { text: 'DELETE FROM t' } },
      decision: 'Deny',
      enforced: true,
    });
    audit.scope({ session: { id: C }, target: 'db' }).append({ event: { action: 'connection.open' } });
    audit.flush = () => undefined;
    crashed = mkdtempSync(join(tmpdir(), 'agentgate-crashed-'));
    cpSync(live, crashed, { recursive: true });
    audit.close();
  });

  it('before the restart: the chain verifies, and recordings missing only their tail are reported as incomplete, not failed', () => {
    expect(verifyAuditFile(join(crashed, 'audit.log')).ok).to.equal(true);
    const v = verify(crashed);
    expect(v.problems).to.deep.equal([]);
    expect(v.ok).to.equal(true);
    expect(v.incomplete).to.have.length(3);
    expect(v.incomplete.join('\n'))
      .to.contain(`recording ${A}.jsonl: its last 5 record(s)`)
      .and.contain(`session ${C} has no recording`);
  });

  it('the restart completes the recordings from the chain, byte for byte, and records it in the chain', () => {
    const d = copy();
    const audit = restart(d);
    audit.append({ event: { action: 'proxy.start' } });
    audit.close();
    const chain = readRecords([join(d, 'audit.log')]);
    const repair = chain.find((r) => r.event.action === 'audit.recordings-repaired')!;
    expect(repair.detail).to.deep.include({
      recordings: [
        { session: A, lines: 5, fromSeq: 5 },
        { session: B, lines: 1, fromSeq: 10 },
        { session: C, lines: 1, fromSeq: 11 },
      ],
    });
    expect(verifyAuditFile(join(d, 'audit.log')).ok).to.equal(true);
    const v = verify(d);
    expect(v).to.deep.include({
      ok: true,
      problems: [],
      incomplete: [],
      repaired: [{ seq: repair.seq, sessions: 3, lines: 7 }],
    });
    const chainLines = readFileSync(join(d, 'audit.log'), 'utf8').split('\n');
    for (const l of readFileSync(recordingFile(recDir(d), A), 'utf8')
      .trim()
      .split('\n'))
      expect(chainLines).to.include(l);
    // A second restart has nothing to repair and writes no record.
    restart(d).close();
    expect(
      readRecords([join(d, 'audit.log')]).filter((r) => r.event.action === 'audit.recordings-repaired'),
    ).to.have.length(1);
  });

  it('a batch cut mid-line is completed too', () => {
    const d = copy();
    const file = recordingFile(recDir(d), A);
    truncateSync(file, readFileSync(file).length - 40);
    expect(verify(d).ok).to.equal(false); // a cut line is not a line of the chain
    restart(d).close();
    const repair = readRecords([join(d, 'audit.log')]).find((r) => r.event.action === 'audit.recordings-repaired')!;
    expect((repair.detail as { recordings: unknown[] }).recordings).to.deep.include({
      session: A,
      lines: 6,
      fromSeq: 4,
      torn: true,
    });
    expect(verify(d)).to.deep.include({ ok: true, problems: [] });
  });

  it('an altered line fails before and after the restart, which leaves that recording as found', () => {
    const d = copy();
    const file = recordingFile(recDir(d), A);
    writeFileSync(file, readFileSync(file, 'utf8').replace('SELECT 1', 'SELECT 2'));
    expect(verify(d).problems.join('\n')).to.contain(`recording ${A}.jsonl line 2: altered`);
    restart(d).close();
    const repair = readRecords([join(d, 'audit.log')]).find((r) => r.event.action === 'audit.recordings-repaired')!;
    expect(repair.event.outcome).to.equal('failure');
    expect((repair.detail as { skipped: { session: string }[] }).skipped.map((s) => s.session)).to.deep.equal([A]);
    const v = verify(d);
    expect(v.ok).to.equal(false);
    expect(v.problems.join('\n')).to.contain(`recording ${A}.jsonl line 2: altered`);
  });

  it('a line removed from the middle is not a crash: it fails', () => {
    const d = copy();
    const file = recordingFile(recDir(d), A);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).to.have.length(2);
    writeFileSync(file, `${lines[1]}\n`);
    expect(verify(d).problems.join('\n')).to.contain(
      `recording ${A}.jsonl: missing the chain's records seq 2, 5, 6, 7, 8, 9`,
    );
  });

  it('a tail removed after the repair, or after a clean stop, fails', () => {
    const d = copy();
    restart(d).close();
    const file = recordingFile(recDir(d), A);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    writeFileSync(file, `${lines.slice(0, -1).join('\n')}\n`);
    expect(verify(d).problems.join('\n')).to.match(
      /missing the chain's records seq 9 \(the restart at seq 12 completed the recordings from the chain: removed since\)/,
    );

    const clean = mkdtempSync(join(tmpdir(), 'agentgate-clean-'));
    const audit = restart(clean);
    audit.scope({ session: { id: A } }).append({ event: { action: 'connection.open' } });
    audit.scope({ session: { id: A } }).append({ event: { action: 'statement.decision' } });
    audit.append({ event: { action: 'proxy.stop' } });
    audit.close();
    const f2 = recordingFile(recDir(clean), A);
    writeFileSync(f2, `${readFileSync(f2, 'utf8').split('\n')[0]}\n`);
    expect(verify(clean).problems.join('\n')).to.contain('the proxy stopped cleanly at seq 3');
    expect(existsSync(f2)).to.equal(true);
  });

  it('looks only at the last run: an earlier run that stopped cleanly is not read, lines longer than a read chunk are copied whole', () => {
    const d = mkdtempSync(join(tmpdir(), 'agentgate-runs-'));
    const first = restart(d);
    first.append({ event: { action: 'proxy.start' } });
    first.scope({ session: { id: A } }).append({ event: { action: 'connection.open' } });
    first.append({ event: { action: 'proxy.stop' } });
    first.close();
    // A clean stop leaves nothing to repair.
    restart(d).close();
    expect(readRecords([join(d, 'audit.log')]).map((r) => r.event.action)).to.deep.equal([
      'proxy.start',
      'connection.open',
      'proxy.stop',
    ]);
    const second = restart(d);
    second.append({ event: { action: 'proxy.start' } });
    const b = second.scope({ session: { id: B } });
    b.append({ event: { action: 'connection.open' } });
    second.flush();
    b.append({ event: { action: 'statement.decision' }, db: { query: { text: `SELECT '${'x'.repeat(3 << 20)}'` } } });
    b.append({ event: { action: 'statement.decision' }, db: { query: { text: 'SELECT 2' } } });
    const crash = mkdtempSync(join(tmpdir(), 'agentgate-runs-crashed-'));
    cpSync(d, crash, { recursive: true });
    second.close();
    restart(crash).close();
    const repair = readRecords([join(crash, 'audit.log')]).find((r) => r.event.action === 'audit.recordings-repaired')!;
    expect(repair.detail).to.deep.equal({ recordings: [{ session: B, lines: 2, fromSeq: 6 }] });
    expect(verify(crash)).to.deep.include({ ok: true, problems: [], incomplete: [] });
  });
});
