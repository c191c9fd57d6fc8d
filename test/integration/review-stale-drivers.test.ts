/**
 * Review of the stale-name backstop against legitimate driver patterns. psycopg 3 sends every statement
 * through the extended protocol (Parse/Bind/Describe/Execute/Sync), also the FETCH of its server-side
 * cursors; node-postgres does so for any query with parameters. The FETCH's own Bind counts as a run
 * (name-freshness.ts), so the cursor is stale by the time its Execute arrives, and the check cannot be sent
 * then (an extended message went upstream since ReadyForQuery): every such FETCH is refused.
 */
import { expect } from 'chai';
import pg from 'pg';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { fe, firstColumns, RawClient, type RawMessage } from '../support/raw-client.js';

const cells = firstColumns;
const errorOf = (ms: RawMessage[]): string => ms.find((m) => m.type === 'E')?.error?.message ?? '';

describe('review stale: driver patterns that read cursors through the extended protocol (real PostgreSQL)', function () {
  let s: LocalStack;
  let raw: RawClient;
  before(async () => {
    s = await startLocalStack();
    const d = await s.direct();
    await d.query('CREATE TABLE rd_people (id int)');
    await d.query('INSERT INTO rd_people SELECT generate_series(1, 5)');
    await d.end();
  });
  after(async () => s?.stop());
  beforeEach(async () => {
    raw = await RawClient.connect(s.host, s.port, await s.token());
  });
  afterEach(() => raw?.end());

  /** One statement as psycopg 3 sends it. */
  const extended = async (text: string, values: string[] = []): Promise<RawMessage[]> => {
    raw.send(fe.parse({ text }), fe.bind({ values }), fe.describe({ type: 'P', name: '' }), fe.execute({}), fe.sync());
    return raw.until('Z');
  };

  it('psycopg 3 server-side cursor: DECLARE then FETCH, each Parse/Bind/Describe/Execute/Sync', async () => {
    await extended('BEGIN');
    expect(
      errorOf(await extended('DECLARE "rd_c" NO SCROLL CURSOR FOR SELECT id FROM rd_people ORDER BY id')),
    ).to.equal('');
    const first = await extended('FETCH FORWARD 2 FROM "rd_c"');
    expect(errorOf(first)).to.equal('');
    expect(cells(first)).to.deep.equal(['1', '2']);
    const next = await extended('FETCH FORWARD 2 FROM "rd_c"');
    expect(cells(next)).to.deep.equal(['3', '4']);
    await extended('COMMIT');
  });

  it("node-postgres in queryMode 'extended': DECLARE then FETCH", async () => {
    const c = await s.connect();
    try {
      // queryMode is read by pg 8 at run time; its type declarations do not list it yet.
      const q = (text: string): Promise<pg.QueryResult<{ id: number }>> =>
        c.query({ text, queryMode: 'extended' } as pg.QueryConfig);
      await q('BEGIN');
      await q('DECLARE rd_n CURSOR FOR SELECT id FROM rd_people ORDER BY id');
      expect((await q('FETCH 2 FROM rd_n')).rows.map((x) => x.id)).to.deep.equal([1, 2]);
      expect((await q('FETCH 2 FROM rd_n')).rows.map((x) => x.id)).to.deep.equal([3, 4]);
      await q('COMMIT');
    } finally {
      await c.end();
    }
  });
});
