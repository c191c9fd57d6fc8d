/**
 * Hostile review of the decision-path caches, on the raw wire: a statement name reused for another text
 * (after Close, after DEALLOCATE, after DISCARD ALL), a portal bound again with other values, and two
 * texts that differ only in a literal (they share a fingerprint key, fingerprint.ts memo) prepared under
 * names of their own. Each Execute's decision record must be the record a fresh Parse of its own text
 * gives (an unnamed statement, classified afresh): never the text, fingerprint or tables of what the name
 * or the portal stood for before.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { auditRecords } from '../support/audit-records.js';
import { fe, RawClient } from '../support/raw-client.js';

type Rec = Record<string, unknown>;

const T1 = "SELECT id, email FROM customers WHERE email <> 'ada@example.com' AND id = $1";
const T2 = "SELECT count(*) FROM orders WHERE status <> 'EMP-123456' AND id > $1";
const T2b = "SELECT count(*) FROM orders WHERE status <> 'EMP-654321' AND id > $1"; // T2 but for a literal

function statementPart(r: Rec): Rec {
  const { seq: _s, '@timestamp': _t, prevHash: _p, hash: _h, ...rest } = r;
  return rest;
}

describe('review-perfcpu: a reused statement name or portal is recorded as what it runs now', function () {
  this.timeout(60_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack();
  });
  after(async () => s?.stop());

  it('after Close, DEALLOCATE, DISCARD ALL, a portal bound again, and texts sharing a fingerprint key', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    const decisions = (): Rec[] =>
      auditRecords(s)
        .filter((r) => r.event.action === 'statement.decision')
        .map(statementPart);
    /** The decision record of one Execute of portal '' bound to `statement`. */
    const execute = async (statement: string, value: string): Promise<Rec> => {
      raw.send(fe.bind({ statement, values: [value] }), fe.execute({}), fe.sync());
      const got = await raw.until('Z');
      expect(got.filter((m) => m.type === 'E').map((m) => m.error?.message)).to.deep.equal([]);
      return decisions().at(-1)!;
    };
    const prepare = async (name: string, text: string): Promise<void> => {
      raw.send(fe.parse({ name, text }), fe.sync());
      await raw.until('Z');
    };
    /** What a fresh Parse of `text` records at its Execute. */
    const fresh = async (text: string, value: string): Promise<Rec> => {
      await prepare('', text);
      return execute('', value);
    };
    const simple = async (sql: string): Promise<string[]> => {
      raw.send(fe.query(sql));
      return (await raw.until('Z')).filter((m) => m.type === 'E').map((m) => m.error?.message ?? '');
    };
    try {
      await prepare('s', T1);
      expect(await execute('s', '1')).to.deep.equal(await fresh(T1, '1'));
      expect(await execute('s', '1')).to.deep.equal(await fresh(T1, '1'));

      // Close, then the same name for another text.
      raw.send(fe.close({ type: 'S', name: 's' }), fe.sync());
      await raw.until('Z');
      await prepare('s', T2);
      const t2 = await fresh(T2, '0');
      expect(await execute('s', '0')).to.deep.equal(t2);
      expect(JSON.stringify(t2)).to.include('orders').and.not.include('customers');

      // DEALLOCATE, then T1 again under the name.
      expect(await simple('DEALLOCATE s')).to.deep.equal([]);
      await prepare('s', T1);
      expect(await execute('s', '2')).to.deep.equal(await fresh(T1, '2'));

      // DISCARD ALL, then T2 under the name.
      expect(await simple('DISCARD ALL')).to.deep.equal([]);
      await prepare('s', T2);
      expect(await execute('s', '5')).to.deep.equal(await fresh(T2, '5'));

      // Texts that differ only in a literal: each recorded with its own (masked) text.
      await prepare('a', T2);
      await prepare('b', T2b);
      const a = await execute('a', '1');
      const b = await execute('b', '1');
      expect(a).to.deep.equal(await fresh(T2, '1'));
      expect(b).to.deep.equal(await fresh(T2b, '1'));
      expect((b.db as { query: { text: string } }).query.text).to.not.equal(
        (a.db as { query: { text: string } }).query.text,
      );
      expect(b.fingerprint).to.equal(a.fingerprint);
      expect(await execute('a', '3')).to.deep.equal(a);
    } finally {
      raw.end();
    }
  });
});
