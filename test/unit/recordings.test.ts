/** Session recordings: copies of each session's chained lines, checked against the chain. */
import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../proxy/audit/audit-log.js';
import { recordingFile, SessionRecordings, verifyRecordings } from '../../proxy/audit/recordings.js';
import { readRecords, renderSession } from '../../proxy/audit/sessions.js';

describe('session recordings', () => {
  let dir: string;
  /** The audit log's own recordings directory (sessions/<audit file name>/). */
  let recDir: string;
  const A = '11111111-1111-4111-8111-111111111111';
  const B = '22222222-2222-4222-8222-222222222222';

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agentgate-rec-'));
    recDir = join(dir, 'sessions', 'audit.log');
    const audit = new AuditLog({ file: join(dir, 'audit.log'), recordingsDir: join(dir, 'sessions') });
    audit.append({ event: { action: 'proxy.start' } });
    const a = audit.scope({ session: { id: A }, principal: { iss: 'i', sub: 'agent-a' }, target: 'db' });
    const b = audit.scope({ session: { id: B }, principal: { iss: 'i', sub: 'agent-b' }, target: 'db' });
    a.append({ event: { action: 'connection.open' } });
    b.append({ event: { action: 'connection.open' } });
    const d = a.append({
      event: { action: 'statement.decision' },
      db: { query: { text: 'SELECT email FROM customers' } },
      decision: 'Allow',
      enforced: false,
      rule: { name: 'defaultAction' },
      effects: ['read'],
    });
    b.append({
      event: { action: 'statement.decision' },
      db: { query: { text: 'DELETE FROM orders' } },
      decision: 'Deny',
      enforced: true,
      rule: { name: 'no-unbounded-writes' },
      effects: ['write'],
    });
    a.defer({
      event: { action: 'statement.completion', duration: 1200000 },
      decisionSeq: d.seq,
      db: { operation: { name: 'SELECT' }, response: { returned_rows: 3 } },
      maskedValues: 3,
    });
    a.append({ event: { action: 'connection.close' }, message: 'client closed' });
    b.append({ event: { action: 'connection.close' }, message: 'client closed' });
    audit.append({ event: { action: 'proxy.stop' } });
    audit.close();
  });

  it('writes one file per session with exactly its chained lines, and verifies them', () => {
    const chain = readRecords([join(dir, 'audit.log')]);
    const recA = readFileSync(recordingFile(recDir, A), 'utf8').trim().split('\n');
    expect(recA.map((l) => JSON.parse(l).event.action)).to.deep.equal([
      'connection.open',
      'statement.decision',
      'statement.completion',
      'connection.close',
    ]);
    const chainLines = readFileSync(join(dir, 'audit.log'), 'utf8').trim().split('\n');
    for (const l of recA) expect(chainLines).to.include(l); // byte-identical copies
    expect(verifyRecordings(recDir, chain)).to.deep.include({
      ok: true,
      sessions: 2,
      lines: 7,
      foreign: 0,
      problems: [],
    });
    expect(
      renderSession(
        recA.map((l) => JSON.parse(l)),
        A,
      ),
    ).to.match(/allowed .*SELECT email FROM customers\n\s+→ SELECT 3 rows, 3 masked, 1.2 ms/);
  });

  it('detects an edited, a removed and a foreign line, and a missing recording', () => {
    const chain = readRecords([join(dir, 'audit.log')]);
    const f = recordingFile(recDir, A);
    const lines = readFileSync(f, 'utf8').trim().split('\n');
    writeFileSync(f, `${[lines[0], lines[1]!.replace('"rows":3', '"rows":0'), lines[2], lines[3]].join('\n')}\n`);
    writeFileSync(
      f,
      `${[lines[0], lines[1], lines[2]!.replace('"maskedValues":3', '"maskedValues":0'), lines[3]].join('\n')}\n`,
    );
    expect(verifyRecordings(recDir, chain, A).problems[0]).to.match(/line 3: altered/);
    writeFileSync(f, `${[lines[0], lines[2], lines[3]].join('\n')}\n`);
    expect(verifyRecordings(recDir, chain, A).problems[0]).to.match(/missing the chain's records seq 4/);
    const bLine = readFileSync(recordingFile(recDir, B), 'utf8').split('\n')[1]!;
    writeFileSync(f, `${[...lines, bLine].join('\n')}\n`);
    expect(verifyRecordings(recDir, chain, A).problems.join('\n')).to.contain(`belongs to session ${B}`);
    expect(verifyRecordings(join(dir, 'empty'), chain).problems).to.have.length(2);
  });

  it('a session id that is not a plain name gets no recording, however often its lines come', () => {
    const out = mkdtempSync(join(tmpdir(), 'agentgate-rec-ids-'));
    const recordings = new SessionRecordings(join(out, 'sessions'));
    for (const id of ['../escape', 'a/b', '', 'x'.repeat(65), '..'])
      for (let i = 0; i < 40; i++) recordings.add(id, `{"line":${i}}`, i === 39);
    recordings.add('ok-1', '{"line":0}', true);
    recordings.close();
    expect(readdirSync(join(out, 'sessions'))).to.deep.equal(['ok-1.jsonl']);
    expect(readdirSync(out)).to.deep.equal(['sessions']);
  });
});
