/**
 * Review 14 (lazy parser load): the first statements a proxy sees wait for the SQL parser to load. Sent
 * as pipelines before it has loaded (extended protocol Parse/Bind/Execute ... Sync, and simple queries
 * back to back, some multi-statement), each is still decided before anything of it or after it reaches
 * the database, in order: the denied ones do not run, those after a denial in the same extended batch
 * are skipped, and the answers come in the order the messages were sent.
 */
import { expect } from 'chai';
import type pg from 'pg';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { auditRecords } from '../support/audit-records.js';
import { fe, messageKinds, RawClient } from '../support/raw-client.js';

describe('review14: pipelined first statements while the parser loads (real PostgreSQL)', function () {
  this.timeout(120_000);
  let s: LocalStack;
  let direct: pg.Client;
  type Parser = { inline?: unknown; load(): Promise<void> };
  const proxyParser = (): Parser => (s.proxy as unknown as { parser: Parser }).parser;

  before(async () => {
    s = await startLocalStack();
    direct = await s.direct();
    // Another proxy in this test process may have loaded libpg-query already (its module stays cached,
    // so a load then takes a microtask): each load here takes 300 ms, as long as a cold one or longer.
    const parser = proxyParser();
    const load = parser.load.bind(parser);
    parser.load = () => new Promise((r) => setTimeout(r, 300)).then(load);
  });
  after(async () => {
    await direct?.end().catch(() => undefined);
    await s?.stop();
  });

  it('a statement whose agent left while it waited for the parser is not decided, and nothing of it runs', async () => {
    // The thread's instance, which another test in this process may have loaded: dropped, so this
    // statement waits for a load (300 ms, above).
    proxyParser().inline = undefined;
    const c = await RawClient.connect(s.host, s.port, await s.token());
    c.send(fe.query('INSERT INTO orders (customer_id, amount_cents) VALUES (1, 515151) -- review14-gone'));
    c.socket.destroy();
    await new Promise((r) => setTimeout(r, 1000));
    const about = auditRecords(s).filter((r) => JSON.stringify(r).includes('review14-gone'));
    expect(about.map((r) => r.event)).to.deep.equal([]);
    const n = await direct.query('SELECT count(*)::int AS n FROM orders WHERE amount_cents = 515151');
    expect(n.rows[0].n).to.equal(0);
  });

  it('every statement is decided, in order, before it or anything after it runs', async () => {
    const parser = proxyParser();
    const count = async (): Promise<number> => (await direct.query('SELECT count(*)::int AS n FROM orders')).rows[0].n;
    const orders = await count();
    const a = await RawClient.connect(s.host, s.port, await s.token());
    const b = await RawClient.connect(s.host, s.port, await s.token());
    parser.inline = undefined; // as in the test before
    try {
      a.send(
        fe.parse({ text: 'SELECT 1 AS one' }),
        fe.bind({}),
        fe.execute({}),
        fe.parse({ text: 'DELETE FROM orders' }),
        fe.bind({}),
        fe.execute({}),
        fe.parse({ text: 'INSERT INTO orders (customer_id, amount_cents) VALUES (1, 424242)' }),
        fe.bind({}),
        fe.execute({}),
        fe.sync(),
        fe.parse({ text: 'SELECT 2 AS two' }),
        fe.bind({}),
        fe.execute({}),
        fe.sync(),
      );
      b.send(
        fe.query('DROP TABLE orders'),
        fe.query('SELECT 3 AS three; DELETE FROM orders'),
        fe.query('SELECT count(*) FROM orders'),
      );
      const a1 = await a.until('Z');
      const a2 = await a.until('Z');
      const b1 = await b.until('Z');
      const b2 = await b.until('Z');
      const b3 = await b.until('Z');
      expect(messageKinds(a1, { codes: true, notices: false })).to.deep.equal(['1', '2', 'D', 'C', 'E:42501', 'Z']);
      expect(messageKinds(a2, { codes: true, notices: false })).to.deep.equal(['1', '2', 'D', 'C', 'Z']);
      expect(messageKinds(b1, { codes: true, notices: false })).to.deep.equal(['E:42501', 'Z']);
      // A multi-statement query with a denied statement: refused whole, nothing of it runs.
      expect(messageKinds(b2, { codes: true, notices: false })).to.not.include('C');
      expect(messageKinds(b2, { codes: true, notices: false })).to.include('E:42501');
      expect(messageKinds(b3, { codes: true, notices: false })).to.deep.equal(['T', 'D', 'C', 'Z']);
      expect(await count(), 'nothing deleted, nothing inserted').to.equal(orders);
      expect(parser.inline, 'the parser has loaded').to.not.equal(undefined);
    } finally {
      a.end();
      b.end();
    }
  });
});
