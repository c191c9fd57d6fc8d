/**
 * Issue #14, round 4: the fingerprint's digest is remembered per normalized key (texts differing only in
 * literals share it) and taken with the one-shot hash. It must be exactly the id computed afresh.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { fingerprint, statementKey } from '../../proxy/sql/statement-key.js';

const fresh = (text: string): string =>
  createHash('sha256')
    .update(statementKey(text, 1 << 20)?.key ?? text)
    .digest('hex')
    .slice(0, 16);

describe('perfcpu: statement fingerprint digests remembered per key', () => {
  it('equals the fresh digest, over literals, quoting, non-ASCII, lone surrogates, long keys and a churned memo', () => {
    const texts: string[] = [];
    for (let i = 0; i < 700; i++) texts.push(`SELECT abalance FROM pgbench_accounts WHERE aid = ${i}`);
    for (let i = 0; i < 300; i++) texts.push(`SELECT c${i} FROM t WHERE x = '${'é'.repeat(i % 7)}'`);
    texts.push(
      'SELECT "a""b", $$x$$, E\'\\n\', U&"d\\0061t" FROM t',
      'SELECT \ud800 FROM t',
      'SELECT \udc00x',
      `SELECT ${'a, '.repeat(2000)}b FROM t`,
      '',
      '   ',
      "not sql at all 'unterminated",
    );
    for (const round of [1, 2])
      for (const t of texts) expect(fingerprint(t), `${round}: ${t.slice(0, 60)}`).to.equal(fresh(t));
  });
});
