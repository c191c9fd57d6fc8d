import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../proxy/audit/audit-log.js';
import { verifyAuditFile, verifyAuditFiles } from '../../proxy/audit/verify.js';

describe('hash-chained audit log', () => {
  const file = (): string => join(mkdtempSync(join(tmpdir(), 'agentgate-audit-')), 'audit.log');

  it('chains records and verifies', () => {
    const f = file();
    const log = new AuditLog({ file: f });
    for (let i = 0; i < 5; i++)
      log.append({
        event: { action: 'statement.decision' },
        db: { query: { text: `SELECT ${i}` } },
        decision: 'Allow',
        rule: { name: 'defaultAction' },
      });
    log.close();
    const r = verifyAuditFile(f);
    expect(r).to.include({ ok: true, records: 5 });
  });

  it('continues the chain across restarts', () => {
    const f = file();
    const a = new AuditLog({ file: f });
    a.append({ event: { action: 'proxy.start' } });
    a.close();
    const b = new AuditLog({ file: f });
    const rec = b.append({ event: { action: 'proxy.start' } });
    b.close();
    expect(rec.seq).to.equal(2);
    expect(verifyAuditFile(f).ok).to.equal(true);
  });

  it('names the first altered, removed or reordered line', () => {
    const f = file();
    const log = new AuditLog({ file: f });
    for (let i = 0; i < 4; i++)
      log.append({
        event: { action: 'statement.decision' },
        db: { query: { text: `SELECT ${i}` } },
        decision: 'Deny',
        rule: { name: 'r' },
      });
    log.close();
    const lines = readFileSync(f, 'utf8').trimEnd().split('\n');
    writeFileSync(f, `${[lines[0], lines[1]!.replace('"Deny"', '"Allow"'), lines[2], lines[3]].join('\n')}\n`);
    expect(verifyAuditFile(f).broken).to.deep.include({ line: 2 });
    writeFileSync(f, `${[lines[0], lines[2], lines[3]].join('\n')}\n`);
    const removed = verifyAuditFile(f);
    expect(removed.broken!.line).to.equal(2);
    expect(removed.broken!.reason).to.contain('prevHash');
  });

  it('rotates by size; the chain runs across rotated files, and a missing file is detected', () => {
    const f = file();
    const log = new AuditLog({ file: f, maxBytes: 600 });
    for (let i = 0; i < 12; i++)
      log.append({
        event: { action: 'statement.decision' },
        db: { query: { text: `SELECT ${i}` } },
        decision: 'Allow',
        rule: { name: 'defaultAction' },
      });
    log.close();
    const dir = f.slice(0, f.lastIndexOf('/'));
    const rotated = readdirSync(dir)
      .filter((n) => n.startsWith('audit.log.'))
      .sort()
      .map((n) => join(dir, n));
    expect(rotated.length).to.be.greaterThan(1);
    const all = [...rotated, f];
    expect(verifyAuditFiles(all)).to.include({ ok: true, records: 12 });
    const gap = verifyAuditFiles([all[0]!, ...all.slice(2)]);
    expect(gap.ok).to.equal(false);
    expect(gap.broken!.reason).to.contain('prevHash');
    expect(verifyAuditFiles(all.slice(1)).ok).to.equal(false); // a dropped first file: no genesis
  });

  it('refuses to write when the file cannot be written (the proxy then denies)', () => {
    const log = new AuditLog({ file: '/dev/full' });
    expect(() => log.append({ event: { action: 'statement.decision' } })).to.throw(/audit log/);
    expect(log.healthy).to.equal(false);
    expect(log.tryAppend({ event: { action: 'statement.decision' } })).to.equal(undefined);
  });
});
