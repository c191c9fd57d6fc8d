/**
 * Review of the stale-name backstop: how the check (server-cursor-check.ts) finds a name in pg_cursors.
 * It assumes the unnamed portal is never listed, and looks a name up exactly as the agent wrote it.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { rawPerTest } from '../support/vetted-functions.js';
import { fe, firstColumns, type RawMessage, messageKinds } from '../support/raw-client.js';

const cells = firstColumns;
const kinds = (ms: RawMessage[]): string[] => messageKinds(ms, { notices: false });
const errorOf = (ms: RawMessage[]): string => ms.find((m) => m.type === 'E')?.error?.message ?? '';

describe('review stale: how the check finds names in pg_cursors (real PostgreSQL)', function () {
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack();
    const d = await s.direct();
    await d.query('CREATE TABLE rn_people (id int)');
    await d.query('INSERT INTO rn_people SELECT generate_series(1, 5)');
    await d.end();
  });
  after(async () => s?.stop());
  const session = rawPerTest(() => s);
  const query = session.query;

  it('the unnamed portal, suspended, resumed after another statement ran: checked and read', async () => {
    await query('BEGIN');
    session
      .raw()
      .send(
        fe.parse({ name: 'rn_s', text: 'SELECT id FROM rn_people ORDER BY id' }),
        fe.bind({ statement: 'rn_s' }),
        fe.execute({ rows: 1 }),
        fe.sync(),
      );
    expect(cells(await session.raw().until('Z'))).to.deep.equal(['1']);
    session
      .raw()
      .send(
        fe.parse({ name: 'rn_t', text: 'SELECT 42' }),
        fe.bind({ portal: 'rn_other', statement: 'rn_t' }),
        fe.execute({ portal: 'rn_other' }),
        fe.sync(),
      );
    expect(cells(await session.raw().until('Z'))).to.deep.equal(['42']);
    session.raw().send(fe.execute({ rows: 1 }), fe.sync());
    const r = await session.raw().until('Z');
    expect(errorOf(r)).to.equal('');
    expect(cells(r)).to.deep.equal(['2']);
    await query('COMMIT');
  });

  it('a portal whose name is longer than 63 bytes, resumed after another statement ran: checked and read', async () => {
    const long = `rn_${'x'.repeat(70)}`;
    await query('BEGIN');
    session
      .raw()
      .send(
        fe.parse({ name: 'rn_l', text: 'SELECT id FROM rn_people ORDER BY id' }),
        fe.bind({ portal: long, statement: 'rn_l' }),
        fe.execute({ portal: long, rows: 1 }),
        fe.sync(),
      );
    expect(cells(await session.raw().until('Z'))).to.deep.equal(['1']);
    expect(kinds(await query('SELECT 1'))).to.not.include('E');
    session.raw().send(fe.execute({ portal: long, rows: 1 }), fe.sync());
    const r = await session.raw().until('Z');
    expect(errorOf(r)).to.equal('');
    expect(cells(r)).to.deep.equal(['2']);
    await query('COMMIT');
  });
});
