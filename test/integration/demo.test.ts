/**
 * Proof on the demo (`npm start`): the real CLI in a fresh directory. Its evidence bundle passes
 * `audit verify` (chain, signed checkpoints, recordings), its report lists every denial and every
 * refused identity of the run, and no sensitive value from the seed data appears in clear anywhere —
 * neither in the bundle nor in the audit log or recordings beside it.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AuditRecord } from '../../proxy/audit/record.js';

const run = promisify(execFile);
const BIN = new URL('../../bin/agentgate.js', import.meta.url).pathname;
const SEED = new URL('../../examples/local/seed.sql', import.meta.url).pathname;
const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

describe('the demo produces evidence that verifies and leaks nothing', function () {
  this.timeout(180_000);
  let cwd: string;
  let demo: string;
  let stdout: string;

  before(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'agentgate-demo-'));
    ({ stdout } = await run(process.execPath, [BIN, 'demo'], { cwd, env: { ...process.env, FORCE_COLOR: '0' } }));
    demo = join(cwd, '.agentgate', 'demo');
  });

  it('ends verified and points at the report', () => {
    expect(stdout).to.match(
      /evidence : verified — \d+ hash-chained records, [1-9]\d* signed checkpoint\(s\) matching the witness, 1 session recording\(s\)/,
    );
    expect(stdout).to.contain('.agentgate/demo/evidence/report.html');
  });

  it('the bundle re-verifies with audit verify', async () => {
    const ev = join(demo, 'evidence');
    const r = await run(process.execPath, [
      BIN,
      'audit',
      'verify',
      join(ev, 'audit', 'audit.log'),
      '--witness',
      join(ev, 'witness', 'checkpoints.jsonl'),
    ]);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.slice(0, 3)),
    ).to.deep.equal(['ok:', 'ok:', 'ok:']);
  });

  it('the report lists every denial and every refused identity of the run', () => {
    const records = readFileSync(join(demo, 'audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditRecord);
    const denials = records.filter((r) => r.event.action === 'statement.decision' && r.enforced);
    const refused = records.filter((r) => r.event.action === 'identity.rejected');
    expect(denials).to.have.length(5);
    expect(refused).to.have.length(1);
    const html = readFileSync(join(demo, 'evidence', 'report.html'), 'utf8');
    for (const d of denials) expect(html).to.contain(esc(d.db!.query!.text)).and.contain(esc(d.rule!.name));
    for (const r of refused) expect(html).to.contain(esc(r.message!));
    // Every session of the run, with its agent.
    for (const o of records.filter((r) => r.event.action === 'connection.open'))
      expect(html).to.contain(o.session!.id).and.contain(esc(o.principal!.sub));
    expect(JSON.parse(readFileSync(join(demo, 'evidence', 'summary.json'), 'utf8')).counts).to.include({
      denials: 5,
      identityRejections: 1,
    });
  });

  it('no sensitive seed value appears in clear in the bundle, the audit log or the recordings', () => {
    // Every quoted value of the seed that a detector or column rule masks: emails, cards, SSNs, keys, IBANs, employee ids.
    const sensitive = [...readFileSync(SEED, 'utf8').matchAll(/'([^']+)'/g)]
      .map((m) => m[1]!)
      .filter((v) => /@|\d{3}-\d{2}-\d{4}|^[\d -]{13,}$|sk_live|IBAN|EMP-\d{6}/.test(v));
    expect(sensitive.length).to.be.greaterThan(12);
    const files = readdirSync(demo, { recursive: true, withFileTypes: true })
      .filter((e) => (e.isFile() && !/\.(json|jwk)$/.test(e.name)) || e.name === 'summary.json')
      .map((e) => join(e.parentPath, e.name));
    expect(files.some((f) => f.endsWith('report.html'))).to.equal(true);
    expect(files.filter((f) => f.includes('/sessions/'))).to.have.length(2); // beside the log, and in the bundle
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      for (const v of sensitive) {
        // The notes value is one string with an embedded id/key/IBAN: check the sensitive part itself.
        const needle = /sk_live_\w+|GB82[\w ]+|EMP-\d{6}/.exec(v)?.[0] ?? v;
        expect(text, `${f} contains ${needle}`).to.not.contain(needle);
      }
    }
  });
});
