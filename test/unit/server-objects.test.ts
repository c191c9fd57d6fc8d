import { expect } from 'chai';
import type { Classification } from '../../proxy/sql/types.js';
import { approvalText, QueryScope, ServerObjects, type Prepared } from '../../proxy/postgres/server-objects.js';

const stmt = (sql: string): Prepared => ({ sql, classes: [] });

describe('ServerObjects: the proxy sees prepared statements and portals as the server holds them', () => {
  it('a create is visible to later messages of the batch, and kept only once confirmed', () => {
    const o = new ServerObjects();
    const parse = {};
    o.expect(parse, { ns: 'statement', name: 'x', value: stmt('A') });
    expect(o.statement('x')?.sql).to.equal('A');
    o.settle(parse, 'confirmed');
    expect(o.statement('x')?.sql).to.equal('A');
  });

  it('a refused create of an existing name leaves the old statement (42P05)', () => {
    const o = new ServerObjects();
    const first = {};
    const second = {};
    o.expect(first, { ns: 'statement', name: 'x', value: stmt('DROP TABLE orders') });
    o.settle(first, 'confirmed');
    o.expect(second, { ns: 'statement', name: 'x', value: stmt('SELECT 1') });
    o.settle(second, 'failed');
    expect(o.statement('x')?.sql).to.equal('DROP TABLE orders');
  });

  it('a failed Parse of the unnamed statement drops the old one; a skipped one does not', () => {
    const o = new ServerObjects();
    const a = {};
    o.expect(a, { ns: 'statement', name: '', value: stmt('A') });
    o.settle(a, 'confirmed');
    const skipped = {};
    o.expect(skipped, { ns: 'statement', name: '', value: stmt('B'), dropOnFailure: true });
    o.settle(skipped, 'skipped');
    expect(o.statement('')?.sql).to.equal('A');
    const failed = {};
    o.expect(failed, { ns: 'statement', name: '', value: stmt('C'), dropOnFailure: true });
    o.settle(failed, 'failed');
    expect(o.statement('')).to.equal(undefined);
  });

  it('drops apply whatever the outcome, in order with creates', () => {
    const o = new ServerObjects();
    const a = {};
    o.expect(a, { ns: 'statement', name: 'x', value: stmt('A') });
    o.settle(a, 'confirmed');
    const close = {};
    const parse = {};
    o.expect(close, { ns: 'statement', name: 'x' });
    o.expect(parse, { ns: 'statement', name: 'x', value: stmt('B') });
    expect(o.statement('x')?.sql).to.equal('B');
    o.settle(parse, 'failed'); // close is settled first (not confirmed: only its drop applies)
    expect(o.statement('x')).to.equal(undefined);
  });

  it('portals end with the transaction', () => {
    const o = new ServerObjects();
    const bind = {};
    o.expect(bind, { ns: 'portal', name: 'p', value: { stmt: stmt('A'), described: false } });
    o.settle(bind, 'confirmed');
    expect(o.portal('p')).to.not.equal(undefined);
    o.transactionEnded();
    expect(o.portal('p')).to.equal(undefined);
  });

  it('an approval of EXECUTE names the statement it runs', () => {
    const o = new ServerObjects();
    const a = {};
    o.expect(a, { ns: 'statement', name: 'p', value: stmt('DELETE FROM orders') });
    expect(approvalText('EXECUTE p', [undefined, 'p'], o)).to.equal('EXECUTE p\n-- EXECUTE p: DELETE FROM orders');
    expect(approvalText('SELECT 1', [undefined], o)).to.equal('SELECT 1');
  });

  it('a statement sees what earlier statements of its query PREPAREd or DEALLOCATEd', () => {
    const o = new ServerObjects();
    const a = {};
    o.expect(a, { ns: 'statement', name: 'p', value: stmt('OLD') });
    const cls = (text: string, extra: Partial<Classification>): Classification => ({
      text,
      kind: 'X',
      effects: [],
      tables: [],
      functions: [],
      unboundedWrite: false,
      liftsReadOnly: false,
      reasons: [],
      ...extra,
    });
    const steps = [cls('DEALLOCATE p', { deallocates: 'p' }), cls('NEW', { prepares: 'p' }), cls('EXECUTE p', {})];
    const scope = new QueryScope(o);
    scope.after(steps[0]!);
    expect(scope.get('p')).to.equal(undefined);
    scope.after(steps[1]!);
    expect(scope.get('p')?.sql).to.equal('NEW');
    expect(o.statement('p')?.sql).to.equal('OLD');
    expect(approvalText('q', [undefined, undefined, 'p'], o, steps)).to.equal('q\n-- EXECUTE p: NEW');
  });
});
