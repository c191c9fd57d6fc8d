/**
 * name-reach.ts on its own: which Describes may run code through the statements they reach, the cursors a
 * FETCH chain reads, and what a FETCH in a Query leaves stale. The real server's side is
 * test/integration/review-parse-time-code-*.test.ts.
 */
import { expect } from 'chai';
import { NameFreshness } from '../../proxy/postgres/name-freshness.js';
import { NameReach } from '../../proxy/postgres/name-reach.js';
import type { Portal, Prepared, SqlCursor } from '../../proxy/postgres/server-objects.js';
import { emptyClassification } from '../../proxy/gate/guards.js';
import type { Classification } from '../../proxy/sql/types.js';

const stmt = (sql: string, extra: Partial<Classification> = {}, executes?: string[]): Prepared => ({
  sql,
  classes: [{ ...emptyClassification(sql), ...extra }],
  ...(executes ? { executes: new Map(executes.map((n) => [n, undefined])) } : {}),
});
const fetchOf = (name: string): Prepared => stmt(`FETCH ALL FROM ${name}`, { cursor: { op: 'fetch', name } });

function world(): {
  reach: NameReach;
  freshness: NameFreshness;
  statements: Map<string, Prepared>;
  portals: Map<string, Portal>;
  cursors: Map<string, SqlCursor>;
} {
  const statements = new Map<string, Prepared>();
  const portals = new Map<string, Portal>();
  const cursors = new Map<string, SqlCursor>();
  const freshness = new NameFreshness();
  const objects = {
    statement: (n: string) => statements.get(n),
    portal: (n: string) => portals.get(n),
    cursor: (n: string) => cursors.get(n),
  };
  return { reach: new NameReach(objects, freshness), freshness, statements, portals, cursors };
}

describe('name reach: Describes that re-analyse other statements, and FETCH chains', () => {
  it('EXECUTE p runs code when p may run code at analysis, or p is unknown', () => {
    const w = world();
    w.statements.set('quiet', stmt('SELECT 1'));
    w.statements.set('loud', stmt(`SELECT '{1}'::d[]`, { analysisRunsCode: true }));
    expect(w.reach.describeRunsCode(stmt('EXECUTE quiet', {}, ['quiet']))).to.equal(false);
    expect(w.reach.describeRunsCode(stmt('EXECUTE loud', {}, ['loud']))).to.equal(true);
    expect(w.reach.describeRunsCode(stmt('EXECUTE gone', {}, ['gone']))).to.equal(true);
  });

  it('a FETCH reaches nothing from a fresh declared cursor, and may run code from a stale name or a portal of EXECUTE', () => {
    const w = world();
    w.cursors.set('c', {} as SqlCursor);
    w.freshness.ran({ reads: [], creates: ['c'] });
    expect(w.reach.describeRunsCode(fetchOf('c'))).to.equal(false);
    w.statements.set('loud', stmt(`SELECT 'x'`, { analysisRunsCode: true }));
    w.portals.set('pe', { stmt: stmt('EXECUTE loud', {}, ['loud']), described: false });
    w.freshness.known('pe');
    expect(w.reach.describeRunsCode(fetchOf('pe'))).to.equal(true);
    w.freshness.ran();
    expect(w.reach.describeRunsCode(fetchOf('c'))).to.equal(true);
  });

  it('a chain of FETCH portals is read down to its cursor, and a cycle ends', () => {
    const w = world();
    w.portals.set('x1', { stmt: fetchOf('c'), described: false });
    w.portals.set('x2', { stmt: fetchOf('x1'), described: false });
    expect(w.reach.throughFetches(['x2'])).to.deep.equal(['x2', 'x1', 'c']);
    w.portals.set('a', { stmt: fetchOf('b'), described: false });
    w.portals.set('b', { stmt: fetchOf('a'), described: false });
    expect(w.reach.throughFetches(['a']).sort()).to.deep.equal(['a', 'b']);
  });

  it('a FETCH in a Query from a portal whose target list may run code leaves what it read stale; an Execute does not', () => {
    const w = world();
    w.statements.set('loud', stmt(`SELECT 'x'`, { analysisRunsCode: true }));
    w.portals.set('pe', { stmt: stmt('EXECUTE loud', {}, ['loud']), described: false });
    const fetch = fetchOf('pe').classes[0]!;
    expect(w.reach.statementUse(fetch).replacedAfterRead).to.deep.equal(['pe']);
    expect(w.reach.statementUse(fetch, 'pf').replacedAfterRead).to.equal(undefined);
  });
});
