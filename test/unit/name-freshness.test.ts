import { expect } from 'chai';
import { NameFreshness } from '../../proxy/postgres/name-freshness.js';
import { sameObject, sourceDigest, type ServerCursor } from '../../proxy/postgres/server-cursor-check.js';

const use = (reads: string[] = [], creates: string[] = []) => ({ reads, creates });

describe('name freshness: a name is read as the proxy knew it only while nothing else ran', () => {
  it('a name stays fresh through its own reads and goes stale when anything else runs', () => {
    const f = new NameFreshness();
    f.ran(use([], ['c']));
    expect(f.staleReads([use(['c'])])).to.deep.equal([[]]);
    f.ran(use(['c']));
    expect(f.staleReads([use(['c'])])).to.deep.equal([[]]);
    f.ran();
    expect(f.staleReads([use(['c'])])).to.deep.equal([['c']]);
    f.known('c');
    expect(f.staleReads([use(['c'])])).to.deep.equal([[]]);
  });

  it('within one query: a read after another statement is stale, after a create or its own read it is not', () => {
    const f = new NameFreshness();
    f.ran(use([], ['a']));
    f.ran(use([], ['b']));
    expect(
      f.staleReads([use(['b']), use(['b']), use(['a']), use([], ['d']), use(['d']), use(), use(['d'])]),
    ).to.deep.equal([[], [], ['a'], [], [], [], ['d']]);
    // Asking changes nothing.
    expect(f.staleReads([use(['b'])])).to.deep.equal([[]]);
  });

  it('a name its statement may replace after reading it is checked as read, and left stale after', () => {
    const f = new NameFreshness();
    f.ran(use([], ['p']));
    const fetchTwice = { reads: ['p'], creates: [], replacedAfterRead: ['p'] };
    // Within one query: the first read is fresh, the second is not.
    expect(f.staleReads([fetchTwice, fetchTwice])).to.deep.equal([[], ['p']]);
    f.ran(fetchTwice);
    expect(f.staleReads([use(['p'])])).to.deep.equal([['p']]);
  });

  it('an unknown name is stale; forgetting every name past the bound only makes names stale', () => {
    const f = new NameFreshness();
    expect(f.staleReads([use(['never'])])).to.deep.equal([['never']]);
    f.ran(use([], ['keep']));
    for (let i = 0; i < 5000; i++) f.known(`n${i}`);
    expect(f.staleReads([use(['keep'])])[0]).to.satisfy((s: string[]) => s.length === 0 || s[0] === 'keep');
  });
});

describe('server cursor check: pg_cursors rows against what the proxy knows', () => {
  const row = (name: string, text: string, holdable = false, createdAt = '1796000000.000001'): ServerCursor => ({
    name,
    statementDigest: sourceDigest(text),
    holdable,
    createdAt,
  });
  const known = (text: string, hold = false) => ({ sourceDigest: sourceDigest(text), hold });

  it('the same text and holdability under the name: the same object', () => {
    expect(
      sameObject('c', known('DECLARE c CURSOR FOR SELECT 1'), [row('c', 'DECLARE c CURSOR FOR SELECT 1')]),
    ).to.not.equal(undefined);
  });
  it('once its creation time is recorded, the same text made at another time is another object', () => {
    const k = { ...known('SELECT 1'), createdAt: '1796000000.000001' };
    expect(sameObject('p', k, [row('p', 'SELECT 1')])).to.not.equal(undefined);
    expect(sameObject('p', k, [row('p', 'SELECT 1', false, '1796000000.000002')])).to.equal(undefined);
  });
  it('another text, another holdability, no row, or two rows: replaced', () => {
    const k = known('DECLARE c CURSOR FOR SELECT 1');
    expect(sameObject('c', k, [row('c', 'SELECT amount FROM payroll')])).to.equal(undefined);
    expect(sameObject('c', k, [row('c', 'DECLARE c CURSOR FOR SELECT 1', true)])).to.equal(undefined);
    expect(sameObject('c', k, [])).to.equal(undefined);
    expect(sameObject('c', k, [row('c', 'DECLARE c CURSOR FOR SELECT 1'), row('c', 'x')])).to.equal(undefined);
  });
});
