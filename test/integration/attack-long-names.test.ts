/**
 * PostgreSQL keys prepared statements and portals by their first 63 bytes (NAMEDATALEN - 1): two names that
 * share those are one object on the server. Followed by their full text, the proxy would take them for two:
 * a portal Closed and Bound again under a sibling name would be decided and masked as the first one.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { fe, RawClient, type RawMessage, messageKinds } from '../support/raw-client.js';

const SECRET = 'plain-SECRET-value';
const kinds = (ms: RawMessage[]): string[] => messageKinds(ms, { codes: true });

describe('attack: statement and portal names past 63 bytes (real PostgreSQL)', function () {
  let s: LocalStack;
  let raw: RawClient;
  before(async () => {
    s = await startLocalStack();
    const d = await s.direct();
    await d.query('CREATE TABLE ln_people (id int, ssn text)');
    await d.query(`INSERT INTO ln_people VALUES (1, '${SECRET}')`);
    await d.end();
  });
  after(async () => s?.stop());
  beforeEach(async () => {
    raw = await RawClient.connect(s.host, s.port, await s.token());
  });
  afterEach(() => raw?.end());

  const base = 'p'.repeat(63);
  it('a portal Closed and Bound again under a name sharing its first 63 bytes is the same portal: masked as what runs', async () => {
    raw.send(fe.query('BEGIN'));
    await raw.until('Z');
    raw.send(
      fe.parse({ name: 'ln_ids', text: 'SELECT id FROM ln_people' }),
      fe.parse({ name: 'ln_ssn', text: 'SELECT ssn FROM ln_people' }),
      fe.bind({ portal: `${base}X`, statement: 'ln_ids' }),
      fe.describe({ type: 'P', name: `${base}X` }),
      fe.sync(),
    );
    expect(kinds(await raw.until('Z'))).to.deep.equal(['1', '1', '2', 'T', 'Z']);
    raw.send(
      fe.close({ type: 'P', name: `${base}Y` }),
      fe.bind({ portal: `${base}Y`, statement: 'ln_ssn' }),
      fe.sync(),
    );
    expect(kinds(await raw.until('Z'))).to.deep.equal(['3', '2', 'Z']);
    raw.send(fe.execute({ portal: `${base}X` }), fe.sync());
    const out = await raw.until('Z');
    expect(out.map((m) => m.body.toString('utf8')).join('|')).to.not.contain(SECRET);
    raw.send(fe.query('ROLLBACK'));
    await raw.until('Z');
  });

  it('a prepared statement named past 63 bytes is found by any name sharing them, as on the server', async () => {
    raw.send(
      fe.parse({ name: `${base}A`, text: 'SELECT 7 AS n' }),
      fe.bind({ statement: `${base}B` }),
      fe.execute({}),
      fe.sync(),
    );
    const out = await raw.until('Z');
    expect(kinds(out)).to.deep.equal(['1', '2', 'D', 'C', 'Z']);
  });
});
