/**
 * The evidence export from a real run (embedded PostgreSQL, the proxy, real denials), through the CLI,
 * and the report rendered by headless Chromium.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';

const run = promisify(execFile);
const BIN = new URL('../../bin/agentgate.js', import.meta.url).pathname;

describe('evidence export (real run, rendered in Chromium)', function () {
  this.timeout(120_000);
  let s: LocalStack;
  let out: string;

  before(async () => {
    s = await startLocalStack();
    const c = await s.connect('evidence-agent');
    await c.query('SELECT email, card_number FROM customers');
    for (const sql of ['DROP TABLE orders', 'DELETE FROM orders', 'SELECT * FROM payroll.salaries']) await c.query(sql).catch(() => undefined);
    await c.end();
    await s.proxy.stop();
    out = mkdtempSync(join(tmpdir(), 'agentgate-evidence-'));
    const r = await run(process.execPath, [BIN, 'evidence', '--audit-file', s.auditFile, '--out', out, '--from', '2000-01-01', '--to', '2100-01-01']);
    expect(r.stdout).to.contain('audit chain intact');
  });
  after(() => s?.postgres.stop());

  it('writes the bundle, lists every denial, and shows no masked value in clear anywhere', () => {
    expect(readdirSync(out).sort()).to.deep.equal(['decisions.csv', 'records.jsonl', 'report.html', 'summary.json']);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.chain.ok).to.equal(true);
    expect(summary.counts.denials).to.equal(3);
    expect(summary.denialsByRule).to.deep.equal({ 'no-ddl': 1, 'no-unbounded-writes': 1, payroll: 1 });
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    for (const text of ['DROP TABLE orders', 'DELETE FROM orders', 'SELECT * FROM payroll.salaries', 'CC6.1', 'CC6.3', 'CC7.2', 'CC8.1']) expect(html).to.contain(text);
    const everything = readdirSync(out).map((f) => readFileSync(join(out, f), 'utf8')).join('\n');
    for (const secret of ['ada@example.com', '4111 1111 1111 1111', '123-45-6789']) expect(everything).to.not.contain(secret);
    expect(readFileSync(join(out, 'decisions.csv'), 'utf8').trim().split('\n')).to.have.length(1 + summary.counts.decisions);
  });

  it('renders in headless Chromium (DOM and screenshot)', async () => {
    const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${mkdtempSync(join(tmpdir(), 'chromium-'))}`];
    const url = `file://${join(out, 'report.html')}`;
    const dom = await run('chromium', [...flags, '--dump-dom', url], { maxBuffer: 16 << 20 });
    expect(dom.stdout).to.contain('Every denial').and.contain('payroll');
    expect(dom.stdout).to.match(/<svg[^>]*aria-label="denials"/);
    const png = join(out, 'report.png');
    await run('chromium', [...flags, '--window-size=1200,1600', `--screenshot=${png}`, url]);
    expect(statSync(png).size).to.be.greaterThan(20_000);
    expect(readFileSync(png).subarray(1, 4).toString()).to.equal('PNG');
  });
});
