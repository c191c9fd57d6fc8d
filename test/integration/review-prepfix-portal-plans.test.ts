/**
 * Review of prepfix F1 (a described portal keeps its masking plan; plans are not counted), against a real
 * PostgreSQL: a portal is counted 512 bytes, but its plan holds one object and one label per column
 * (up to 1600 columns, labels up to 63 bytes). Inside one transaction an agent Binds and Describes as
 * many named portals of `SELECT * FROM <wide table>` as the limit lets it and makes the proxy hold
 * hundreds of times maxPreparedBytes; at the default limit (32 MiB, 65536 portals) that is gigabytes.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { heapUsedAfterGc } from '../support/heap.js';
import { fe, RawClient } from '../support/raw-client.js';
import { capPreparedBytes, wideColumns } from '../support/wide-table.js';

const LIMIT = 131072;
const COLUMNS = 1600;
const PORTALS = 200;

describe('review prepfix: what described portals make the proxy hold (maxPreparedBytes, real PostgreSQL)', function () {
  this.timeout(120_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({
      editPolicy: capPreparedBytes(LIMIT),
    });
    const d = await s.direct();
    await d.query(`CREATE TABLE review_wide (${wideColumns(COLUMNS)})`);
    await d.end();
  });
  after(async () => s?.stop());

  it('Described portals within the limit do not make the proxy hold many times maxPreparedBytes', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(fe.query('BEGIN'), fe.parse({ name: 'wide', text: 'SELECT * FROM review_wide' }), fe.sync());
    await raw.until('Z');
    await raw.until('Z');
    const before = heapUsedAfterGc();
    let refused = 0;
    for (let i = 0; i < PORTALS; i += 10) {
      const batch = [];
      for (let j = i; j < i + 10; j++)
        batch.push(fe.bind({ portal: `p${j}`, statement: 'wide' }), fe.describe({ type: 'P', name: `p${j}` }));
      raw.send(...batch, fe.sync());
      const replies = await raw.until('Z');
      refused += replies.filter((m) => m.type === 'E').length;
    }
    const grown = heapUsedAfterGc() - before;
    raw.end();
    expect(
      { refused, grownOverLimit: Math.round(grown / LIMIT) },
      `${PORTALS} described portals (${refused} refused) grew the heap by ${grown} bytes, limit ${LIMIT}`,
    ).to.satisfy((r: { refused: number; grownOverLimit: number }) => r.refused > 0 || r.grownOverLimit < 8);
  });
});
