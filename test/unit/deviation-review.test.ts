/** Review items for deviations: naming, grouping, state, admission, and what the proxy reports (pure parts). */
import { expect } from 'chai';
import { AuditLog } from '../../proxy/audit/audit-log.js';
import { parseRecord, type AuditFields } from '../../proxy/audit/record.js';
import { deviationOf, identityRule, mayDeviate } from '../../proxy/audit/deviation-of.js';
import { DeviationReporter } from '../../proxy/cluster/deviation-reporter.js';
import { admitReviewCreate, admitReviewStatus, admitReviewUpdate } from '../../operator/reviews/admission.js';
import { addDeviations, TOO_MANY_TRIGGERERS } from '../../operator/reviews/grouping.js';
import { reviewName, utcDay } from '../../operator/reviews/naming.js';
import { parseDeviationReports } from '../../operator/reviews/report.js';
import { reviewConditions, reviewState } from '../../operator/reviews/state.js';
import type { DeviationReview } from '../../operator/reviews/types.js';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const hash = (n: number): string => n.toString(16).padStart(64, '0');

function item(extra: Partial<DeviationReview['spec']> = {}, status: DeviationReview['status'] = {}): DeviationReview {
  return {
    apiVersion: 'agentgate.dev/v1alpha1',
    kind: 'DeviationReview',
    metadata: { name: 'billing-agent-agent-sa-denial-2026-11-30-12345678', namespace: 'agents', generation: 1 },
    spec: {
      policyRef: { name: 'billing-agent' },
      agent: { serviceAccount: 'agent-sa' },
      kind: 'Denial',
      rule: 'no-ddl',
      day: '2026-11-30',
      ...extra,
    },
    status: { count: 1, firstSeen: '2026-11-30T10:00:00Z', lastSeen: '2026-11-30T10:00:00Z', ...status },
  };
}
const withDecision = (
  dr: DeviationReview,
  decision: NonNullable<DeviationReview['spec']['decision']>,
): DeviationReview => ({ ...dr, spec: { ...dr.spec, decision } });

describe('deviation review: naming', () => {
  const key = {
    policy: 'billing-agent',
    serviceAccount: 'agent-sa',
    kind: 'Denial' as const,
    rule: 'no-ddl',
    day: '2026-11-30',
  };
  it('one deterministic name per (policy, service account, kind, rule, UTC day)', () => {
    expect(reviewName(key)).to.match(/^billing-agent-agent-sa-denial-2026-11-30-[0-9a-f]{8}$/);
    expect(reviewName(key)).to.equal(reviewName({ ...key }));
    const others = [
      { rule: 'payroll' },
      { day: '2026-12-01' },
      { kind: 'CapExceeded' as const },
      { serviceAccount: 'other' },
      { policy: 'other' },
    ].map((d) => reviewName({ ...key, ...d }));
    expect(new Set([reviewName(key), ...others]).size).to.equal(6);
  });
  it('stays a valid Kubernetes name for the longest policy and service-account names, and keeps keys apart', () => {
    const long = { ...key, policy: `${'p'.repeat(200)}.x${'q'.repeat(51)}`, serviceAccount: 's'.repeat(253) };
    const a = reviewName(long);
    const b = reviewName({ ...long, serviceAccount: `${'s'.repeat(252)}t` });
    for (const n of [a, b]) {
      expect(n.length).to.be.at.most(253);
      expect(n).to.match(DNS_SUBDOMAIN);
    }
    expect(a).to.not.equal(b);
  });
  it('groups by the UTC day', () => {
    expect(utcDay('2026-11-30T23:59:59.999Z')).to.equal('2026-11-30');
    expect(utcDay('2026-12-01T00:00:00+01:00')).to.equal('2026-11-30');
  });
});

describe('deviation review: grouping', () => {
  const entry = (n: number, t = `2026-11-30T10:${String(n % 60).padStart(2, '0')}:00Z`) => ({
    entry: { time: t, auditHash: hash(n), pod: 'agent-pod' },
    triggerers: [],
  });
  it('counts every deviation, keeps the latest 100, and spans first/last seen over all', () => {
    let status;
    for (let i = 0; i < 150; i++)
      status = addDeviations(status, [
        entry(i, new Date(Date.parse('2026-11-30T10:00:00Z') + i * 1000).toISOString()),
      ]).status;
    expect(status!.count).to.equal(150);
    expect(status!.deviations).to.have.length(100);
    expect(status!.deviations![0]!.auditHash).to.equal(hash(50));
    expect(status!.firstSeen).to.equal('2026-11-30T10:00:00.000Z');
    expect(status!.lastSeen).to.equal('2026-11-30T10:02:29.000Z');
  });
  it('a retried report (same audit hash) is not counted twice, within a batch or across calls', () => {
    const first = addDeviations(undefined, [entry(1), entry(1), entry(2)]);
    expect(first.added).to.equal(2);
    const again = addDeviations(first.status, [entry(2)]);
    expect(again.added).to.equal(0);
    expect(again.status.count).to.equal(2);
  });
  it('remembers every triggering person for the whole item; past the limit, nobody can be ruled out', () => {
    const s = addDeviations(undefined, [
      { entry: { time: '2026-11-30T10:00:00Z', auditHash: hash(1) }, triggerers: ['https://idp#alice', 'alice'] },
    ]).status;
    expect(s.triggeredByUsernames).to.deep.equal(['https://idp#alice', 'alice']);
    const many = Array.from({ length: 300 }, (_, i) => ({
      entry: { time: '2026-11-30T10:00:00Z', auditHash: hash(i + 10) },
      triggerers: [`person-${i}`],
    }));
    expect(addDeviations(s, many).status.triggeredByUsernames).to.include(TOO_MANY_TRIGGERERS);
  });
});

describe('deviation review: state', () => {
  it('Open until maxOpenHours after the first deviation, then Exception; a decision decides', () => {
    const dr = item();
    const first = Date.parse('2026-11-30T10:00:00Z');
    expect(reviewState(dr, 72, first + 71 * 3_600_000)).to.deep.equal({
      state: 'Open',
      exceptionAt: first + 72 * 3_600_000,
    });
    expect(reviewState(dr, 72, first + 72 * 3_600_000).state).to.equal('Exception');
    expect(
      reviewState(withDecision(dr, { state: 'Acknowledged', reviewedBy: 'a' }), 72, first + 100 * 3_600_000).state,
    ).to.equal('Acknowledged');
    const c = reviewConditions(dr, 'Exception', 1, first + 2 * 3_600_000);
    expect(c.find((x) => x.type === 'Exception')).to.include({
      status: 'True',
      reason: 'Overdue',
      observedGeneration: 1,
    });
    expect(c.find((x) => x.type === 'Reviewed')).to.include({ status: 'False' });
  });
});

describe('deviation review: admission', () => {
  const reviewers = { groups: ['agentgate:approvers'], users: ['carol'] };
  const now = Date.parse('2026-11-30T12:00:00Z');
  const decide = (d: object) => withDecision(item(), d as never);
  it("stamps who reviewed from the API server's user, replacing anything sent", () => {
    const r = admitReviewUpdate(
      item(),
      decide({
        state: 'Acknowledged',
        comment: 'expected',
        reviewedBy: 'someone-else',
        reviewedGroups: ['system:masters'],
        reviewedAt: '2020-01-01T00:00:00Z',
      }),
      { username: 'approver-1', groups: ['agentgate:approvers'] },
      reviewers,
      now,
    );
    expect(r.allowed).to.equal(true);
    expect((r as { mutated: DeviationReview }).mutated.spec.decision).to.deep.equal({
      state: 'Acknowledged',
      comment: 'expected',
      reviewedBy: 'approver-1',
      reviewedGroups: ['agentgate:approvers'],
      reviewedAt: '2026-11-30T12:00:00Z',
    });
  });
  it('stamps reviewedAt to the millisecond (a deviation earlier in the same second came before the review)', () => {
    const r = admitReviewUpdate(
      item(),
      decide({ state: 'Acknowledged' }),
      { username: 'approver-1', groups: ['agentgate:approvers'] },
      reviewers,
      Date.parse('2026-11-30T12:00:03.900Z'),
    );
    expect((r as { mutated: DeviationReview }).mutated.spec.decision!.reviewedAt).to.equal('2026-11-30T12:00:03.900Z');
  });
  it('refuses the agent, anyone who triggered a run among the deviations, and non-reviewers', () => {
    const agent = admitReviewUpdate(
      item(),
      decide({ state: 'Acknowledged' }),
      { username: 'system:serviceaccount:agents:agent-sa', groups: ['agentgate:approvers'] },
      reviewers,
      now,
    );
    expect(agent).to.deep.include({ allowed: false });
    expect((agent as { message: string }).message).to.contain('no self-review');
    const triggered = item({}, { triggeredByUsernames: ['https://idp.example#alice', 'alice'] });
    for (const u of ['https://idp.example#alice', 'oidc:Alice', 'alice', 'https://other#alice']) {
      const r = admitReviewUpdate(
        triggered,
        withDecision(triggered, { state: 'Acknowledged' }),
        { username: u, groups: ['agentgate:approvers'] },
        reviewers,
        now,
      );
      expect(r.allowed, u).to.equal(false);
    }
    expect(
      admitReviewUpdate(
        item(),
        decide({ state: 'Acknowledged' }),
        { username: 'dev-user', groups: [] },
        reviewers,
        now,
      ),
    ).to.deep.include({ allowed: false });
    expect(
      admitReviewUpdate(item(), decide({ state: 'Acknowledged' }), { username: 'carol' }, reviewers, now).allowed,
    ).to.equal(true);
    expect(
      admitReviewUpdate(item(), decide({ state: 'Acknowledged' }), { username: 'carol' }, undefined, now),
    ).to.deep.include({ allowed: false });
    const overflow = item({}, { triggeredByUsernames: [TOO_MANY_TRIGGERERS] });
    expect(
      admitReviewUpdate(
        overflow,
        withDecision(overflow, { state: 'Acknowledged' }),
        { username: 'carol' },
        reviewers,
        now,
      ).allowed,
    ).to.equal(false);
  });
  it('a decision is final; nothing else in the spec changes; an escalation says why', () => {
    const decided = decide({ state: 'Acknowledged', reviewedBy: 'carol', reviewedAt: '2026-11-30T12:00:00Z' });
    expect(
      admitReviewUpdate(decided, structuredClone(decided), { username: 'dev-user' }, reviewers, now).allowed,
    ).to.equal(true);
    expect(
      admitReviewUpdate(
        decided,
        withDecision(decided, { state: 'Escalated', ticket: 'SEC-1' }),
        { username: 'carol' },
        reviewers,
        now,
      ),
    ).to.deep.include({ allowed: false });
    const { decision: _d, ...spec } = decided.spec;
    expect(admitReviewUpdate(decided, { ...decided, spec }, { username: 'carol' }, reviewers, now)).to.deep.include({
      allowed: false,
    });
    expect(
      admitReviewUpdate(item(), item({ rule: 'something-else' }), { username: 'carol' }, reviewers, now),
    ).to.deep.include({ allowed: false });
    const labelled = item();
    labelled.metadata.labels = { 'agentgate.dev/policy': 'billing-agent' };
    expect(admitReviewUpdate(labelled, item(), { username: 'carol' }, reviewers, now)).to.deep.include({
      allowed: false,
    });
    expect(
      admitReviewUpdate(item(), decide({ state: 'Escalated' }), { username: 'carol' }, reviewers, now),
    ).to.deep.include({ allowed: false });
    expect(
      admitReviewUpdate(item(), decide({ state: 'Escalated', ticket: 'SEC-1' }), { username: 'carol' }, reviewers, now)
        .allowed,
    ).to.equal(true);
  });
  it('only the operator creates items and writes their status', () => {
    expect(
      admitReviewCreate(item(), { username: 'admin' }, 'system:serviceaccount:agentgate-system:agentgate-operator')
        .allowed,
    ).to.equal(false);
    expect(admitReviewCreate(item(), { username: 'op' }, 'op').allowed).to.equal(true);
    expect(admitReviewCreate(decide({ state: 'Acknowledged' }), { username: 'op' }, 'op').allowed).to.equal(false);
    expect(admitReviewStatus({ username: 'approver-1' }, 'op').allowed).to.equal(false);
    expect(admitReviewStatus({ username: 'op' }, 'op').allowed).to.equal(true);
  });
});

describe('deviation review: what the proxy reports', () => {
  const written = (fields: AuditFields, shared: Partial<AuditFields> = {}) => {
    const log = new AuditLog({});
    let line = '';
    log.observe((_f, l) => (line = l));
    log.scope(shared).append(fields);
    return parseRecord(line);
  };
  const session = {
    session: { id: 's-1' },
    principal: { iss: 'https://issuer', sub: 'agent-1', triggeredBy: { iss: 'https://idp', sub: 'alice' } },
  };
  it('a denial (rule or built-in guard), with the chained hash, masked text and who triggered the run', () => {
    const r = written(
      {
        event: { action: 'statement.decision', outcome: 'failure' },
        decision: 'Deny',
        enforced: true,
        rule: { name: 'no-ddl' },
        db: { query: { text: 'DROP TABLE t' } },
      },
      session,
    );
    const d = deviationOf(r)!;
    expect(d).to.deep.include({
      kind: 'Denial',
      rule: 'no-ddl',
      auditHash: r.hash,
      statement: 'DROP TABLE t',
      session: 's-1',
      triggeredBy: { iss: 'https://idp', sub: 'alice' },
    });
    const audit = deviationOf(
      written({
        event: { action: 'statement.decision', outcome: 'success' },
        decision: 'Deny',
        enforced: false,
        rule: { name: 'payroll' },
      }),
    )!;
    expect(audit.reason).to.contain('not blocked: mode Audit');
  });
  it('not a deviation: allowed statements, statements run under an approval, a token ending with its session', () => {
    expect(
      deviationOf(
        written({
          event: { action: 'statement.decision', outcome: 'success' },
          decision: 'Allow',
          enforced: false,
          rule: { name: 'defaultAction' },
        }),
      ),
    ).to.equal(undefined);
    expect(
      deviationOf(
        written({
          event: { action: 'statement.decision', outcome: 'success' },
          decision: 'RequireApproval',
          enforced: false,
          rule: { name: 'w' },
          detail: { grant: 'x' },
        }),
      ),
    ).to.equal(undefined);
    expect(
      deviationOf(
        written({
          event: { action: 'identity.rejected' },
          message: 'token expired during the session; session closed',
        }),
      ),
    ).to.equal(undefined);
    expect(mayDeviate({ event: { action: 'statement.completion', outcome: 'failure' } })).to.equal(false);
  });
  it('refused identities get a bounded rule (not the error text), caps name their limit, approvals their fate', () => {
    expect(identityRule('token issuer "https://evil" is not trusted by this policy')).to.equal('token-issuer');
    expect(identityRule(`something new ${Math.random()}`)).to.equal('token-refused');
    const id = deviationOf(
      written({
        event: { action: 'identity.rejected', outcome: 'failure' },
        target: 'billing-db',
        client: { address: '10.0.0.1' },
        message: 'service account agents/x is not a subject of this policy',
      }),
    )!;
    expect(id).to.deep.include({ kind: 'IdentityRefused', rule: 'subject-not-allowed' });
    expect(
      deviationOf(
        written({
          event: { action: 'statement.cap-exceeded', outcome: 'failure' },
          message: 'too many',
          detail: { limit: 'maxRowsAffected', cap: 10 },
        }),
      ),
    ).to.deep.include({ kind: 'CapExceeded', rule: 'maxRowsAffected' });
    const expired = deviationOf(
      written({
        event: { action: 'approval.decided', outcome: 'failure' },
        rule: { name: 'writes-need-approval' },
        message: 'Expired',
        detail: { approvalRequest: 'agents/a-1', decisions: [] },
      }),
      (ref) => (ref === 'agents/a-1' ? 'UPDATE t SET v = ?' : undefined),
    )!;
    expect(expired).to.deep.include({
      kind: 'ApprovalExpired',
      rule: 'writes-need-approval',
      statement: 'UPDATE t SET v = ?',
    });
    expect(
      deviationOf(
        written({
          event: { action: 'approval.decided', outcome: 'failure' },
          rule: { name: 'w' },
          message: 'Denied',
          detail: { approvalRequest: 'agents/a-2', decisions: [{ user: 'bob', comment: 'no' }] },
        }),
      ),
    ).to.deep.include({ kind: 'ApprovalDenied' });
    expect(
      deviationOf(written({ event: { action: 'audit.checkpoint-failed' }, message: 'witness down' })),
    ).to.deep.include({ kind: 'AuditFailure', rule: 'witness-checkpoint' });
  });
  it('the operator refuses malformed reports, unknown fields and oversized batches', () => {
    const ok = { time: '2026-11-30T10:00:00Z', kind: 'Denial', rule: 'no-ddl', auditHash: hash(1) };
    expect(parseDeviationReports({ deviations: [ok] })).to.have.length(1);
    for (const bad of [
      { deviations: [{ ...ok, namespace: 'other' }] },
      { deviations: [{ ...ok, auditHash: 'x' }] },
      { deviations: [{ ...ok, kind: 'Whatever' }] },
      { deviations: Array(101).fill(ok) },
      { deviations: [ok], policy: 'x' },
    ]) {
      expect(() => parseDeviationReports(bad)).to.throw();
    }
  });
});

describe('deviation review: the reporter never holds up the statement path', () => {
  const line = (n: number) => {
    const log = new AuditLog({});
    let l = '';
    log.observe((_f, x) => (l = x));
    log.append({
      event: { action: 'statement.decision', outcome: 'failure' },
      decision: 'Deny',
      enforced: true,
      rule: { name: `r${n}` },
    });
    return l;
  };
  const denial: AuditFields = {
    event: { action: 'statement.decision', outcome: 'failure' },
    decision: 'Deny',
    enforced: true,
  };
  it('queues while the operator is unreachable, retries, and delivers every deviation once it answers', async () => {
    let up = false;
    const got: unknown[] = [];
    const reporter = new DeviationReporter({
      lingerMs: 1,
      initialBackoffMs: 5,
      maxBackoffMs: 20,
      send: async (b) => {
        if (!up) throw Object.assign(new Error('unreachable'), { status: 503 });
        got.push(...b.deviations);
      },
    });
    for (let i = 0; i < 5; i++) reporter.observe(denial, line(i));
    await new Promise((r) => setTimeout(r, 60));
    expect(got).to.have.length(0);
    expect(reporter.pending).to.equal(5);
    up = true;
    await new Promise((r) => setTimeout(r, 100));
    expect(got).to.have.length(5);
    expect(reporter.pending).to.equal(0);
    await reporter.stop();
  });
  it('a full queue drops (and counts) the newest: the chain keeps them', async () => {
    const reporter = new DeviationReporter({ maxQueue: 3, lingerMs: 10_000, send: async () => undefined });
    for (let i = 0; i < 5; i++) reporter.observe(denial, line(i));
    expect(reporter.pending).to.equal(3);
    expect(reporter.dropped).to.equal(2);
    await reporter.stop(10);
  });
  it('an observer that throws never fails the audit write', () => {
    const log = new AuditLog({});
    log.observe(() => {
      throw new Error('boom');
    });
    expect(log.append({ event: { action: 'proxy.start' } }).seq).to.equal(1);
  });
});

describe('deviation review: filed by the operator, and caught up at start', () => {
  it('an approval that expires or is denied under mode Reject becomes a deviation, counted once however often it is filed', async () => {
    const { approvalDeviation } = await import('../../operator/reviews/approval-deviations.js');
    const apr = {
      apiVersion: 'agentgate.dev/v1alpha1' as const,
      kind: 'ApprovalRequest' as const,
      metadata: { name: 'billing-agent-x1', namespace: 'agents' },
      spec: {
        policy: 'billing-agent',
        rule: 'writes-need-approval',
        target: 'db',
        expiresAt: '2026-11-30T10:05:00Z',
        command: { text: 'UPDATE t SET v = ?', sha256: 'a'.repeat(64) },
        requester: {
          subject: 'system:serviceaccount:agents:agent-sa',
          serviceAccount: 'agents/agent-sa',
          pod: 'agent-pod',
          triggeredBy: 'alice',
          triggeredByUsernames: ['https://idp#alice'],
        },
      },
    };
    const d = approvalDeviation(apr, 'Expired')!;
    expect(d.key).to.deep.equal({
      policy: 'billing-agent',
      serviceAccount: 'agent-sa',
      kind: 'ApprovalExpired',
      rule: 'writes-need-approval',
      day: '2026-11-30',
    });
    expect(d.grouped.entry).to.deep.include({
      time: '2026-11-30T10:05:00Z',
      pod: 'agent-pod',
      statement: 'UPDATE t SET v = ?',
      triggeredBy: 'https://idp#alice',
    });
    expect(d.grouped.triggerers).to.include('alice');
    const once = addDeviations(undefined, [d.grouped]).status;
    expect(addDeviations(once, [approvalDeviation(apr, 'Expired')!.grouped]).added).to.equal(0);
    const denied = approvalDeviation(
      {
        ...apr,
        spec: {
          ...apr.spec,
          decisions: [{ user: 'bob', decision: 'Denied' as const, comment: 'no', time: '2026-11-30T10:01:00Z' }],
        },
      },
      'Denied',
    )!;
    expect(denied.key.kind).to.equal('ApprovalDenied');
    expect(denied.grouped.entry.reason).to.contain('denied by bob (no)');
  });

  it("the reporter catches up on what the log recorded before it was attached, from the proxy's start", async () => {
    const { mkdtempSync } = await import('node:fs');
    const { statSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const file = `${mkdtempSync(`${tmpdir()}/deviations-`)}/audit.log`;
    const earlier = new AuditLog({ file });
    earlier.append({
      event: { action: 'statement.decision', outcome: 'failure' },
      decision: 'Deny',
      enforced: true,
      rule: { name: 'old-run' },
    });
    earlier.close();
    const start = statSync(file).size;
    const log = new AuditLog({ file });
    log.append({ event: { action: 'audit.recordings-repaired', outcome: 'failure' }, message: 'could not complete' });
    log.append({ event: { action: 'proxy.start' } });
    const sent: { rule: string }[] = [];
    const reporter = new DeviationReporter({ lingerMs: 1, send: async (b) => void sent.push(...b.deviations) });
    log.observe(reporter.observe);
    reporter.catchUp(file, start);
    await new Promise((r) => setTimeout(r, 30));
    expect(sent.map((d) => d.rule)).to.deep.equal(['recordings-repair']);
    await reporter.stop();
    log.close();
  });
});
