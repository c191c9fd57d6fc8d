/**
 * The evidence export from a real run (embedded PostgreSQL, the proxy, real denials), through the CLI,
 * and the report rendered by headless Chromium.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AuditLog } from '../../proxy/audit/audit-log.js';
import { Checkpointer } from '../../proxy/audit/checkpoints.js';
import { FileWitness } from '../../proxy/audit/witnesses.js';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { renderInChromium } from '../support/chromium.js';

const run = promisify(execFile);
const BIN = new URL('../../bin/agentgate.js', import.meta.url).pathname;

describe('evidence export (real run, rendered in Chromium)', function () {
  this.timeout(120_000);
  let s: LocalStack;
  let out: string;

  before(async () => {
    s = await startLocalStack({ witness: true });
    const c = await s.connect('evidence-agent');
    await c.query('SELECT email, card_number FROM customers');
    for (const sql of ['DROP TABLE orders', 'DELETE FROM orders', 'SELECT * FROM payroll.salaries'])
      await c.query(sql).catch(() => undefined);
    await c.end();
    await s.proxy.stop();
    out = mkdtempSync(join(tmpdir(), 'agentgate-evidence-'));
    const r = await run(process.execPath, [
      BIN,
      'evidence',
      '--audit-file',
      s.auditFile,
      '--witness',
      join(s.dir, 'witness', 'checkpoints.jsonl'),
      '--out',
      out,
      '--from',
      '2000-01-01',
      '--to',
      '2100-01-01',
    ]);
    expect(r.stdout).to.contain('audit integrity verified');
  });
  after(() => s?.postgres.stop());

  it('writes the bundle, lists every denial, and shows no masked value in clear anywhere', () => {
    expect(readdirSync(out).sort()).to.deep.equal([
      'audit',
      'decisions.csv',
      'manifest-keys.json',
      'manifest.json',
      'manifest.jws',
      'records.jsonl',
      'report.html',
      'report.pdf',
      'summary.json',
      'witness',
    ]);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.integrity.ok).to.equal(true);
    expect(summary.integrity.chains).to.have.length(1);
    expect(summary.integrity.chains[0]).to.deep.include({ ok: true, stream: 'local/billing-agent', firstSeq: 1 });
    expect(summary.integrity.chains[0].checkpoints).to.deep.include({ ok: true, unwitnessedTail: 1 });
    expect(summary.integrity.recordings).to.deep.include({ ok: true, sessions: 1 });
    expect(summary.counts.denials).to.equal(3);
    expect(summary.denialsByRule).to.deep.equal({ 'no-ddl': 1, 'no-unbounded-writes': 1, payroll: 1 });
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    for (const text of [
      'DROP TABLE orders',
      'DELETE FROM orders',
      'SELECT * FROM payroll.salaries',
      'CC6.1',
      'CC6.3',
      'CC7.2',
      'CC8.1',
    ])
      expect(html).to.contain(text);
    const files = readdirSync(out, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));
    expect(files.map((f) => f.slice(out.length + 1))).to.include.members([
      'audit/audit.log',
      'witness/checkpoints.jsonl',
      'witness/checkpoint-jwks.json',
    ]);
    expect(files.filter((f) => f.includes('/audit/sessions/'))).to.have.length(1);
    const everything = files.map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const secret of ['ada@example.com', '4111 1111 1111 1111', '123-45-6789'])
      expect(everything).to.not.contain(secret);
    const csv = readFileSync(join(out, 'decisions.csv'), 'utf8').trim().split('\n');
    expect(csv).to.have.length(1 + summary.counts.decisions);
    // The session column holds the session id (it printed [object Object] once).
    expect(csv[1]!.split(',')[2]).to.match(/^"[0-9a-f-]{8,}"$/);
    expect(csv.join('\n')).to.not.contain('[object Object]');
  });

  it('re-verifies offline from the bundle alone: chain, signed checkpoints, recordings', async () => {
    const r = await run(process.execPath, [
      BIN,
      'audit',
      'verify',
      join(out, 'audit', 'audit.log'),
      '--witness',
      join(out, 'witness', 'checkpoints.jsonl'),
    ]);
    expect(r.stdout).to.match(/ok: \d+ records in 1 file\(s\), chain intact/);
    expect(r.stdout).to.match(
      /ok: stream local\/billing-agent: \d+ signed checkpoint\(s\) verify; the witness's latest head .* is in the log; 1 record\(s\) after the last signed head/,
    );
    expect(r.stdout).to.match(/ok: 1 session recording\(s\) in .*, \d+ lines, every one in the chain and none missing/);
  });

  it('verifies a log-pipeline export: two proxies interleaved, lines delivered twice, other log lines', async () => {
    // A second proxy's chain, checkpointed by the same witness.
    const otherDir = mkdtempSync(join(tmpdir(), 'agentgate-other-'));
    const other = new AuditLog({ file: join(otherDir, 'audit.log') });
    const cp = new Checkpointer({
      audit: other,
      stream: 'local/other',
      witness: new FileWitness({ file: join(s.dir, 'witness', 'checkpoints.jsonl'), keyDir: join(s.dir, 'witness') }),
    });
    other.append({ event: { action: 'proxy.start' }, detail: { stream: 'local/other' } });
    for (let i = 0; i < 4; i++)
      other.append({
        event: { action: 'statement.decision', outcome: 'failure' },
        db: { query: { text: `DELETE FROM t${i}` } },
        decision: 'Deny',
        enforced: true,
        rule: { name: 'r' },
      });
    await cp.stop();
    other.close();
    const a = readFileSync(s.auditFile, 'utf8').trim().split('\n');
    const b = readFileSync(join(otherDir, 'audit.log'), 'utf8').trim().split('\n');
    const merged: string[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++)
      merged.push(...(a[i] ? [a[i]!] : []), ...(b[i] ? [b[i]!] : []));
    merged.splice(3, 0, '{"level":"warn","message":"an operational log line"}', a[1]!);
    const exportDir = mkdtempSync(join(tmpdir(), 'agentgate-export-'));
    const exported = join(exportDir, 'export.jsonl');
    writeFileSync(exported, `${merged.join('\n')}\n`);
    const witness = ['--witness', join(s.dir, 'witness', 'checkpoints.jsonl')];
    const ok = await run(process.execPath, [BIN, 'audit', 'verify', exported, ...witness]);
    expect(ok.stdout)
      .to.contain('2 chains in 1 file(s)')
      .and.contain('ok: stream local/other: 6 records')
      .and.contain('note: 1 duplicated line(s) counted once');
    expect(ok.stdout).to.match(/ok: stream local\/billing-agent: \d+ records \(from seq 1\)/);
    // The other proxy's tail cut off in the export: the witness shows it.
    writeFileSync(exported, `${merged.filter((l) => l !== b.at(-1) && l !== b.at(-2)).join('\n')}\n`);
    const cut = await run(process.execPath, [BIN, 'audit', 'verify', exported, ...witness]).catch(
      (e: { code: number; stdout: string }) => e,
    );
    expect((cut as { code: number }).code).to.equal(1);
    expect((cut as { stdout: string }).stdout).to.contain('truncated: the witness signed seq 5 of stream local/other');
  });

  it('renders in headless Chromium (DOM and screenshot)', async () => {
    const r = await renderInChromium(join(out, 'report.html'), join(out, 'report.png'));
    expect(r.dom).to.contain('Every denial').and.contain('payroll');
    expect(r.dom).to.match(/<svg[^>]*aria-label="denials"/);
    expect(r.pngBytes).to.be.greaterThan(20_000);
    expect(r.isPng).to.equal(true);
  });
});
