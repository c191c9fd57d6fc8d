/**
 * The Proof of #16 end to end on the real API server: a session with denials and an expired approval →
 * the sidecar reports them and the operator files review items → an approver-group user acknowledges
 * with `kubectl patch` while the agent's own token and dev-user are refused → `agentgate evidence
 * --cluster` (as an auditor, countersigned by the operator) writes report.html and report.pdf that show
 * every deviation with its reviewer (Chromium's DOM, pdftotext) → `agentgate evidence verify` passes on
 * the bundle and fails, naming the file, after a file is added, removed or changed.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import pg from 'pg';
import { parseAllDocuments } from 'yaml';
import { renderInChromium } from '../support/chromium.js';
import { eventually, ns } from './cluster.js';
import { startReviewFixture, type ReviewFixture } from './review-fixture.js';

const run = promisify(execFile);
const NS = ns('e2e-review-evidence');
const CONFIG = ns('agentgate-review-evidence');
const BIN = new URL('../../bin/agentgate.js', import.meta.url).pathname;
const RBAC = new URL('../../charts/agentgate/templates/rbac.yaml', import.meta.url).pathname;

describe('deviation review → evidence: every deviation with its reviewer, in a bundle that proves it was not edited', function () {
  this.timeout(180_000);
  let f: ReviewFixture;
  let dir: string;
  let bundle: string;
  let operatorKid: string;
  let exportOut: string;
  let hashes: { denials: string[]; expired: string };

  const cli = async (args: string[], as: string): Promise<{ code: number; out: string }> => {
    const kc = new KubeConfig();
    kc.loadFromFile(f.c.kubeconfig);
    kc.setCurrentContext(as);
    const kubeconfig = join(dir, `kubeconfig-${as}.json`);
    writeFileSync(kubeconfig, kc.exportConfig());
    try {
      const r = await run(process.execPath, [BIN, ...args], {
        env: { ...process.env, KUBECONFIG: kubeconfig },
        maxBuffer: 16 << 20,
      });
      return { code: 0, out: r.stdout };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, out: `${err.stdout}${err.stderr}` };
    }
  };
  const copyBundle = (): string => {
    const d = join(mkdtempSync(join(tmpdir(), 'agentgate-review-evidence-edit-')), 'b');
    cpSync(bundle, d, { recursive: true });
    return d;
  };
  const verify = (d: string): Promise<{ code: number; out: string }> =>
    cli(['evidence', 'verify', d, `--fingerprint=${operatorKid}`], 'approver-1');

  before(async function () {
    this.timeout(1_200_000);
    dir = mkdtempSync(join(tmpdir(), 'agentgate-review-evidence-'));
    f = await startReviewFixture({ namespace: NS, config: CONFIG, auditWitness: true });
    // approver-1 is also the auditor who exports: the chart's agentgate-auditor role in NS, and the operator's checkpoints.
    const auditor = parseAllDocuments(readFileSync(RBAC, 'utf8').replace(/\{\{[^}]*\}\}/g, '{}'))
      .map((d) => d.toJSON())
      .find((d) => d?.kind === 'ClusterRole' && d.metadata.name === 'agentgate-auditor');
    const role = { ...auditor, metadata: { name: `agentgate-auditor-${CONFIG}` } };
    expect((await f.c.kubectl(['apply', '-f', '-'], { input: JSON.stringify(role) })).code).to.equal(0);
    expect(
      (
        await f.c.kubectl([
          'create',
          'rolebinding',
          'auditor',
          '-n',
          NS,
          '--clusterrole',
          role.metadata.name,
          '--user',
          'approver-1',
        ])
      ).code,
    ).to.equal(0);
    await f.c.kubectl([
      'create',
      'role',
      'checkpoint-reader',
      '-n',
      NS,
      '--verb',
      'get,list',
      '--resource',
      'configmaps',
    ]);
    await f.c.kubectl([
      'create',
      'rolebinding',
      'checkpoint-reader',
      '-n',
      NS,
      '--role',
      'checkpoint-reader',
      '--user',
      'approver-1',
    ]);
  });
  after(async () => {
    await f?.stop();
    await f?.c.kubectl(['delete', 'clusterrole', `agentgate-auditor-${CONFIG}`]);
  });

  it('a session with denials and an expired approval: review items appear, linked to the chain', async () => {
    const { host, port } = f.proxy.addresses()[0]!;
    const agent = new pg.Client({
      host,
      port,
      user: 'agent',
      database: 'billing',
      password: await f.stack.token('agent-1'),
    });
    await agent.connect();
    for (const sql of ['DROP TABLE scratch', 'DROP TABLE customers'])
      expect(
        (
          await agent.query(sql).then(
            () => undefined,
            (e: Error & { code?: string }) => e,
          )
        )?.code,
      ).to.equal('42501');
    const expired = await agent.query('UPDATE scratch SET v = 9').then(
      () => undefined,
      (e: Error) => e,
    );
    expect(expired?.message).to.match(/expired|not decided in time/);
    await agent.end();

    const denial = await eventually(
      'the no-ddl item counts 2',
      async () =>
        (await f.itemOf('Denial', 'no-ddl'))?.status?.count === 2 ? f.itemOf('Denial', 'no-ddl') : undefined,
      30_000,
      200,
    );
    const approval = await eventually(
      'the expired approval item',
      async () =>
        (await f.itemOf('ApprovalExpired', 'writes-need-approval'))?.status?.count === 1
          ? f.itemOf('ApprovalExpired', 'writes-need-approval')
          : undefined,
      30_000,
      200,
    );
    const chain = f.chain();
    hashes = {
      denials: chain
        .filter((r) => r.event.action === 'statement.decision' && r.rule?.name === 'no-ddl')
        .map((r) => r.hash),
      expired: chain.find((r) => r.event.action === 'approval.decided' && r.event.outcome === 'failure').hash,
    };
    expect(denial.status.deviations.map((d: any) => d.auditHash).sort()).to.deep.equal([...hashes.denials].sort());
    expect(approval.status.deviations[0]).to.deep.include({
      auditHash: hashes.expired,
      statement: 'UPDATE scratch SET v = 9',
    });
    expect((await f.items()).map((d) => `${d.spec.kind}/${d.spec.rule}`).sort()).to.deep.equal([
      'ApprovalExpired/writes-need-approval',
      'Denial/no-ddl',
    ]);
  });

  it("the agent's own token and dev-user are refused; an approver-group user acknowledges with kubectl patch", async () => {
    const denial = await f.itemOf('Denial', 'no-ddl');
    const approval = await f.itemOf('ApprovalExpired', 'writes-need-approval');
    const agentToken = (
      await f.c.kubectl(['create', 'token', 'billing-agent', '-n', NS, '--duration', '10m'])
    ).stdout.trim();
    const byAgent = await f.patchDecision(denial.metadata.name, { state: 'Acknowledged' }, { token: agentToken });
    expect(byAgent.code).to.not.equal(0);
    expect(byAgent.stderr).to.match(/forbidden/i);
    // Even given the RBAC to patch, the webhook refuses the agent reviewing itself.
    await f.c.kubectl([
      'create',
      'role',
      'agent-may-patch',
      '-n',
      NS,
      '--verb=patch,get',
      '--resource=deviationreviews.agentgate.dev',
    ]);
    await f.c.kubectl([
      'create',
      'rolebinding',
      'agent-may-patch',
      '-n',
      NS,
      '--role=agent-may-patch',
      `--serviceaccount=${NS}:billing-agent`,
    ]);
    await eventually(
      'the webhook refuses the agent',
      async () =>
        (await f.patchDecision(denial.metadata.name, { state: 'Acknowledged' }, { token: agentToken })).stderr.includes(
          'no self-review',
        ),
      10_000,
      200,
    );
    const byDev = await f.patchDecision(approval.metadata.name, { state: 'Acknowledged' }, { as: 'dev-user' });
    expect(byDev.code).to.not.equal(0);
    expect(byDev.stderr).to.contain('dev-user is not a reviewer for policy billing-agent');

    for (const [item, comment] of [
      [denial, 'DDL attempts: agent prompt fixed'],
      [approval, 'nobody on call; rerun tomorrow'],
    ] as const) {
      const ok = await f.patchDecision(
        item.metadata.name,
        { state: 'Acknowledged', comment, reviewedBy: 'someone-else' },
        { as: 'approver-1' },
      );
      expect(ok.code, ok.stderr).to.equal(0);
    }
    for (const [kind, rule] of [
      ['Denial', 'no-ddl'],
      ['ApprovalExpired', 'writes-need-approval'],
    ]) {
      const d = await eventually(`${kind} Acknowledged`, async () => {
        const x = await f.itemOf(kind!, rule!);
        return x.status?.state === 'Acknowledged' ? x : undefined;
      });
      expect(d.spec.decision).to.include({ reviewedBy: 'approver-1' });
    }
  });

  it('agentgate evidence --cluster writes report.html and report.pdf showing every deviation with its reviewer, countersigned by the operator', async () => {
    f.proxy.audit.flush();
    const caFile = join(dir, 'operator-ca.crt');
    writeFileSync(caFile, f.endpoint.ca!);
    bundle = join(dir, 'bundle');
    const r = await cli(
      [
        'evidence',
        '--audit-file',
        f.auditFile(),
        '--out',
        bundle,
        '--namespace',
        NS,
        '--cluster',
        '--operator-namespace',
        NS,
        '--operator-url',
        f.endpoint.url,
        '--operator-ca',
        caFile,
      ],
      'approver-1',
    );
    expect(r.code, r.out).to.equal(0);
    exportOut = r.out;
    operatorKid = /countersigned by the operator \(manifest\.operator\.jws\) with its audit key (\S+):/.exec(
      r.out,
    )![1]!;

    const summary = JSON.parse(readFileSync(join(bundle, 'summary.json'), 'utf8'));
    expect(summary.review.from).to.equal("the cluster's DeviationReview objects");
    expect(summary.review.byControl['CC6.3']).to.deep.equal({
      population: 3,
      reviewed: 3,
      open: 0,
      exceptions: 0,
      reviewers: ['approver-1'],
    });
    expect(summary.review.notReportedForReview).to.equal(0);
    const csv = readFileSync(join(bundle, 'deviations.csv'), 'utf8').trim().split('\n').slice(1);
    expect(csv).to.have.length(3);
    for (const h of [...hashes.denials, hashes.expired])
      expect(
        csv.find((l) => l.includes(h)),
        h,
      )
        .to.contain('"audit hash"')
        .and.contain('"Acknowledged"')
        .and.contain('"approver-1"');

    const html = await renderInChromium(join(bundle, 'report.html'), join(dir, 'report.png'));
    const pdfLayout = (await run('pdftotext', ['-layout', join(bundle, 'report.pdf'), '-'], { maxBuffer: 16 << 20 }))
      .stdout;
    const pdf = pdfLayout.replace(/\s+/g, ' ');
    const dom = html.dom.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ');
    for (const s of [
      'Review of deviations',
      'Statement denied',
      'Approval expired',
      'DROP TABLE scratch',
      'DROP TABLE customers',
      'UPDATE scratch SET v = 9',
      'DDL attempts: agent prompt fixed',
      'nobody on call; rerun tomorrow',
    ])
      expect(dom, s).to.contain(s);
    for (const text of [dom, pdf]) {
      expect(text).to.contain('Population: every deviation in the audit chain for the period, 3.');
      expect(text).to.contain('Reviewed: 3 (by approver-1)');
      expect(text).to.not.contain('Not reported for review');
    }
    // In the PDF a table row wraps its cells over lines: each row is a block from its time to the next blank line.
    const reviewTable = pdfLayout.slice(
      pdfLayout.indexOf('Population: every deviation in the audit chain for the period, 3.'),
    );
    const pdfRows = [...reviewTable.matchAll(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}[^\n]*(?:\n(?!\s*\n)[^\n]*)*/gm)]
      .map((m) => m[0].replace(/\s+/g, ' '))
      .slice(0, 3);
    expect(pdfRows).to.have.length(3);
    const statements = [
      ['DROP', 'scratch'],
      ['DROP', 'customers'],
      ['UPDATE', 'SET v = 9'],
    ];
    pdfRows.forEach((row, n) => {
      expect(row).to.contain('approver-1').and.contain('Acknowledged');
      for (const w of statements[n]!) expect(row).to.contain(w);
    });
    // Each deviation's row names its reviewer: three rows with approver-1 in the review table.
    const rows = [
      ...html.dom.matchAll(
        /<tr>(?:(?!<\/tr>).)*?(DROP TABLE scratch|DROP TABLE customers|UPDATE scratch SET v = 9)(?:(?!<\/tr>).)*?<\/tr>/gs,
      ),
    ]
      .map((m) => m[0])
      .filter((row) => row.includes('Acknowledged'));
    expect(rows).to.have.length(3);
    for (const row of rows) expect(row).to.contain('approver-1');
  });

  it('agentgate evidence verify passes on the bundle, and fails naming the file after any edit: added, removed, changed', async () => {
    const ok = await verify(bundle);
    expect(ok.code, ok.out).to.equal(0);
    expect(ok.out).to.contain(`with key ${operatorKid}`).and.contain('for approver-1');
    expect(exportOut).to.contain('report.pdf');

    const added = copyBundle();
    writeFileSync(join(added, 'late-approval.txt'), 'approved by the CFO\n');
    const a = await verify(added);
    expect(a.code).to.equal(1);
    expect(a.out).to.contain('added: late-approval.txt');

    const removed = copyBundle();
    rmSync(join(removed, 'report.pdf'));
    const b = await verify(removed);
    expect(b.code).to.equal(1);
    expect(b.out).to.contain('removed: report.pdf');

    const changed = copyBundle();
    writeFileSync(
      join(changed, 'deviations.csv'),
      readFileSync(join(changed, 'deviations.csv'), 'utf8').replace('DROP TABLE customers', 'SELECT 1'),
    );
    const c1 = await verify(changed);
    expect(c1.code).to.equal(1);
    expect(c1.out).to.contain('changed: deviations.csv');

    const appended = copyBundle();
    appendFileSync(join(appended, 'report.html'), '<!-- reviewed -->');
    const d = await verify(appended);
    expect(d.code).to.equal(1);
    expect(d.out).to.contain('changed: report.html');
  });

  it('a denial after the item was acknowledged opens a follow-up item, open for review; the acknowledged one keeps what its reviewer saw', async () => {
    const { host, port } = f.proxy.addresses()[0]!;
    const agent = new pg.Client({
      host,
      port,
      user: 'agent',
      database: 'billing',
      password: await f.stack.token('agent-1'),
    });
    await agent.connect();
    await agent.query('DROP TABLE orders').catch(() => undefined);
    await agent.end();
    const followUp = await eventually('the follow-up item', async () =>
      (await f.items()).find(
        (d) => d.spec.kind === 'Denial' && d.spec.rule === 'no-ddl' && !d.spec.decision && d.status?.count === 1,
      ),
    );
    const hash = f.chain().find((r) => r.db?.query?.text === 'DROP TABLE orders').hash;
    expect(followUp.status.deviations[0].auditHash).to.equal(hash);
    expect(followUp.metadata.name).to.match(/-2$/);
    await eventually(
      'the follow-up Open',
      async () =>
        (await f.c.kubectl(['get', 'dr', followUp.metadata.name, '-n', NS, '-o', 'jsonpath={.status.state}']))
          .stdout === 'Open',
    );
    const acknowledged = (await f.items()).find((d) => d.spec.kind === 'Denial' && d.spec.decision);
    expect(acknowledged.status).to.deep.include({ count: 2, state: 'Acknowledged' });
  });

  it('a doctored review file handed to a cluster export is named as such, and its decisions by non-reviewers are exceptions', async () => {
    const items = (await f.items()).map((d) =>
      d.spec.decision
        ? d
        : {
            ...d,
            spec: {
              ...d.spec,
              decision: {
                state: 'Acknowledged',
                reviewedBy: 'mallory',
                reviewedGroups: ['system:authenticated'],
                reviewedAt: new Date().toISOString(),
              },
            },
          },
    );
    const file = join(dir, 'reviews.json');
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
    const caFile = join(dir, 'operator-ca.crt');
    const out = join(dir, 'doctored');
    const r = await cli(
      [
        'evidence',
        '--audit-file',
        f.auditFile(),
        '--reviews',
        file,
        '--out',
        out,
        '--namespace',
        NS,
        '--cluster',
        '--operator-namespace',
        NS,
        '--operator-url',
        f.endpoint.url,
        '--operator-ca',
        caFile,
        '--no-pdf',
      ],
      'approver-1',
    );
    expect(r.code, r.out).to.equal(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.review.from).to.equal('the file reviews.json given to the export (not read from the cluster)');
    expect(readFileSync(join(out, 'report.html'), 'utf8')).to.contain(
      'review items from the file reviews.json given to the export (not read from the cluster)',
    );
    const csv = readFileSync(join(out, 'deviations.csv'), 'utf8');
    expect(csv).to.contain('"mallory"').and.contain("who is not among the policy's reviewers");
  });
});
