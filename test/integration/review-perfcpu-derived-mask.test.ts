/**
 * Hostile review of the decision-path caches, through the real proxy and PostgreSQL: a session's
 * column-rule mask is now remembered per statement (derived-memo.ts, keyed on the classification, the
 * masker and the catalog snapshot). A named prepared statement keeps one classification across Executes;
 * an unnamed statement of the same text is classified afresh. When a column rule is added or removed
 * between two Executes, the prepared statement's derived outputs and error text must be masked exactly
 * as the fresh statement's are: never shown in clear under a rule, never masked after the rule is gone.
 */
import { expect } from 'chai';
import type pg from 'pg';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';

const QUERIES: { text: string; values: unknown[] }[] = [
  { text: 'SELECT lower(name) AS l, upper(email) AS u FROM customers WHERE id = $1', values: [1] },
  { text: 'SELECT ssn::int AS n FROM customers WHERE id = $1', values: [1] }, // the error quotes the value
  { text: "SELECT name || '/' || ssn AS both FROM customers WHERE id = $1", values: [2] },
];

describe('review-perfcpu: a prepared statement’s column-rule mask follows rule changes like a fresh statement’s', function () {
  this.timeout(60_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack();
  });
  after(async () => s?.stop());

  const outcome = (c: pg.Client, q: pg.QueryConfig): Promise<string> =>
    c.query(q).then(
      (r) => JSON.stringify(r.rows),
      (e: Error) => `error: ${e.message}`,
    );

  /** Index of the query the session ran last (a named Execute): its memo entry is what the next Execute finds. */
  let last: number | undefined;

  /**
   * What the agent sees for each query: first the prepared statement the session ran last (before the
   * policy change, so a memo that ignored the change would answer), then each query unnamed (parsed
   * afresh) and as a named prepared statement (Executed twice).
   */
  async function same(c: pg.Client, tag: string): Promise<string[]> {
    const named = (i: number): pg.QueryConfig => ({
      name: `d${i}`,
      text: QUERIES[i]!.text,
      values: QUERIES[i]!.values,
    });
    const early = last !== undefined ? { i: last, seen: await outcome(c, named(last)) } : undefined;
    const seen: string[] = [];
    for (const [i, q] of QUERIES.entries()) {
      const fresh = await outcome(c, { text: q.text, values: q.values });
      if (early?.i === i) expect(early.seen, `${tag} (first Execute after the change): ${q.text}`).to.equal(fresh);
      expect(await outcome(c, named(i)), `${tag}: ${q.text}`).to.equal(fresh);
      expect(await outcome(c, named(i)), `${tag}: ${q.text}`).to.equal(fresh);
      seen.push(fresh);
    }
    last = (tag.length + QUERIES.length) % QUERIES.length; // vary which statement ends the round
    await outcome(c, named(last));
    return seen;
  }

  function columns(cols: { name: string; strategy?: 'redact' | 'partial' | 'hash' }[], generation: number): void {
    const next = structuredClone(s.policy) as AgentAccessPolicy;
    next.metadata.generation = generation;
    next.spec.masking = { ...next.spec.masking!, columns: cols };
    s.proxy.updatePolicy(next);
  }

  it('adding and removing a column rule between Executes of one prepared statement', async () => {
    const c = await s.connect('agent-1');
    try {
      const first = await same(c, 'ssn ruled');
      expect(first[0]).to.include('ada lovelace');
      expect(first[1]).to.not.include('123');

      columns([{ name: 'ssn' }, { name: 'name' }], 2);
      const more = await same(c, 'name ruled too');
      expect(more[0]).to.not.include('ada lovelace');

      columns([], 3);
      const none = await same(c, 'no column rules');
      expect(none[0]).to.include('ada lovelace');
      expect(none[2]).to.include('Grace Hopper');

      columns([{ name: 'ssn' }], 4);
      const back = await same(c, 'ssn ruled again');
      expect(back[1]).to.not.include('123');
      expect(back[2]).to.not.include('234-56-7890');
    } finally {
      await c.end();
    }
  });
});
