/**
 * Review of prepfix F2 (the confirmed unnamed statement is forgotten when a Parse of it arrives), against
 * a real PostgreSQL: after an error earlier in a pipeline, PostgreSQL skips every message up to Sync, so a
 * Parse of the unnamed statement it skipped leaves the old unnamed statement in place. The proxy must not
 * forget (and so refuse) a statement the server still has and runs.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { fe, firstColumns, RawClient, type RawMessage, messageKinds } from '../support/raw-client.js';

const kinds = (ms: RawMessage[]): string[] => messageKinds(ms);
const firstCell = (ms: RawMessage[]): string | undefined => firstColumns(ms)[0];

describe('review prepfix: a skipped Parse of the unnamed statement (real PostgreSQL)', function () {
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack();
  });
  after(async () => s?.stop());

  it('the unnamed statement a skipped Parse did not replace stays bindable, as in PostgreSQL', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(fe.parse({ text: 'SELECT 41 + 1 AS n' }), fe.sync());
    expect(kinds(await raw.until('Z'))).to.deep.equal(['1', 'Z']);
    // An Execute fails; the Parse of the unnamed statement after it is skipped by the server.
    raw.send(
      fe.parse({ name: 'fails', text: 'SELECT 1/0 AS n' }),
      fe.bind({ portal: 'p', statement: 'fails' }),
      fe.execute({ portal: 'p' }),
      fe.parse({ text: 'SELECT 7 AS n' }),
      fe.sync(),
    );
    const failed = await raw.until('Z');
    expect(kinds(failed)).to.include('E');
    // PostgreSQL still has the first unnamed statement: Bind and Execute run it.
    raw.send(fe.bind({}), fe.execute({}), fe.sync());
    const ran = await raw.until('Z');
    expect(
      ran.find((m) => m.type === 'E')?.error?.message,
      'refused a statement PostgreSQL still has and runs',
    ).to.equal(undefined);
    expect(firstCell(ran)).to.equal('42');
    raw.end();
  });
  it('a replacing Parse the proxy refuses leaves the unnamed statement as it was (refusal.ts), and bindable', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(fe.parse({ text: 'SELECT 41 + 1 AS n' }), fe.sync());
    expect(kinds(await raw.until('Z'))).to.deep.equal(['1', 'Z']);
    // Refused by the policy: the server gets agentgate's failing Parse of a named statement instead.
    raw.send(fe.parse({ text: 'DROP TABLE orders' }), fe.sync());
    expect(kinds(await raw.until('Z'))).to.include('E');
    raw.send(fe.bind({}), fe.execute({}), fe.sync());
    const ran = await raw.until('Z');
    expect(
      ran.find((m) => m.type === 'E')?.error?.message,
      'refused a statement PostgreSQL still has and runs',
    ).to.equal(undefined);
    expect(firstCell(ran)).to.equal('42');
    raw.end();
  });
});
