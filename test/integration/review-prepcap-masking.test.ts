/**
 * Review of spec.protocolLimits.maxPreparedBytes (held-bytes.ts): a portal whose column masking plan no
 * longer fits is "not kept described" — but an Execute queued while it was still described relies on
 * that plan. Real PostgreSQL, exact wire sequences through the raw client.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { fe, RawClient, type RawMessage, messageKinds } from '../support/raw-client.js';

const LIMIT = 200704; // the smallest maxPreparedBytes validation accepts for maxStatementBytes 32768
/** A statement text under 4096 characters: counted at 1 KiB + 8 x its length (about 32 KB of the limit). */
const bulky = `SELECT 1 AS one /* ${'x'.repeat(3950)} */`;

const kinds = (ms: RawMessage[]): string[] => messageKinds(ms, { codes: true, notices: false });

describe('review maxPreparedBytes: masking of a portal whose plan stops fitting', function () {
  let s: LocalStack;

  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => {
        p.spec.protocolLimits = { maxStatementBytes: 32768, maxPreparedBytes: LIMIT };
        // A ruled column whose values no detector recognises: only the column plan masks it.
        p.spec.masking!.columns = [...(p.spec.masking!.columns ?? []), { name: 'name', strategy: 'redact' }];
      },
    });
  });
  after(async () => s?.stop());

  it('a re-Describe answered while a pipelined unnamed Parse is pending drops the plan an already-queued Execute uses: ruled column sent unmasked', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(fe.query('BEGIN'));
    await raw.until('Z');
    // Held: the named statements, a bulky unnamed statement, and portal w0 described with its plan kept.
    raw.send(
      fe.parse({ name: 'q', text: 'SELECT name FROM customers ORDER BY id' }),
      fe.parse({ name: 'sl', text: 'SELECT pg_sleep(0.3) AS slept' }),
      fe.parse({ text: bulky }),
      fe.bind({ portal: 'w0', statement: 'q' }),
      fe.describe({ type: 'P', name: 'w0' }),
      fe.sync(),
    );
    expect(kinds(await raw.until('Z'))).to.deep.equal(['1', '1', '1', '2', 'T', 'Z']);
    // Control: w0's rows are masked while its plan is held.
    raw.send(fe.execute({ portal: 'w0', rows: 1 }), fe.sync());
    const control = await raw.until('Z');
    expect(kinds(control)).to.deep.equal(['D', 's', 'Z']);
    expect(control.find((m) => m.type === 'D')!.body.toString('utf8')).to.not.contain('Ada Lovelace');

    // One pipeline: a slow statement first (so nothing is answered while the proxy reads the rest), the
    // agent's Describe of w0, an unnamed Parse pending while the Describe is answered (a bulky one is now
    // refused: it is checked at full size, never credited with the statement it replaces), then Execute w0.
    // A described portal always keeps its plan, whatever the session holds.
    raw.send(
      fe.bind({ portal: 'zz', statement: 'sl' }),
      fe.execute({ portal: 'zz' }),
      fe.describe({ type: 'P', name: 'w0' }),
      fe.parse({ text: 'SELECT 2 AS two' }),
      fe.execute({ portal: 'w0', rows: 5 }),
      fe.sync(),
    );
    // The Execute of w0 comes after zz ran in the same pipeline: it cannot be checked with the server there,
    // so it is refused; after the Sync it is checked, and the plan the Describe left masks its rows.
    const out = await raw.until('Z');
    expect(kinds(out)).to.deep.equal(['2', 'D', 'C', 'T', '1', 'E:42501', 'Z']);
    raw.send(fe.query('ROLLBACK'));
    await raw.until('Z');
    raw.send(
      fe.query('BEGIN'),
      fe.bind({ portal: 'w0', statement: 'q' }),
      fe.describe({ type: 'P', name: 'w0' }),
      fe.sync(),
    );
    await raw.until('Z');
    await raw.until('Z');
    raw.send(
      fe.bind({ portal: 'zz', statement: 'sl' }),
      fe.execute({ portal: 'zz' }),
      fe.describe({ type: 'P', name: 'w0' }),
      fe.parse({ text: 'SELECT 2 AS two' }),
      fe.sync(),
    );
    expect(kinds(await raw.until('Z'))).to.deep.equal(['2', 'D', 'C', 'T', '1', 'Z']);
    raw.send(fe.execute({ portal: 'w0', rows: 5 }), fe.sync());
    const after = await raw.until('Z');
    expect(kinds(after).slice(-2)).to.deep.equal(['C', 'Z']);
    expect(kinds(after).filter((k) => k === 'D')).to.have.length.above(2);
    const rows = after.filter((m) => m.type === 'D').map((m) => m.body.toString('utf8'));
    for (const leaked of ['Ada Lovelace', 'Grace Hopper', 'Alan Turing']) expect(rows.join('|')).to.not.contain(leaked);
    raw.send(fe.query('ROLLBACK'));
    await raw.until('Z');
    raw.end();
  });
});
