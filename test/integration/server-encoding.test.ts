/**
 * A single-byte database encoding lets PostgreSQL fold non-ASCII identifiers by the database's locale
 * (LATIN1 with LC_CTYPE de_DE.ISO-8859-1: `É` is `é`), which the UTF-8 parser does not (a hostile review
 * made `DELETE FROM orders AS é WHERE EXISTS (SELECT FROM customers AS É WHERE é.id = 1)` delete every row).
 * Sessions to such a database are refused with the reason, on a real server; UTF8 and SQL_ASCII are served.
 */
import { expect } from 'chai';
import { connectUpstream } from '../../proxy/postgres/upstream.js';
import { serverEncodingProblem } from '../../proxy/postgres/server-encoding.js';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';

describe('server encoding: single-byte databases are refused (real PostgreSQL)', function () {
  this.timeout(60_000);
  let s: LocalStack;
  let target: any;
  before(async () => {
    s = await startLocalStack();
    target = (s.proxy as any).targets[0];
    const admin = s.postgres.client();
    await admin.connect();
    for (const [name, encoding] of [
      ['latin', 'LATIN1'],
      ['cyrillic', 'WIN1251'],
      ['ascii', 'SQL_ASCII'],
    ])
      await admin.query(
        `CREATE DATABASE ${name} ENCODING '${encoding}' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`,
      );
    await admin.query('GRANT CONNECT ON DATABASE latin, cyrillic, ascii TO agent');
    await admin.end();
  });
  after(async () => s?.stop());

  const connectTo = (database: string) =>
    connectUpstream({
      target: { ...target.spec, upstream: { ...target.spec.upstream, database } },
      password: target.password,
    });

  for (const [database, encoding] of [
    ['latin', 'LATIN1'],
    ['cyrillic', 'WIN1251'],
  ] as const)
    it(`a ${encoding} database: no session, and the error says why`, async () => {
      const e = await connectTo(database).then(
        (up) => {
          up.socket.destroy();
          return undefined;
        },
        (x: Error & { sqlState?: string }) => x,
      );
      expect(e?.message).to.contain(`encoding is ${encoding}, a single-byte encoding`);
      expect(e?.sqlState).to.equal('08004');
    });

  it('an agent through the proxy gets that error for a LATIN1 target, and the proxy keeps serving the others', async () => {
    const upstream = target.spec.upstream;
    const original = upstream.database;
    upstream.database = 'latin';
    try {
      const e = await s.connect('agent-latin').then(
        async (c) => {
          await c.end();
          return undefined;
        },
        (x: Error) => x,
      );
      expect(e?.message).to.contain('single-byte encoding');
    } finally {
      upstream.database = original;
    }
    const c = await s.connect('agent-after');
    expect((await c.query('SELECT 1 AS one')).rows[0].one).to.equal(1);
    await c.end();
  });

  it('UTF8 and SQL_ASCII databases are served', async () => {
    for (const database of [target.spec.upstream.database, 'ascii']) {
      const up = await connectTo(database);
      up.socket.destroy();
    }
  });

  it('reads the reported name as PostgreSQL spells it, and refuses a server that reports none', () => {
    expect(serverEncodingProblem([['server_encoding', 'UTF8']])).to.equal(undefined);
    expect(serverEncodingProblem([['server_encoding', 'EUC_JP']])).to.equal(undefined);
    expect(serverEncodingProblem([['server_encoding', 'ISO_8859_5']])).to.contain('single-byte');
    expect(serverEncodingProblem([['server_encoding', 'KOI8R']])).to.contain('single-byte');
    expect(serverEncodingProblem([])).to.contain('did not report');
  });
});
