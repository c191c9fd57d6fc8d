/**
 * Review of the literal-template cache (proxy/sql/classifier.ts, literal-template.ts): a template's key
 * is the text with each literal replaced by NUL, kept in the same LRU as the exact texts. The classifier
 * itself never refuses a text holding NUL, so such a text is both a lookup that finds a template entry
 * (made from another text) and an exact-text entry that later answers every text of the family whose
 * template key it spells. libpg_query reads the text up to its first NUL.
 *
 * The wire path cannot carry NUL (Reader.cstring() stops at the first one), so these are reached through
 * StatementClassifier.shapes() itself, the shared component every session uses.
 */
import { expect } from 'chai';
import { StatementClassifier } from '../../proxy/sql/classifier.js';
import { SqlParser } from '../../proxy/sql/parser.js';

describe('review-tpl: template keys share the exact-text key space (NUL)', () => {
  let parser: SqlParser;
  before(async () => {
    parser = SqlParser.create();
    await parser.load();
  });
  after(() => parser.close());

  const fresh = async (sql: string): Promise<unknown> => new StatementClassifier(parser, 1).shapes(sql);

  it('a text spelling a template key is answered from that template, not parsed (fresh: a syntax error)', async () => {
    const cache = new StatementClassifier(parser);
    await cache.shapes('DELETE FROM payroll WHERE id = 5');
    await cache.shapes('DELETE FROM payroll WHERE id = 6');
    const sql = 'DELETE FROM payroll WHERE id = \u0000';
    expect(await cache.shapes(sql)).to.deep.equal(await fresh(sql));
  });

  it('a NUL text cached as exact text answers the family of that key: a payroll read with no table', async () => {
    const cache = new StatementClassifier(parser);
    const poison = 'SELECT \u0000 FROM payroll';
    await cache.shapes(poison);
    await cache.shapes(poison);
    const sql = 'SELECT 7 FROM payroll';
    expect(await cache.shapes(sql)).to.deep.equal(await fresh(sql));
  });

  it('a NUL text cached as exact text answers the family of that key: an unbounded DELETE is dropped', async () => {
    const cache = new StatementClassifier(parser);
    // Parsed up to the NUL: two statements (SELECT 'x'; SELECT), cached under the key of the text below.
    const poison = "SELECT 'x'; SELECT \u0000; DELETE FROM payroll";
    await cache.shapes(poison);
    await cache.shapes(poison);
    const sql = "SELECT 'x'; SELECT 7; DELETE FROM payroll";
    const answer = await cache.shapes(sql);
    expect(answer).to.deep.equal(await fresh(sql));
  });

  it('a NUL text with no statement cached as exact text makes a bare integer throw instead of a syntax error', async () => {
    const cache = new StatementClassifier(parser);
    await cache.shapes('\u0000');
    await cache.shapes('\u0000');
    const sql = '5';
    let answer: unknown;
    try {
      answer = await cache.shapes(sql);
    } catch (err) {
      answer = { threw: (err as Error).message };
    }
    expect(answer).to.deep.equal(await fresh(sql));
  });
});
