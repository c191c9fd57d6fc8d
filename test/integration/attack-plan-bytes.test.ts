/**
 * Portal masking plans count toward maxPreparedBytes (held-bytes.ts planBytes): a plan holds one entry and
 * one label per result column, up to 1664 of them, while a portal alone is counted 512 bytes. Past the limit a
 * plan is kept only while an Execute of its portal is queued, and made again before the next one; Describes
 * that would not fit wait for the ones before them. Attacks: portals bound cheaply first, then all Described
 * (in one pipeline and one by one). What must hold: rows of every Execute are masked, whatever was dropped.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { heapUsedAfterGc } from '../support/heap.js';
import { fe, RawClient, type RawMessage, messageKinds } from '../support/raw-client.js';
import { capPreparedBytes, wideColumns } from '../support/wide-table.js';

const LIMIT = 131072;
const COLUMNS = 1599;
const PORTALS = 150;
const kinds = (ms: RawMessage[]): string[] => messageKinds(ms, { codes: true });

describe('attack: masking plans of described portals count toward maxPreparedBytes (real PostgreSQL)', function () {
  this.timeout(120_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({
      editPolicy: capPreparedBytes(LIMIT),
    });
    const d = await s.direct();
    await d.query(`CREATE TABLE plan_wide (ssn text, ${wideColumns(COLUMNS)})`);
    await d.query(`INSERT INTO plan_wide (ssn) VALUES ('123-45-6789')`);
    await d.end();
  });
  after(async () => s?.stop());

  it('portals bound within the limit, then all described: the proxy does not hold their plans past the limit', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(fe.query('BEGIN'), fe.parse({ name: 'wide', text: 'SELECT * FROM plan_wide' }), fe.sync());
    await raw.until('Z');
    await raw.until('Z');
    // 150 portals at 512 bytes each fit; their plans (~330 KB each) would not.
    raw.send(...Array.from({ length: PORTALS }, (_, i) => fe.bind({ portal: `p${i}`, statement: 'wide' })), fe.sync());
    expect(kinds(await raw.until('Z')).filter((k) => k === '2')).to.have.length(PORTALS);
    const before = heapUsedAfterGc();
    // One pipeline of every Describe: each waits for the one before it once they would not fit.
    raw.send(...Array.from({ length: PORTALS }, (_, i) => fe.describe({ type: 'P', name: `p${i}` })), fe.sync());
    expect(kinds(await raw.until('Z')).filter((k) => k === 'T')).to.have.length(PORTALS);
    const grown = heapUsedAfterGc() - before;
    expect(grown, `${PORTALS} described portals grew the heap by ${grown} bytes, limit ${LIMIT}`).to.be.below(
      8 * LIMIT,
    );
    // Each Execute still masks: a dropped plan is made again before it.
    for (const i of [0, 77, PORTALS - 1]) {
      raw.send(fe.execute({ portal: `p${i}` }), fe.sync());
      const out = await raw.until('Z');
      expect(kinds(out)).to.deep.equal(['D', 'C', 'Z']);
      expect(out[0]!.body.toString('latin1')).to.not.contain('123-45-6789');
    }
    raw.send(fe.query('ROLLBACK'));
    await raw.until('Z');
    raw.end();
  });

  it('a pipeline of Describe and Execute per portal: every row masked, the session goes on', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(fe.query('BEGIN'), fe.parse({ name: 'wide', text: 'SELECT * FROM plan_wide' }), fe.sync());
    await raw.until('Z');
    await raw.until('Z');
    raw.send(
      ...[0, 1, 2].flatMap((i) => [
        fe.bind({ portal: `q${i}`, statement: 'wide' }),
        fe.describe({ type: 'P', name: `q${i}` }),
        fe.execute({ portal: `q${i}` }),
      ]),
      fe.sync(),
    );
    const out = await raw.until('Z');
    expect(kinds(out)).to.deep.equal(['2', 'T', 'D', 'C', '2', 'T', 'D', 'C', '2', 'T', 'D', 'C', 'Z']);
    for (const d of out.filter((m) => m.type === 'D')) expect(d.body.toString('latin1')).to.not.contain('123-45-6789');
    raw.send(fe.query('ROLLBACK'));
    await raw.until('Z');
    raw.send(fe.query('SELECT 1'));
    expect(kinds(await raw.until('Z'))).to.deep.equal(['T', 'D', 'C', 'Z']);
    raw.end();
  });
});
