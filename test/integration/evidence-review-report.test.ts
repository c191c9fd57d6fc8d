/**
 * The report as an auditor reads it, from a real run: the proxy writes the audit log (denials, an
 * approval that expired), review items name the chain's records (by hash, and one truncated item by
 * its group), `agentgate evidence --reviews` renders HTML and PDF (headless Chromium), and both are
 * read back: in Chromium's DOM, and with pdftotext page by page (headers on every page, no row split).
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ApprovalBroker } from '../../proxy/approvals/broker.js';
import { parseRecord, type AuditRecord } from '../../proxy/audit/record.js';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { renderInChromium } from '../support/chromium.js';

const run = promisify(execFile);
const BIN = new URL('../../bin/agentgate.js', import.meta.url).pathname;
const PAYROLL_READS = 45;

const expiring: ApprovalBroker = {
  findGrant: () => undefined,
  request: async () => ({ namespace: 'agents', name: 'apr-expired' }),
  waitFor: async () => ({ phase: 'Expired' }),
  markUsed: async () => undefined,
  claim: () => true,
};

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, [BIN, ...args], { maxBuffer: 16 << 20 });
    return { code: 0, out: r.stdout };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: `${err.stdout}${err.stderr}` };
  }
}

const pdfText = async (pdf: string, page?: number): Promise<string> =>
  (
    await run('pdftotext', [...(page ? ['-f', String(page), '-l', String(page)] : []), '-layout', pdf, '-'], {
      maxBuffer: 16 << 20,
    })
  ).stdout;

describe('report16: review in the report, HTML and PDF from a real run', function () {
  this.timeout(180_000);
  let s: LocalStack;
  let out: string;
  let records: AuditRecord[];
  let exportOut: string;

  before(async () => {
    s = await startLocalStack({
      witness: true,
      proxyOptions: { approvals: expiring },
      editPolicy: (p) => {
        p.spec.rules![1]!.action = 'RequireApproval'; // no-unbounded-writes
        p.spec.approval = {
          mode: 'Hold',
          timeoutSeconds: 5,
          requiredApprovals: 1,
          retentionSeconds: 3600,
          approvers: { users: ['approver-1'] },
        } as typeof p.spec.approval;
      },
    });
    const c = await s.connect('review-agent');
    await c.query('SELECT email FROM customers');
    await c.query('DROP TABLE orders').catch(() => undefined);
    for (let i = 1; i <= PAYROLL_READS; i++)
      await c.query(`SELECT * FROM payroll.salaries WHERE id = ${i}`).catch(() => undefined);
    const expired = await c.query('DELETE FROM orders').then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(expired).to.contain('was expired');
    await c.end();
    await s.proxy.stop();
    records = readFileSync(s.auditFile, 'utf8').trim().split('\n').map(parseRecord);

    // Review items as the operator would write them from this chain.
    const dev = (r: AuditRecord): object => ({
      time: r['@timestamp'],
      auditHash: r.hash,
      session: r.session?.id,
      statement: r.db?.query?.text ?? r.message,
      reason: r.message ?? '',
    });
    const payroll = records.filter((r) => r.event.action === 'statement.decision' && r.rule?.name === 'payroll');
    const expiredRec = records.find((r) => r.event.action === 'approval.decided')!;
    const day = payroll[0]!['@timestamp'].slice(0, 10);
    const reviewedAt = new Date(Date.parse(payroll.at(-1)!['@timestamp']) + 90 * 60_000).toISOString();
    const item = (
      name: string,
      kind: string,
      rule: string,
      deviations: AuditRecord[],
      extra: { count?: number; decision?: object; state?: string },
    ) => ({
      apiVersion: 'agentgate.dev/v1alpha1',
      kind: 'DeviationReview',
      metadata: { name, namespace: 'agents', labels: { 'agentgate.dev/policy': 'billing-agent' } },
      spec: {
        policyRef: { name: 'billing-agent' },
        agent: { serviceAccount: 'review-agent' },
        kind,
        rule,
        day,
        ...(extra.decision ? { decision: extra.decision } : {}),
      },
      status: {
        state: extra.state ?? 'Open',
        count: extra.count ?? deviations.length,
        firstSeen: deviations[0]!['@timestamp'],
        lastSeen: deviations.at(-1)!['@timestamp'],
        deviations: deviations.map(dev).reverse(),
      },
    });
    const reviews = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        // The operator keeps the most recent 10 of 45: the rest are matched by agent, kind, rule and day.
        item(`billing-agent-review-agent-denial-${day}-payroll`, 'Denial', 'payroll', payroll.slice(-10), {
          count: PAYROLL_READS,
          state: 'Acknowledged',
          decision: {
            state: 'Acknowledged',
            comment: 'probing payroll; agent prompt fixed',
            reviewedBy: 'approver-1',
            reviewedGroups: ['agentgate:approvers'],
            reviewedAt,
          },
        }),
        item(
          `billing-agent-review-agent-approvalexpired-${day}-x`,
          'ApprovalExpired',
          'no-unbounded-writes',
          [expiredRec],
          { state: 'Exception' },
        ),
      ],
    };
    const reviewsFile = join(s.dir, 'reviews.json');
    writeFileSync(reviewsFile, JSON.stringify(reviews));
    out = join(mkdtempSync(join(tmpdir(), 'agentgate-review-report-')), 'bundle');
    const r = await cli([
      'evidence',
      '--audit-file',
      s.auditFile,
      '--witness',
      join(s.dir, 'witness', 'checkpoints.jsonl'),
      '--reviews',
      reviewsFile,
      '--out',
      out,
    ]);
    expect(r.code, r.out).to.equal(0);
    exportOut = r.out;
  });
  after(() => s?.postgres.stop());

  it('states the period from the first record when --from is not given (not 1970)', () => {
    expect(exportOut).to.contain('(no --from: from the earliest record exported)');
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.period).to.deep.include({
      from: new Date(records[0]!['@timestamp']).toISOString(),
      fromSource: 'first record',
    });
    expect(readFileSync(join(out, 'report.html'), 'utf8')).to.not.contain('1970');
  });

  it('counts every deviation of the chain and its review: the truncated item covers its group, the unreported denial and the expired approval are exceptions', () => {
    expect(exportOut).to.contain('deviation review: 2 exception(s), 1 deviation(s) not reported for review');
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.review.byControl['CC6.3']).to.deep.equal({
      population: PAYROLL_READS + 2,
      reviewed: PAYROLL_READS,
      open: 2,
      exceptions: 2,
      reviewers: ['approver-1'],
    });
    const csv = readFileSync(join(out, 'deviations.csv'), 'utf8').trim().split('\n').slice(1);
    expect(csv).to.have.length(PAYROLL_READS + 2);
    expect(csv.filter((l) => l.includes('"agent, kind, rule and day"'))).to.have.length(PAYROLL_READS - 10);
    expect(csv.find((l) => l.includes('DROP TABLE orders'))).to.contain('"Not reported for review"');
    expect(csv.find((l) => l.includes('"ApprovalExpired"'))).to.contain("open past the policy's limit of 72 h");
  });

  it('renders in Chromium with every deviation, its reviewer and the exceptions', async () => {
    const r = await renderInChromium(join(out, 'report.html'), join(out, '..', 'report.png'));
    for (const text of [
      'Review of deviations',
      'Statement denied',
      'Approval expired',
      'approver-1',
      'Not reported for review',
      'DROP TABLE orders',
      'SELECT * FROM payroll.salaries WHERE id = 45',
      'probing payroll; agent prompt fixed',
      '1 h 30 min',
    ])
      expect(r.dom).to.contain(text);
    expect(r.isPng).to.equal(true);
  });

  it('prints a PDF that reads the same: labels, reviewers, exceptions; headers repeated on every page; no row split', async () => {
    const pdf = join(out, 'report.pdf');
    expect(readFileSync(pdf).subarray(0, 5).toString()).to.equal('%PDF-');
    const all = (await run('pdftotext', [pdf, '-'], { maxBuffer: 16 << 20 })).stdout.replace(/\s+/g, ' ');
    for (const text of [
      'access evidence',
      'CC6.3',
      'Review of deviations',
      'Population: every deviation in the audit chain for the period, 47',
      'approver-1',
      'Not reported for review',
      'Approval expired',
      'DROP TABLE orders',
      'Time to review',
      'statements denied',
    ])
      expect(all).to.contain(text);
    expect(all).to.not.contain('1970').and.not.contain('identityRejections');
    const pages = Number(/Pages:\s+(\d+)/.exec((await run('pdfinfo', [pdf])).stdout)![1]);
    expect(pages).to.be.greaterThan(2);
    const ids: number[] = [];
    let tablePages = 0;
    for (let p = 1; p <= pages; p++) {
      const text = await pdfText(pdf, p);
      // The review table's header row, on every page its rows continue on.
      const header = /Time \(UTC\)\s+Deviation\s+Agent\s+Rule\s+Statement or/.exec(text);
      const rows = header ? text.slice(header.index) : '';
      const statements = [...rows.matchAll(/WHERE id = (\d+)/g)].map((m) => Number(m[1]));
      const reviewers = rows.match(/approver-1/g) ?? [];
      if (!header) {
        expect(text, `page ${p}: review rows without the table's header`).to.not.match(/Acknowledged \(probing/);
        continue;
      }
      tablePages++;
      // A row split across pages would leave a statement without its reviewer on one of them.
      expect(reviewers.length, `page ${p}`).to.equal(statements.length);
      ids.push(...statements);
    }
    expect(tablePages).to.be.greaterThan(1);
    expect(ids.sort((a, b) => a - b)).to.deep.equal(Array.from({ length: PAYROLL_READS }, (_, i) => i + 1));
  });

  it('the PDF is part of the signed bundle', async () => {
    const fp = /signed \(manifest\.json, manifest\.jws\) by key (\S+):/.exec(exportOut)![1]!;
    const v = await cli(['evidence', 'verify', out, `--fingerprint=${fp}`]);
    expect(v.code, v.out).to.equal(0);
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(m.files.map((f: { path: string }) => f.path)).to.include.members([
      'report.pdf',
      'report.html',
      'reviews.json',
      'deviations.csv',
    ]);
  });
});
