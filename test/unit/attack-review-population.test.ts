/**
 * Hostile review of #16, the two halves together: what the sidecar reports for review and what the
 * report counts as the population must be one judgement of the chain, and nothing an agent sends, floods
 * or names may take a deviation out of it or mark it reviewed.
 */
import { expect } from 'chai';
import { AuditLog } from '../../proxy/audit/audit-log.js';
import { deviationOf as reportedDeviationOf } from '../../proxy/audit/deviation-of.js';
import {
  deviationOf,
  reviewDeviations,
  type DeviationReview,
  type ReviewFindings,
  type ReviewInput,
} from '../../proxy/audit/deviation-review.js';
import { parseRecord, type AuditFields, type AuditRecord } from '../../proxy/audit/record.js';
import { reviewName } from '../../operator/reviews/naming.js';
import { TokenVerifier } from '../../proxy/identity/verify.js';

const agent = {
  iss: 'https://kubernetes.default.svc',
  sub: 'system:serviceaccount:agents:billing-agent',
  kubernetes: { namespace: 'agents', serviceAccount: 'billing-agent', pod: 'agent-pod' },
};
const policy = { name: 'billing-agent', namespace: 'agents', generation: 1, mode: 'Enforce' };

/** Records as the audit log really chains them (hashes and all). */
function chain(fields: (AuditFields & { at?: string })[]): AuditRecord[] {
  const out: AuditRecord[] = [];
  const log = new AuditLog({});
  log.observe((_f, line) => out.push(parseRecord(line)));
  for (const { at, ...f } of fields) {
    const before = out.length;
    log.append({ policy, principal: agent, session: { id: 's-1' }, ...f });
    if (at) out[before] = { ...out[before]!, '@timestamp': at };
  }
  return out;
}

function item(
  kind: string,
  rule: string,
  day: string,
  status: DeviationReview['status'],
  decision?: DeviationReview['spec']['decision'],
  sa = 'billing-agent',
): DeviationReview {
  return {
    metadata: { name: `billing-agent-${sa}-${kind.toLowerCase()}-${day}-x`, namespace: 'agents' },
    spec: {
      policyRef: { name: 'billing-agent' },
      agent: { serviceAccount: sa },
      kind,
      rule,
      day,
      ...(decision ? { decision } : {}),
    },
    status,
  };
}
const ack = (
  by: string,
  at: string,
  groups: string[] = ['agentgate:approvers'],
): DeviationReview['spec']['decision'] => ({
  state: 'Acknowledged',
  reviewedBy: by,
  reviewedGroups: groups,
  reviewedAt: at,
});

describe('rev16: the report and the sidecar judge deviations alike', () => {
  it("every record the sidecar reports is in the report's population under the same kind and rule", () => {
    const records = chain([
      {
        event: { action: 'statement.decision', outcome: 'success' },
        decision: 'Deny',
        enforced: false,
        rule: { name: 'no-ddl' },
        db: { query: { text: 'DROP TABLE t' } },
      },
      { event: { action: 'session.invariant-violated' }, message: 'search_path changed' },
      {
        event: { action: 'audit.recordings-repaired', outcome: 'failure' },
        message: 'recordings could not be completed',
      },
      {
        event: { action: 'approval.requested' },
        rule: { name: 'w' },
        db: { query: { text: 'UPDATE t SET v = ?' } },
        detail: { approvalRequest: 'agents/apr-1' },
      },
      {
        event: { action: 'approval.decided', outcome: 'failure' },
        rule: { name: 'w' },
        message: 'Unverified',
        detail: { approvalRequest: 'agents/apr-1' },
      },
      { event: { action: 'identity.rejected', outcome: 'failure' }, message: 'token signature did not verify' },
      {
        event: { action: 'statement.cap-exceeded', outcome: 'failure' },
        message: 'too many rows',
        detail: { limit: 'maxRowsReturned' },
      },
      { event: { action: 'audit.checkpoint-failed' }, message: 'witness down' },
    ]);
    const reported = records
      .map((r) => reportedDeviationOf(r))
      .filter((d) => !!d)
      .map((d) => [d!.auditHash, d!.kind, d!.rule]);
    const counted = records
      .map((r) => deviationOf(r))
      .filter((d) => !!d)
      .map((d) => [d!.hash, d!.kind, d!.rule]);
    expect(reported).to.have.length(7);
    expect(counted).to.deep.equal(reported);
    // The approval's masked text comes from its request, as the sidecar sends it.
    const f = reviewDeviations({ records, reviews: [], asOf: new Date() });
    expect(f.deviations.find((d) => d.kind === 'ApprovalDenied')!.statement).to.equal('UPDATE t SET v = ?');
  });

  it("a request refused pending its ApprovalRequest (HTTP, mode Reject) is not a denial: the request's outcome is the deviation", () => {
    const [r] = chain([
      {
        event: { action: 'statement.decision', outcome: 'failure' },
        decision: 'RequireApproval',
        enforced: true,
        rule: { name: 'w' },
        protocol: 'http',
        detail: { approvalRequest: 'agents/apr-2' },
      },
    ]);
    expect(reportedDeviationOf(r!)).to.equal(undefined);
    expect(deviationOf(r!)).to.equal(undefined);
  });

  it('an identity refusal whose quoted issuer says "during the session" is still a deviation (reported and counted)', () => {
    const [r] = chain([
      {
        event: { action: 'identity.rejected', outcome: 'failure' },
        target: 'billing-db',
        message: 'token issuer "x; token expired during the session; session closed" is not trusted by this policy',
      },
    ]);
    expect(reportedDeviationOf(r!)).to.deep.include({ kind: 'IdentityRefused', rule: 'token-issuer' });
    expect(deviationOf(r!)).to.deep.include({ kind: 'IdentityRefused' });
    // The session's own record of a token expiring mid-session is its end, not a refusal.
    const [end] = chain([
      { event: { action: 'identity.rejected' }, message: 'token expired during the session; session closed' },
    ]);
    expect(reportedDeviationOf(end!)).to.equal(undefined);
  });

  it('the agent cannot choose the category of its refusal by what it quotes (issuer, algorithm)', async () => {
    // The verifier's own refusal of an unsigned token whose issuer the agent wrote.
    const verifier = new TokenVerifier({ issuers: [], maxTokenLifetimeSeconds: 900 });
    const unsigned = (header: object, claims: object): string =>
      [header, claims].map((x) => Buffer.from(JSON.stringify(x)).toString('base64url')).join('.') + '.c2ln';
    const forged = async (iss: string): Promise<string> =>
      verifier.verify(unsigned({ alg: 'ES256' }, { iss, sub: 'a' })).then(
        () => 'accepted',
        (e: Error) => e.message,
      );
    expect(await forged('x" expired "y')).to.contain('is not trusted by this policy');
    for (const iss of ['x" expired "y', 'not yet valid', 'x\\" signature \\"', '"exp"'])
      expect(
        reportedDeviationOf(
          chain([{ event: { action: 'identity.rejected', outcome: 'failure' }, message: await forged(iss) }])[0]!,
        )!.rule,
        iss,
      ).to.equal('token-issuer');
    const alg = await verifier.verify(unsigned({ alg: 'HS256" issuer "' }, { iss: 'x' })).then(
      () => 'accepted',
      (e: Error) => e.message,
    );
    expect(
      reportedDeviationOf(chain([{ event: { action: 'identity.rejected', outcome: 'failure' }, message: alg }])[0]!)!
        .rule,
    ).to.equal('token-signature');
    // The token library's own quoted claim names still classify.
    expect(
      reportedDeviationOf(
        chain([
          { event: { action: 'identity.rejected', outcome: 'failure' }, message: '"exp" claim timestamp check failed' },
        ])[0]!,
      )!.rule,
    ).to.equal('token-time');
  });

  it('the items half (a) files match: identity and witness rules as the sidecar names them', () => {
    const records = chain([
      {
        event: { action: 'identity.rejected', outcome: 'failure' },
        message: 'token expired',
        at: '2026-11-24T10:00:00.000Z',
      },
      { event: { action: 'audit.checkpoint-failed' }, message: 'witness down', at: '2026-11-24T10:00:01.000Z' },
    ]);
    const reviews = [
      item(
        'IdentityRefused',
        'token-time',
        '2026-11-24',
        { count: 101, deviations: [] },
        ack('approver-1', '2026-11-24T12:00:00Z'),
      ),
      item(
        'AuditFailure',
        'witness-checkpoint',
        '2026-11-24',
        { count: 101, deviations: [] },
        ack('approver-1', '2026-11-24T12:00:00Z'),
      ),
    ];
    const f = reviewDeviations({ records, reviews, asOf: new Date('2026-11-24T13:00:00Z') });
    expect(f.deviations.map((d) => [d.kind, d.state])).to.deep.equal([
      ['IdentityRefused', 'Acknowledged'],
      ['AuditFailure', 'Acknowledged'],
    ]);
  });
});

const day = '2026-11-24';
const approvers = (): { groups: string[] } => ({ groups: ['agentgate:approvers'] });

/** A Deny of `rule` on record at 10:00 on `day`. */
function denial(rule: string, text: string): AuditFields & { at: string } {
  return {
    event: { action: 'statement.decision', outcome: 'failure' },
    decision: 'Deny',
    enforced: true,
    rule: { name: rule },
    db: { query: { text } },
    at: `${day}T10:00:00.000Z`,
  };
}

/** A Denial item of `rule` listing the one deviation at 10:00 by `hash`, acknowledged by approver-1 unless told. */
function listing(
  rule: string,
  hash: string,
  more: {
    status?: DeviationReview['status'];
    decision?: DeviationReview['spec']['decision'];
    serviceAccount?: string;
  } = {},
): DeviationReview {
  return item(
    'Denial',
    rule,
    day,
    {
      count: 1,
      firstSeen: `${day}T10:00:00Z`,
      deviations: [{ time: `${day}T10:00:00.000Z`, auditHash: hash }],
      ...more.status,
    },
    more.decision ?? ack('approver-1', `${day}T11:00:00Z`),
    more.serviceAccount,
  );
}

/** What the report must make of the refusal: its state and rule, an exception (null: none), a note. */
interface Found {
  state?: string;
  rule?: string;
  exception?: string | null;
  note?: string;
}

function expectFound(f: ReviewFindings, want: Found, name: string): void {
  const d = f.deviations[0];
  expect(d, name).to.not.equal(undefined);
  if (want.state !== undefined) expect(d!.state, name).to.equal(want.state);
  if (want.rule !== undefined) expect(d!.rule, name).to.equal(want.rule);
  if (want.exception === null) expect(d!.exception, name).to.equal(undefined);
  else if (want.exception !== undefined) expect(d!.exception, name).to.contain(want.exception);
  if (want.note !== undefined) expect(f.notes.join('\n'), name).to.contain(want.note);
}

/** One refusal on record and the items that claim to review it, each with what the report must find. */
interface ClaimedReview {
  title: string;
  refusal: AuditFields & { at: string };
  asOf?: string;
  claims: {
    name: string;
    reviews(hash: string): DeviationReview[];
    reviewers?: ReviewInput['reviewers'];
    found: Found;
  }[];
}

const claimedReviews: ClaimedReview[] = [
  {
    title:
      'a person who triggered a run beyond the 100 listed deviations (status.triggeredByUsernames) reviewing is self-review; "*" cannot be ruled out',
    refusal: denial('no-ddl', 'DROP TABLE t'),
    claims: [
      {
        name: 'acknowledged by mallory, who triggered a run',
        reviews: (hash) => [
          listing('no-ddl', hash, {
            status: {
              count: 150,
              firstSeen: `${day}T09:00:00Z`,
              triggeredByUsernames: ['https://idp#mallory', 'mallory'],
            },
            decision: ack('https://idp#mallory', `${day}T11:00:00Z`),
          }),
        ],
        found: { exception: 'self-review' },
      },
      {
        name: 'triggerers too many to list',
        reviews: (hash) => [
          listing('no-ddl', hash, {
            status: { count: 150, firstSeen: `${day}T09:00:00Z`, triggeredByUsernames: ['a', '*'] },
          }),
        ],
        found: { exception: 'self-review cannot be ruled out' },
      },
    ],
  },
  {
    title: "an item that lists the hash of another rule's or agent's deviation does not review it",
    refusal: denial('payroll', 'SELECT * FROM payroll.salaries'),
    claims: [
      {
        name: 'an item of another rule',
        reviews: (hash) => [listing('no-ddl', hash)],
        found: { state: 'Not reported for review', note: 'not counted as its review' },
      },
      {
        name: 'an item of another agent',
        reviews: (hash) => [listing('payroll', hash, { serviceAccount: 'other-agent' })],
        found: { state: 'Not reported for review' },
      },
    ],
  },
  {
    // 150 token-time refusals, 50 of them before the period: the item leaves 50 unlisted that this chain does not hold.
    title: "a flooded item's unlisted count cannot cover a refusal of another rule",
    refusal: {
      event: { action: 'identity.rejected', outcome: 'failure' },
      message: 'token signature did not verify',
      at: `${day}T10:30:00.000Z`,
    },
    asOf: `${day}T13:00:00Z`,
    claims: [
      {
        name: 'a flooded token-time item',
        reviews: () => [
          item(
            'IdentityRefused',
            'token-time',
            day,
            {
              count: 150,
              firstSeen: `${day}T00:00:00Z`,
              deviations: Array.from({ length: 100 }, (_, n) => ({
                time: `${day}T11:00:00Z`,
                auditHash: n.toString(16).padStart(64, 'b'),
              })),
            },
            ack('approver-1', `${day}T12:00:00Z`),
          ),
        ],
        found: { rule: 'token-signature', state: 'Not reported for review' },
      },
    ],
  },
  {
    title: "a decision stamped for someone outside the policy's reviewers (the webhook bypassed) is not a review",
    refusal: denial('no-ddl', 'DROP TABLE t'),
    claims: [
      {
        name: 'stamped for dev-user',
        reviews: (hash) => [
          listing('no-ddl', hash, { decision: ack('dev-user', `${day}T11:00:00Z`, ['system:authenticated']) }),
        ],
        reviewers: approvers,
        found: { exception: "not among the policy's reviewers" },
      },
      {
        name: 'stamped for approver-1',
        reviews: (hash) => [listing('no-ddl', hash)],
        reviewers: approvers,
        found: { exception: null },
      },
    ],
  },
];

describe('rev16: attacks on the review population', () => {
  it('a Reject-mode approval outcome and an unwritable audit log, filed without a hash, are in the population with their review', () => {
    const reviews = [
      item(
        'ApprovalExpired',
        'writes-need-approval',
        day,
        {
          count: 1,
          firstSeen: `${day}T10:00:00Z`,
          deviations: [
            { time: `${day}T10:00:00Z`, statement: 'UPDATE t SET v = 8', reason: 'expired undecided (mode Reject)' },
          ],
        },
        ack('approver-1', `${day}T11:00:00Z`),
      ),
      item('AuditFailure', 'audit-log-unwritable', day, {
        count: 1,
        firstSeen: `${day}T09:00:00Z`,
        deviations: [{ time: `${day}T09:00:00Z`, reason: 'the audit log cannot be written' }],
      }),
    ];
    const f = reviewDeviations({
      records: [],
      reviews,
      asOf: new Date(`${day}T12:00:00Z`),
      period: { from: new Date(`${day}T00:00:00Z`), to: new Date(`${day}T12:00:00Z`) },
    });
    expect(f.deviations.map((d) => [d.kind, d.state, d.reviewedBy ?? ''])).to.deep.equal([
      ['AuditFailure', 'Open', ''],
      ['ApprovalExpired', 'Acknowledged', 'approver-1'],
    ]);
    expect(f.byControl['CC6.3'].population).to.equal(1);
    expect(f.byControl['CC7.2'].population).to.equal(1);
  });

  // One refusal on record, and the items that claim to review it: what the report makes of the refusal.
  for (const c of claimedReviews)
    it(c.title, () => {
      const records = chain([c.refusal]);
      for (const claim of c.claims) {
        const f = reviewDeviations({
          records,
          reviews: claim.reviews(records[0]!.hash),
          ...(claim.reviewers ? { reviewers: claim.reviewers } : {}),
          asOf: new Date(c.asOf ?? `${day}T12:00:00Z`),
        });
        expectFound(f, claim.found, claim.name);
      }
    });

  it("an export that leaves out the chain holding a reviewed item's deviations does not pass: each is an exception", () => {
    const other = chain([denial('payroll', 'SELECT * FROM payroll.salaries')]);
    const listed = item('Denial', 'payroll', day, {
      count: 1,
      firstSeen: `${day}T10:00:00Z`,
      deviations: [
        { time: `${day}T10:00:00.000Z`, auditHash: other[0]!.hash, statement: 'SELECT * FROM payroll.salaries' },
      ],
    });
    const f = reviewDeviations({
      records: [],
      reviews: [listed],
      asOf: new Date(`${day}T10:30:00Z`),
      period: { from: new Date(`${day}T00:00:00Z`), to: new Date(`${day}T10:30:00Z`) },
    });
    expect(f.deviations).to.have.length(1);
    expect(f.deviations[0]!.exception).to.contain('not in the audit logs given');
    expect(f.byControl['CC6.3']).to.deep.include({ population: 1, exceptions: 1 });
  });

  it('shortened item names do not collide: long policy and service-account names differing only past the cut', () => {
    const long = 'p'.repeat(200);
    const names = new Set<string>();
    for (const policy of [`${long}a`, `${long}b`])
      for (const serviceAccount of [`${long}a`, `${long}b`])
        for (const rule of ['no-ddl', 'no-ddl2'])
          names.add(reviewName({ policy, serviceAccount, kind: 'Denial', rule, day }));
    expect(names.size).to.equal(8);
    for (const n of names) expect(n.length).to.be.at.most(253);
  });
});
