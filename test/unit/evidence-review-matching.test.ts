/**
 * The report's review of deviations, against a fixture of DeviationReview items (the List `kubectl get
 * deviationreviews -A -o json` prints): the population comes from the chain, each deviation is matched
 * by its audit hash or, for truncated items, by (agent, kind, rule, day) up to what the item leaves
 * unlisted; what no item covers, open items past maxOpenHours, late, unstamped and self-reviews are
 * exceptions.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { buildEvidence, type EvidenceVerification } from '../../proxy/audit/evidence.js';
import {
  deviationOf,
  humanDuration,
  parseReviews,
  reviewDeviations,
  type DeviationReview,
} from '../../proxy/audit/deviation-review.js';
import type { AuditFields, AuditRecord } from '../../proxy/audit/record.js';

const FIXTURE = new URL('../fixtures/reviews/deviation-reviews.json', import.meta.url).pathname;
const reviews = (): DeviationReview[] => parseReviews(JSON.parse(readFileSync(FIXTURE, 'utf8')));
const h = (c: string): string => c.repeat(64);
const agent = {
  iss: 'https://kubernetes.default.svc',
  sub: 'system:serviceaccount:agents:billing-agent',
  kubernetes: { namespace: 'agents', serviceAccount: 'billing-agent', pod: 'agent-pod' },
};
const policy = { name: 'billing-agent', namespace: 'agents', generation: 1, mode: 'Enforce' };
let seq = 0;
const rec = (time: string, hash: string, f: Partial<AuditFields> & Pick<AuditFields, 'event'>): AuditRecord =>
  ({
    schema: 'agentgate.audit/v2',
    seq: ++seq,
    '@timestamp': time,
    prevHash: '',
    hash,
    policy,
    principal: agent,
    session: { id: 's-1' },
    ...f,
  }) as AuditRecord;
const deny = (time: string, hash: string, rule: string, text: string, extra: Partial<AuditFields> = {}): AuditRecord =>
  rec(time, hash, {
    event: { action: 'statement.decision', outcome: 'failure' },
    decision: 'Deny',
    enforced: true,
    rule: { name: rule },
    db: { query: { text } },
    ...extra,
  });

const records = (): AuditRecord[] => [
  deny('2026-11-20T10:00:00.000Z', h('1'), 'no-ddl', 'DROP TABLE orders'),
  deny('2026-11-20T11:00:00.000Z', h('2'), 'payroll', 'SELECT * FROM payroll.salaries'),
  deny('2026-11-20T11:05:00.000Z', h('3'), 'payroll', 'SELECT * FROM payroll.salaries'),
  deny('2026-11-20T11:10:00.000Z', h('4'), 'payroll', 'SELECT * FROM payroll.salaries'),
  // One more of the truncated item's group than its count: not reported.
  deny('2026-11-20T09:00:00.000Z', h('5'), 'payroll', 'SELECT * FROM payroll.salaries'),
  rec('2026-11-21T08:00:00.000Z', h('6'), {
    event: { action: 'approval.decided', outcome: 'failure' },
    rule: { name: 'approve-writes' },
    message: 'Expired',
    detail: { approvalRequest: 'agents/apr-1' },
  }),
  rec('2026-11-24T23:00:00.000Z', h('7'), {
    event: { action: 'identity.rejected', outcome: 'failure' },
    message: 'token expired',
  }),
  rec('2026-11-21T10:00:00.000Z', h('8'), {
    event: { action: 'statement.cap-exceeded', outcome: 'failure' },
    detail: { limit: 'maxRowsReturned', cap: 10 },
    message: 'too many rows',
  }),
  rec('2026-11-22T00:00:00.000Z', h('9'), {
    event: { action: 'audit.checkpoint-failed' },
    message: 'witness unreachable',
  }),
  deny('2026-11-22T10:00:00.000Z', h('b'), 'no-ddl', 'DROP TABLE customers', {
    principal: { ...agent, triggeredBy: { iss: 'https://idp', sub: 'alice@example.com' } },
  }),
  deny('2026-11-20T10:00:00.000Z', h('c'), 'no-unbounded-writes', 'DELETE FROM orders'),
  // Not deviations: an allowed statement, a statement held for approval, an approved request.
  rec('2026-11-20T10:01:00.000Z', h('e'), {
    event: { action: 'statement.decision', outcome: 'success' },
    decision: 'Allow',
    enforced: false,
    rule: { name: 'default' },
  }),
  rec('2026-11-20T10:02:00.000Z', h('f'), {
    event: { action: 'approval.decided', outcome: 'success' },
    message: 'Approved',
  }),
];
const asOf = new Date('2026-11-25T00:00:00.000Z');

describe('report16: review of deviations (population, matching, exceptions)', () => {
  it('takes the population from the chain: every deviation kind, nothing else', () => {
    const kinds = records()
      .map((r) => deviationOf(r))
      .map((d) => d?.kind);
    expect(kinds).to.deep.equal([
      'Denial',
      'Denial',
      'Denial',
      'Denial',
      'Denial',
      'ApprovalExpired',
      'IdentityRefused',
      'CapExceeded',
      'AuditFailure',
      'Denial',
      'Denial',
      undefined,
      undefined,
    ]);
    const f = reviewDeviations({ records: records(), reviews: [], asOf });
    expect(f.deviations).to.have.length(11);
    expect(f.deviations.every((d) => d.state === 'Not reported for review' && d.exception)).to.equal(true);
  });

  it('matches by audit hash, and a truncated item covers only as many more of its group as it leaves unlisted', () => {
    const f = reviewDeviations({ records: records(), reviews: reviews(), asOf });
    const by = new Map(f.deviations.map((d) => [d.hash, d]));
    expect(by.get(h('1'))).to.deep.include({
      matchedBy: 'audit hash',
      state: 'Acknowledged',
      reviewedBy: 'approver-1',
      timeToReviewMs: 2 * 3600_000,
      note: 'expected: migration attempt',
    });
    expect(by.get(h('1'))!.exception).to.equal(undefined);
    expect(by.get(h('4'))).to.deep.include({ matchedBy: 'audit hash', state: 'Escalated', reviewedBy: 'approver-2' });
    expect(by.get(h('3'))).to.deep.include({
      matchedBy: 'agent, kind, rule and day',
      state: 'Escalated',
      item: 'agents/billing-agent-billing-agent-denial-2026-11-20-00000002',
    });
    expect(by.get(h('2'))).to.deep.include({ matchedBy: 'agent, kind, rule and day', state: 'Escalated' });
    expect(by.get(h('2'))!.note).to.contain('ticket SEC-42');
    expect(by.get(h('5'))).to.deep.include({
      state: 'Not reported for review',
      exception: 'not reported for review: no review item covers this deviation',
    });
  });

  it('names every exception: open past the limit, a decision without its admission stamp, self-review, a late review', () => {
    const f = reviewDeviations({ records: records(), reviews: reviews(), asOf });
    const by = new Map(f.deviations.map((d) => [d.hash, d]));
    expect(by.get(h('6'))!.exception).to.equal("open past the policy's limit of 72 h");
    expect(by.get(h('7'))).to.deep.include({ state: 'Open' });
    expect(by.get(h('7'))!.exception).to.equal(undefined);
    expect(by.get(h('8'))!.exception).to.contain('without the reviewer and time stamped at admission');
    expect(by.get(h('8'))!.reviewedBy).to.equal(undefined);
    expect(by.get(h('9'))!.exception).to.contain('self-review');
    expect(by.get(h('b'))!.exception).to.contain('self-review');
    expect(by.get(h('c'))!.exception).to.equal("reviewed after the policy's limit of 72 h");
    // …and the deviation item 00000009 lists by a hash the logs given lack.
    expect(f.deviations.find((d) => d.hash === h('d'))!.exception).to.contain('not in the audit logs given');
    expect(f.exceptions).to.equal(7);
    expect(f.byControl['CC6.1']).to.deep.equal({ population: 1, reviewed: 0, open: 1, exceptions: 0, reviewers: [] });
    expect(f.byControl['CC6.3']).to.deep.include({ population: 10, exceptions: 6 });
    expect(f.byControl['CC6.3'].reviewers).to.have.members(['approver-1', 'approver-2', 'alice@example.com']);
    expect(f.byControl['CC7.2']).to.deep.include({ population: 1, exceptions: 1 });
    expect(f.notes.join('\n')).to.contain(
      'billing-agent-billing-agent-denial-2026-11-23-00000009 lists 1 audit record(s) not in the audit logs given',
    );
  });

  it('a deviation after its item was reviewed is open (the reviewer never saw it); a trigger under a prefixed username is self-review', () => {
    const later = records().concat(
      deny('2026-11-20T13:00:00.000Z', h('3').replace(/^3/, '0'), 'no-ddl', 'DROP TABLE orders'),
    );
    const items = reviews().map((r) =>
      r.metadata.name.endsWith('00000001') ? { ...r, status: { ...r.status, count: 2 } } : r,
    );
    const f = reviewDeviations({ records: later, reviews: items, asOf });
    const d = f.deviations.find((x) => x.hash === h('3').replace(/^3/, '0'))!;
    expect(d).to.deep.include({ state: 'Open', matchedBy: 'agent, kind, rule and day' });
    expect(d.note).to.contain('happened after the item was reviewed');
    expect(d.exception).to.contain("open past the policy's limit of 72 h");
    const prefixed = reviews().map((r) =>
      r.metadata.name.endsWith('00000007')
        ? { ...r, spec: { ...r.spec, decision: { ...r.spec.decision, reviewedBy: 'https://idp#alice@example.com' } } }
        : r,
    );
    expect(
      reviewDeviations({ records: records(), reviews: prefixed, asOf }).deviations.find((x) => x.hash === h('b'))!
        .exception,
    ).to.contain('self-review');
  });

  it("uses the policy's maxOpenHours", () => {
    const f = reviewDeviations({ records: records(), reviews: reviews(), asOf, maxOpenHours: () => 0.5 });
    expect(f.deviations.find((d) => d.hash === h('7'))!.exception).to.equal("open past the policy's limit of 0.5 h");
    const relaxed = reviewDeviations({
      records: records(),
      reviews: reviews().map((r) => ({ ...r, status: { ...r.status, state: 'Open' } })),
      asOf,
      maxOpenHours: () => 1000,
    });
    expect(relaxed.deviations.find((d) => d.hash === h('6'))!.exception).to.equal(undefined);
  });

  it('an item cannot cover another group, another agent, or another day by count', () => {
    const wide = reviews().map((r) =>
      r.metadata.name.endsWith('00000002') ? { ...r, status: { ...r.status, count: 50 } } : r,
    );
    const other = records().concat(
      deny('2026-11-21T11:00:00.000Z', h('7').replace(/^7/, '0'), 'payroll', 'x'),
      deny('2026-11-20T11:00:00.000Z', '0'.repeat(63) + '1', 'payroll', 'x', {
        principal: { ...agent, kubernetes: { ...agent.kubernetes, serviceAccount: 'other-agent' } },
      }),
      deny('2026-11-20T11:00:00.000Z', '0'.repeat(63) + '2', 'no-ddl', 'x'),
    );
    const f = reviewDeviations({ records: other, reviews: wide, asOf });
    for (const hash of [h('7').replace(/^7/, '0'), '0'.repeat(63) + '1', '0'.repeat(63) + '2'])
      expect(f.deviations.find((d) => d.hash === hash)!.state).to.equal('Not reported for review');
    expect(f.deviations.find((d) => d.hash === h('5'))!.matchedBy).to.equal('agent, kind, rule and day');
  });

  it('reads a List, a bare array or one object, and refuses what is not a DeviationReview', () => {
    const one = reviews()[0]!;
    expect(parseReviews({ items: [one] })).to.have.length(1);
    expect(parseReviews([one])).to.have.length(1);
    expect(parseReviews(one)).to.have.length(1);
    expect(() => parseReviews({ items: [{ metadata: { name: 'x' } }] })).to.throw('item 0 is not a DeviationReview');
  });

  it('renders the review per control with human labels, headers repeated on print, and the period as asked', () => {
    const verification: EvidenceVerification = { ok: true, chains: [], problems: [], unseenStreams: [] };
    const ev = buildEvidence({
      records: records(),
      verification,
      from: new Date('2026-11-20T09:00:00Z'),
      to: asOf,
      fromSource: 'first record',
      reviews: reviews(),
      generatedAt: asOf,
    });
    const html = ev.html;
    expect(html).to.contain(
      'Period: 2026-11-20 09:00:00 UTC to 2026-11-25 00:00:00 UTC (no start was asked for: the period starts at the earliest record exported)',
    );
    expect(html).to.not.contain('1970');
    for (const label of [
      'statements denied',
      'identities refused',
      'review exceptions',
      'Statement denied',
      'Approval expired',
      'Runtime limit hit',
      'Audit witness failure',
      'Reviewed by',
      'Time to review',
      'Not reported for review',
    ])
      expect(html).to.contain(label);
    for (const field of ['>identityRejections<', '>approvalsRequested<', '>seq<', 'auditHash'])
      expect(html).to.not.contain(field);
    expect(html)
      .to.contain('<thead><tr><th class="t">Time (UTC)</th>')
      .and.contain('thead{display:table-header-group}')
      .and.contain('break-inside:avoid');
    const cc63 = html.slice(html.indexOf('CC6.3 —'), html.indexOf('CC7.2 —'));
    expect(cc63)
      .to.contain('Population: every deviation in the audit chain for the period, <b>10</b>')
      .and.contain('6 exception(s)')
      .and.contain('approver-2')
      .and.contain('2 h 00 min');
    expect(ev.summary.review).to.deep.include({ assessed: true, exceptions: 7, notReportedForReview: 1 });
    expect(ev.deviationsCsv!.trim().split('\n')).to.have.length(13);
    expect(humanDuration(3 * 86400_000 + 3600_000)).to.equal('3 d 1 h');
  });

  it('without review items the review is not assessed rather than all exceptions', () => {
    const verification: EvidenceVerification = { ok: true, chains: [], problems: [], unseenStreams: [] };
    const ev = buildEvidence({ records: records(), verification, from: new Date('2026-11-20T00:00:00Z'), to: asOf });
    expect(ev.html).to.contain('Review not assessed');
    expect(ev.summary.review).to.deep.include({ assessed: false });
  });
});
