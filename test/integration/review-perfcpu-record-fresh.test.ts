/**
 * Hostile review of the decision-path caches, through the real proxy and PostgreSQL: a named prepared
 * statement's Execute records come from the record kept with its classification (record-fragment.ts);
 * an unnamed statement of the same text is parsed and classified afresh every time. What the existing
 * perfcpu tests do not drive through the real proxy: a prepared statement refused at Execute after a
 * rule is added (whose message has quotes, U+2028 and a control character), then run in Audit mode,
 * then under the rule renamed with another message, then with statement text left out of the record;
 * texts and identifiers with U+2028, U+2029, control characters, quotes and backslashes. Every record
 * must equal the fresh one, every line must be what a fresh JSON.stringify writes, and the chain must verify.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import type { AgentAccessPolicy, RuleSpec } from '../../shared/contract/policy-types.js';
import { verifyAuditFile } from '../../proxy/audit/verify.js';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { auditRecords } from '../support/audit-records.js';

type Rec = Record<string, unknown>;

const CORPUS: { text: string; values: unknown[] }[] = [
  { text: 'SELECT count(*) FROM orders WHERE status = $1', values: ['new'] },
  {
    text: `SELECT id AS "we\u0001ird\u2028na""me\\", 'a\u2029b\u0007"\\\\' AS t FROM customers WHERE email <> 'x@example.com' AND id = $1`,
    values: [1],
  },
  { text: `UPDATE orders SET status = $1 WHERE id = $2 -- EMP-123456 \u2028 "q"`, values: ['new', 1] },
];

/** A decision record without what the chain sets per line. */
function statementPart(r: Rec): Rec {
  const { seq: _s, '@timestamp': _t, prevHash: _p, hash: _h, ...rest } = r;
  return rest;
}

describe('review-perfcpu: prepared statements’ records equal fresh ones across refusals, Audit mode, rule and text-recording changes', function () {
  this.timeout(60_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack();
  });
  after(async () => s?.stop());

  /** Each corpus text as a named prepared statement (3 Executes), then unnamed (parsed afresh); their decision records. */
  async function round(c: pg.Client, tag: string): Promise<void> {
    for (const [i, q] of CORPUS.entries()) {
      const seen = auditRecords(s).length;
      for (let k = 0; k < 4; k++) {
        await c
          .query(k < 3 ? { name: `q${i}`, text: q.text, values: q.values } : { text: q.text, values: q.values })
          .then(
            () => undefined,
            () => undefined, // refused: recorded all the same
          );
      }
      const decisions = auditRecords(s)
        .slice(seen)
        .filter((r) => r.event.action === 'statement.decision')
        .map(statementPart);
      expect(decisions, `${tag}: ${q.text}`).to.have.length(4);
      for (const named of decisions.slice(0, 3)) expect(named, `${tag}: ${q.text}`).to.deep.equal(decisions[3]);
    }
  }

  const lastDecision = (): Rec =>
    auditRecords(s)
      .filter((r) => r.event.action === 'statement.decision')
      .at(-1)!;

  function withPolicy(edit: (p: AgentAccessPolicy) => void): void {
    const next = structuredClone(s.policy);
    edit(next);
    s.proxy.updatePolicy(next);
  }

  /** A Deny rule whose name and message need JSON escaping (quotes, U+2028, BEL). */
  const closedOrders = (): RuleSpec =>
    ({
      name: 'no-"orders"\u2028',
      when: { sql: { tables: ['orders'] } },
      action: 'Deny',
      message: 'orders are "closed" \u2028 today\u0007',
    }) as RuleSpec;

  it('across a refusal at Execute, Audit mode, a renamed rule and text left out; lines are a fresh serialization', async () => {
    const c = await s.connect('agent-1');
    try {
      await round(c, 'first');
      withPolicy((p) => {
        p.metadata.generation = 2;
        (p.spec.rules ??= []).unshift(closedOrders());
      });
      await round(c, 'refused');
      const refused = auditRecords(s).filter((r) => r.event.action === 'statement.decision' && r.enforced === true);
      expect(refused.length).to.be.greaterThan(0);
      expect(refused.at(-1)!.message).to.equal('orders are "closed" \u2028 today\u0007');

      withPolicy((p) => {
        p.metadata.generation = 3;
        p.spec.mode = 'Audit';
        (p.spec.rules ??= []).unshift(closedOrders());
      });
      await round(c, 'Audit mode');

      withPolicy((p) => {
        p.metadata.generation = 4;
        (p.spec.rules ??= []).unshift({
          name: 'orders-renamed',
          when: { sql: { tables: ['orders'] } },
          action: 'Deny',
          message: 'another message',
        } as RuleSpec);
      });
      await round(c, 'renamed rule');
      expect(lastDecision().rule).to.deep.equal({ name: 'orders-renamed' });

      withPolicy((p) => {
        p.metadata.generation = 5;
        p.spec.audit = { includeStatementText: false };
      });
      await round(c, 'text left out');
      expect(lastDecision()).to.not.have.property('db');

      withPolicy((p) => {
        p.metadata.generation = 6;
      });
      const recordedAgain = auditRecords(s).length;
      await round(c, 'text recorded again');
      expect(JSON.stringify(auditRecords(s).slice(recordedAgain))).to.include('[redacted:email]');
    } finally {
      await c.end();
    }
    const lines = readFileSync(s.auditFile, 'utf8').trim().split('\n');
    for (const line of lines) expect(JSON.stringify(JSON.parse(line))).to.equal(line);
    expect(verifyAuditFile(s.auditFile)).to.include({ ok: true });
  });
});
