/**
 * Issue #14, round 4, through the real proxy and PostgreSQL: a named prepared statement's Execute records
 * come from the record kept with its classification; an unnamed statement with the same text is parsed,
 * classified and recorded afresh every time. Their decision records must be the same (everything but
 * the chain's own seq, time and hashes), across executions, a policy change (new masking rule, new
 * generation), a refused SET search_path, DDL and a second session of another principal.
 */
import { expect } from 'chai';
import type pg from 'pg';
import type { AuditFields } from '../../proxy/audit/record.js';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { auditRecords } from '../support/audit-records.js';

const CORPUS: { text: string; values: unknown[] }[] = [
  {
    text: "SELECT id, name, email FROM customers WHERE card_number <> '4111 1111 1111 1111' AND id = $1",
    values: [1],
  },
  { text: "SELECT count(*) FROM orders WHERE status = $1 OR 'EMP-123456' = $1", values: ['new'] },
  { text: 'SELECT ssn, lower(notes) FROM customers WHERE id = $1', values: [2] },
  { text: 'UPDATE orders SET status = $1 WHERE id = $2', values: ['new', 1] },
];

type Rec = Record<string, unknown>;

/** A decision record without what the chain sets per line. */
function statementPart(r: AuditFields): Rec {
  const { seq: _s, '@timestamp': _t, prevHash: _p, hash: _h, ...rest } = r as AuditFields & Rec;
  return rest;
}

describe('perfcpu: prepared statements’ decision records equal records computed afresh (real proxy)', function () {
  this.timeout(60_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack();
  });
  after(async () => s?.stop());

  /** Runs each corpus text as named prepared statement (3 Executes) and unnamed (1 Parse + Execute); their decision records. */
  async function round(c: pg.Client, tag: string): Promise<{ named: Rec[][]; fresh: Rec[] }> {
    const named: Rec[][] = [];
    const fresh: Rec[] = [];
    for (const [i, q] of CORPUS.entries()) {
      const seen = auditRecords(s).length;
      for (let k = 0; k < 3; k++) await c.query({ name: `q${i}`, text: q.text, values: q.values });
      await c.query({ text: q.text, values: q.values });
      const decisions = auditRecords(s)
        .slice(seen)
        .filter((r) => r.event.action === 'statement.decision')
        .map((r) => statementPart(r as AuditFields));
      expect(decisions, `${tag}: ${q.text}`).to.have.length(4);
      named.push(decisions.slice(0, 3));
      fresh.push(decisions[3]!);
    }
    return { named, fresh };
  }

  function same(r: { named: Rec[][]; fresh: Rec[] }, tag: string): void {
    r.fresh.forEach((f, i) => {
      for (const n of r.named[i]!) expect(n, `${tag}: ${CORPUS[i]!.text}`).to.deep.equal(f);
    });
  }

  it('across executions, a policy change, SET search_path, DDL and another principal', async () => {
    const a = await s.connect('agent-1');
    const b = await s.connect('agent-2');
    try {
      const first = await round(a, 'first');
      same(first, 'first');
      expect(JSON.stringify(first.fresh)).to.include('[redacted:creditCard]');

      // Another principal, same texts: the same statement part, its own principal.
      const other = await round(b, 'other principal');
      same(other, 'other principal');
      other.fresh.forEach((f, i) => {
        const { principal: pb, session: _sb, connection: _cb, ...restB } = f;
        const { principal: pa, session: _sa, connection: _ca, ...restA } = first.fresh[i]!;
        expect(restB).to.deep.equal(restA);
        expect(pb).to.not.deep.equal(pa);
      });

      // A policy change (a new masking rule, a new generation): the statements prepared before run under it.
      const next = structuredClone(s.policy);
      next.metadata.generation = 7;
      next.spec.masking!.patterns = [
        ...(next.spec.masking!.patterns ?? []),
        { name: 'status-word', regex: 'status', strategy: 'redact' },
      ];
      s.proxy.updatePolicy(next);
      const changed = await round(a, 'policy change');
      same(changed, 'policy change');
      expect(JSON.stringify(changed.named)).to.include('[redacted:status-word]');
      expect(changed.named[1]![0]!.policy).to.deep.include({ generation: 7 });

      // SET search_path (refused: the path is pinned), then DDL (outside the proxy): the prepared statements still run as parsed.
      const refused = await a.query('SET search_path TO payroll, public').then(
        () => 'ran',
        (e: Error) => e.message,
      );
      expect(refused).to.include('pinned-search-path');
      same(await round(a, 'search_path'), 'search_path');
      const d = await s.direct();
      await d.query('ALTER TABLE public.orders ADD COLUMN note text');
      await d.end();
      same(await round(a, 'after DDL'), 'after DDL');
    } finally {
      await a.end();
      await b.end();
    }
  });
});
