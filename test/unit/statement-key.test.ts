import { expect } from 'chai';
import { statementKey } from '../../proxy/sql/statement-key.js';

describe('statement fingerprint key (PostgreSQL lexical rules)', () => {
  const key = (s: string): string | undefined => statementKey(s)?.key;

  it('normalizes literals by kind and keeps structure', () => {
    expect(key('SELECT abalance FROM pgbench_accounts WHERE aid = 42')).to.equal(
      key('SELECT abalance FROM pgbench_accounts WHERE aid = 9'),
    );
    expect(key("SELECT 'a'")).to.not.equal(key('SELECT 1'));
    expect(key("SELECT B'101'")).to.not.equal(key("SELECT '101'"));
    expect(key('SELECT * FROM t WHERE a = $1')).to.not.equal(key('SELECT * FROM t WHERE a = $2'));
  });

  it('never lets literal or comment contents become structure', () => {
    expect(key("SELECT 'x'; DROP TABLE t")).to.not.equal(key("SELECT 'x; DROP TABLE t'"));
    expect(key("SELECT 'x; DROP TABLE t'")).to.equal(key("SELECT 'y'"));
    expect(key('SELECT $$ ; DROP $$')).to.equal(key("SELECT 'z'"));
    expect(key('SELECT 1 /* a /* nested */ DROP */')).to.equal(key('SELECT 2'));
    expect(key("SELECT E'\\' ; DROP TABLE t; --'")).to.equal(key("SELECT 'k'"));
    expect(key('SELECT "DROP TABLE"')).to.not.equal(key('SELECT "x"'));
  });

  it('gives up (full parse) on what it cannot follow', () => {
    expect(statementKey("SELECT 'unterminated")).to.equal(undefined);
    expect(statementKey('SELECT $a$ unterminated')).to.equal(undefined);
    expect(statementKey('SELECT /* unterminated')).to.equal(undefined);
    expect(statementKey('x'.repeat(5000))).to.equal(undefined);
  });

  it('identifiers containing $ are not dollar quotes', () => {
    expect(key('SELECT a$b$c FROM t')).to.equal('select a$b$c from t');
  });
});
