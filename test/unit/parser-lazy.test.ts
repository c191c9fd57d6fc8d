/**
 * Issue #14, idle memory: the in-process libpg_query instance is loaded by the first statement, not when
 * the parser is made (~9 MiB a sidecar pays only once its agent sends SQL). Statements that come while it
 * loads wait for the same load and are decided like any other; after it, short statements parse
 * synchronously again. The real proxy's side of it: test/e2e/idle-memory.test.ts.
 */
import { expect } from 'chai';
import { SqlParser } from '../../proxy/sql/parser.js';

describe('issue #14: the SQL parser loads with its first statement', () => {
  it('statements that come while it loads share one load and get their own outcomes; then parsing is synchronous', async () => {
    const parser = SqlParser.create();
    // The instance is the thread's, shared by every SqlParser in it: another test may have loaded it.
    // Dropped, the next load reuses libpg-query's cached module, still through a promise.
    (parser as unknown as { inline?: unknown }).inline = undefined;
    try {
      const first = ['SELECT 1', 'SELEC 2', 'DELETE FROM t WHERE id = 3'].map((s) => parser.parse(s));
      for (const o of first) expect(o).to.be.instanceOf(Promise);
      const [ok, bad, del] = await Promise.all(first);
      expect(ok!.ok).to.equal(true);
      expect(bad!.ok).to.equal(false);
      expect(!bad!.ok && bad!.error).to.match(/syntax error/);
      expect(del!.ok && Object.keys(del!.tree.stmts![0].stmt)).to.deep.equal(['DeleteStmt']);
      const after = parser.parse('SELECT 4');
      expect(after).to.not.be.instanceOf(Promise);
      expect((after as { ok: boolean }).ok).to.equal(true);
    } finally {
      await parser.close();
    }
  });

  it('load() makes the next short statement synchronous', async () => {
    const parser = SqlParser.create();
    try {
      await parser.load();
      await parser.load();
      expect(parser.parse('SELECT 1')).to.not.be.instanceOf(Promise);
    } finally {
      await parser.close();
    }
  });
});
