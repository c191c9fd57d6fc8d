/**
 * Names mean to the server what they mean to the UTF-8 parser only in a UTF8 database. A single-byte
 * encoding lowers non-ASCII letters by the database's locale (LATIN1 with LC_CTYPE de_DE.ISO-8859-1: `É`
 * is `é`); EUC_JP maps `¦` and `￤` to the same bytes; names are cut at 63 bytes of the database's
 * encoding, not of UTF-8. Hostile reviews made `DELETE FROM orders AS ¦ WHERE EXISTS (SELECT FROM (VALUES
 * (1)) AS ￤(id) WHERE ¦.id = 1)` and the like delete every row. Sessions to such a database are refused
 * with the reason, on a real server; only UTF8 is served.
 */
import { expect } from 'chai';
import { connectUpstream } from '../../proxy/postgres/upstream.js';
import { serverEncodingProblem } from '../../proxy/postgres/server-encoding.js';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';

describe('server encoding: databases in an encoding other than UTF8 are refused (real PostgreSQL)', function () {
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
      ['japanese', 'EUC_JP'],
      ['taiwanese', 'EUC_TW'],
      ['ascii', 'SQL_ASCII'],
    ])
      await admin.query(
        `CREATE DATABASE ${name} ENCODING '${encoding}' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`,
      );
    await admin.query('GRANT CONNECT ON DATABASE latin, cyrillic, japanese, taiwanese, ascii TO agent');
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
    ['japanese', 'EUC_JP'],
    ['taiwanese', 'EUC_TW'],
    ['ascii', 'SQL_ASCII'],
  ] as const)
    it(`a ${encoding} database: no session, and the error says why`, async () => {
      const e = await connectTo(database).then(
        (up) => {
          up.socket.destroy();
          return undefined;
        },
        (x: Error & { sqlState?: string }) => x,
      );
      expect(e?.message).to.contain(`encoding is ${encoding}: PostgreSQL compares names there`);
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
      expect(e?.message).to.contain('agentgate serves databases in UTF8');
    } finally {
      upstream.database = original;
    }
    const c = await s.connect('agent-after');
    expect((await c.query('SELECT 1 AS one')).rows[0].one).to.equal(1);
    await c.end();
  });

  it('why: in EUC_JP two names the parser tells apart are one to the server', async () => {
    const c = s.postgres.client('japanese');
    await c.connect();
    try {
      const e = await c.query('SELECT FROM (VALUES (1)) AS ¦(id), (VALUES (2)) AS ￤(id)').then(
        () => undefined,
        (x: Error & { code?: string }) => x,
      );
      expect(e?.code, 'table name specified more than once').to.equal('42712');
    } finally {
      await c.end();
    }
  });

  it('in SQL_ASCII a name is cut at 63 bytes inside a character, where the parser cuts before it', async () => {
    const c = s.postgres.client('ascii');
    await c.connect();
    try {
      // Without the truncation NOTICE (its text would hold the cut character and fail to convert).
      await c.query('SET client_min_messages = warning');
      const base = 'x'.repeat(62);
      // One name to the parser (both cut to the 62 x's); two to the server (x…x\xC3 and x…x).
      const r = await c.query(`SELECT * FROM (VALUES (1)) AS ${base}é(id), (VALUES (2)) AS ${base}(id)`);
      expect(r.rowCount).to.equal(1);
    } finally {
      await c.end();
    }
  });

  it('UTF8 databases are served (the local stack creates its database in UTF8 whatever the locale)', async () => {
    const up = await connectTo(target.spec.upstream.database);
    expect(up.parameters.find(([k]) => k === 'server_encoding')?.[1]).to.equal('UTF8');
    up.socket.destroy();
  });

  it('reads the reported name as PostgreSQL spells it, and refuses a server that reports none', () => {
    expect(serverEncodingProblem([['server_encoding', 'UTF8']])).to.equal(undefined);
    for (const other of ['SQL_ASCII', 'EUC_JP', 'EUC_CN', 'MULE_INTERNAL', 'ISO_8859_5', 'KOI8R', 'LATIN1'])
      expect(serverEncodingProblem([['server_encoding', other]])).to.contain(`encoding is ${other}`);
    expect(serverEncodingProblem([])).to.contain('did not report');
  });
});
