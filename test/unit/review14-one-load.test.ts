/**
 * Review 14: parser-lazy.test.ts and the idle-memory e2e test say statements that come while the parser
 * loads "share one load", but neither can see it: the ES module cache makes N imports of the same URL one
 * evaluation, so a load() per statement passes both (checked by mutating `loading ??=` to `loading =`).
 * Here the assignments of the in-process instance are counted.
 */
import { expect } from 'chai';
import { SqlParser } from '../../proxy/sql/parser.js';

describe('review14: statements that come while the parser loads share one load', () => {
  it('the in-process instance is set once for three statements that came during its load', async () => {
    const parser = SqlParser.create();
    let sets = 0;
    let value: unknown;
    Object.defineProperty(parser, 'inline', {
      get: () => value,
      set: (v: unknown) => {
        if (v !== undefined) sets++;
        value = v;
      },
      configurable: true,
    });
    try {
      const outcomes = await Promise.all(['SELECT 1', 'SELECT 2', 'SELECT 3'].map((s) => parser.parse(s)));
      expect(outcomes.map((o) => o.ok)).to.deep.equal([true, true, true]);
      expect(sets).to.equal(1);
    } finally {
      await parser.close();
    }
  });
});
