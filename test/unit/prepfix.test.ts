/**
 * maxPreparedBytes accounting after the review fixes (held-bytes.ts, server-objects.ts): what a portal or an
 * EXECUTE snapshot keeps alive is counted, cursors follow savepoints and aborted transactions, and drops
 * earlier in a query are netted against its creates (at their peak).
 */
import { expect } from 'chai';
import { emptyClassification } from '../../proxy/gate/guards.js';
import { createdBytes, portalBytes, statementBytes } from '../../proxy/postgres/held-bytes.js';
import { ServerObjects, type Portal, type Prepared, type SqlCursor } from '../../proxy/postgres/server-objects.js';
import type { Classification, TransactionOp } from '../../proxy/sql/types.js';

const stmt = (sql: string, executes?: Map<string, Prepared | undefined>): Prepared => ({
  sql,
  classes: [emptyClassification(sql)],
  ...(executes ? { executes } : {}),
});
const confirmed = (o: ServerObjects, ...changes: Parameters<ServerObjects['expect']>[1][]): void => {
  const owner = {};
  o.expect(owner, ...changes);
  o.settle(owner, 'confirmed');
};
const tx = (o: ServerObjects, op: TransactionOp['op'], savepoint?: string): void =>
  confirmed(o, { ns: 'transaction', op: { op, ...(savepoint !== undefined ? { savepoint } : {}) } });
const cursor = (name: string): SqlCursor => ({
  cls: emptyClassification(`SELECT '${name}'`),
  hold: false,
  decidedBy: {},
  sourceDigest: '',
  sourceBytes: 0,
});

describe('prepfix: held bytes follow what is kept alive and what the server still has', () => {
  it('a statement counts the statements its EXECUTE snapshot keeps, in full, and a portal its Closed statement', () => {
    const big = stmt(`SELECT 1 /* ${'x'.repeat(5000)} */`);
    const p1 = stmt('EXECUTE big', new Map([['big', big]]));
    const q = stmt('EXECUTE p1', new Map([['p1', p1]]));
    expect(statementBytes(q)).to.equal(1024 + 8 * 10 + statementBytes(p1));
    expect(statementBytes(p1)).to.equal(1024 + 8 * 11 + statementBytes(big));
    const o = new ServerObjects();
    confirmed(o, { ns: 'statement', name: 'big', value: big });
    const portal: Portal = { stmt: big, described: false };
    confirmed(o, { ns: 'portal', name: 'p', value: portal });
    expect(o.heldBytes()).to.equal(statementBytes(big) + portalBytes(portal));
    confirmed(o, { ns: 'statement', name: 'big' });
    expect(o.heldBytes(), 'the portal keeps the Closed statement').to.equal(statementBytes(big) + portalBytes(portal));
    o.transactionEnded();
    expect(o.heldBytes()).to.equal(0);
  });

  it('the unnamed statement stays counted until the server answers the Parse replacing it; skipped, it stays', () => {
    const o = new ServerObjects();
    const a = stmt(`SELECT 1 /* ${'x'.repeat(5000)} */`);
    const b = stmt(`SELECT 2 /* ${'y'.repeat(6000)} */`);
    confirmed(o, { ns: 'statement', name: '', value: a });
    const skipped = {};
    o.expect(skipped, { ns: 'statement', name: '', value: b, dropOnFailure: true });
    expect(o.heldBytes()).to.equal(statementBytes(a) + statementBytes(b));
    o.settle(skipped, 'skipped');
    expect(o.heldBytes()).to.equal(statementBytes(a));
    expect(o.statement('')).to.equal(a);
    const replacing = {};
    o.expect(replacing, { ns: 'statement', name: '', value: b, dropOnFailure: true });
    o.settle(replacing, 'confirmed');
    expect(o.heldBytes()).to.equal(statementBytes(b));
    expect(o.statement('')).to.equal(b);
  });

  it('cursors follow savepoints by name, RELEASE, and the abort of their transaction (WITH HOLD too)', () => {
    const o = new ServerObjects();
    const names = (): string[] => ['k0', 'k1', 'k2', 'k3', 'h'].filter((n) => o.cursor(n));
    confirmed(o, { ns: 'cursor', name: 'k0', value: cursor('k0') });
    tx(o, 'savepoint', 'a');
    confirmed(o, { ns: 'cursor', name: 'k1', value: cursor('k1') });
    tx(o, 'savepoint', 'b');
    confirmed(o, { ns: 'cursor', name: 'k2', value: cursor('k2') });
    tx(o, 'release', 'b');
    tx(o, 'savepoint', 'a');
    confirmed(o, { ns: 'cursor', name: 'k3', value: cursor('k3') });
    tx(o, 'rollback-to', 'a');
    expect(names()).to.deep.equal(['k0', 'k1', 'k2']);
    tx(o, 'release', 'a');
    tx(o, 'rollback-to', 'a');
    expect(names()).to.deep.equal(['k0']);
    tx(o, 'rollback-to', 'nope');
    expect(names(), 'an unknown savepoint: every cursor of the transaction is forgotten').to.deep.equal([]);
    confirmed(o, { ns: 'cursor', name: 'h', value: { ...cursor('h'), hold: true } });
    o.errorSeen();
    tx(o, 'commit');
    expect(names(), 'COMMIT of a failed transaction').to.deep.equal([]);
    confirmed(o, { ns: 'cursor', name: 'h', value: { ...cursor('h'), hold: true } });
    o.transactionEnded();
    expect(names(), 'committed').to.deep.equal(['h']);
    o.errorSeen();
    o.transactionEnded();
    expect(names(), 'declared in an earlier transaction: kept').to.deep.equal(['h']);
    expect(o.heldBytes()).to.be.greaterThan(0);
  });

  it('drops earlier in a query are netted against its creates at their peak; drops after them are not', () => {
    const cls = (over: Partial<Classification>): Classification =>
      ({ ...emptyClassification('x'), ...over }) as Classification;
    const prep = (name: string): Classification => cls({ prepares: name, text: `SELECT 1 /* ${'x'.repeat(5000)} */` });
    const one = createdBytes([prep('a')]);
    const freed = (): number => one;
    expect(createdBytes([cls({ deallocates: 'a' }), prep('a')], freed)).to.equal(0);
    expect(createdBytes([prep('b'), cls({ deallocates: 'a' })], freed)).to.equal(one);
    expect(createdBytes([prep('b'), cls({ deallocates: 'b' }), prep('c')], freed)).to.equal(one);
    expect(createdBytes([cls({ deallocates: '*' }), prep('a'), prep('b')], () => 2 * one)).to.equal(0);
    expect(createdBytes([cls({ deallocates: 'a' }), cls({ deallocates: 'a' }), prep('a'), prep('b')], freed)).to.equal(
      one,
    );
  });
});
