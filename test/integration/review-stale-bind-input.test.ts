/**
 * Review of the stale-name backstop (name-freshness.ts): a Bind counts as a run, and marks the portal it
 * creates fresh. But PostgreSQL creates that portal before it converts the parameters, and a parameter of
 * a domain type runs the domain's CHECK (any function) right then: code that closes the new portal and
 * declares a cursor of the same name over a denied table. The Execute that follows would read it
 * unchecked; in fact PostgreSQL 18 goes on binding into the dropped portal and its backend crashes, taking
 * the whole server into recovery: one agent statement cuts every session (a denial of service that the
 * proxy lets through, since nothing in the statement shows the code).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { fe, firstColumns, RawClient, type RawMessage } from '../support/raw-client.js';

const cells = firstColumns;
const PAYROLL = '12000000';

describe('review stale: code run by Bind-time parameter input replaces the portal being bound (real PostgreSQL)', function () {
  let s: LocalStack;
  let raw: RawClient;
  let postmaster = 0;
  before(async () => {
    s = await startLocalStack();
    const d = await s.direct();
    await d.query(
      `CREATE FUNCTION rx_reopen(v int) RETURNS bool LANGUAGE plpgsql AS $$ BEGIN
         IF v = 7 THEN
           EXECUTE 'CLOSE victim';
           EXECUTE 'DECLARE victim CURSOR FOR SELECT amount_cents FROM payroll.salaries';
         END IF;
         RETURN true; END $$`,
    );
    await d.query('CREATE DOMAIN rx_dom AS int CHECK (rx_reopen(VALUE))');
    const backend = (await d.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    postmaster = Number(readFileSync(`/proc/${backend}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
    await d.end();
  });
  after(async function () {
    this.timeout(120_000);
    // After the crash the embedded server ignores a fast shutdown (it stays in recovery): quit it by pid.
    const stopped = s?.stop();
    const inTime = await Promise.race([stopped?.then(() => true), delay(20_000).then(() => false)]);
    if (!inTime && postmaster) process.kill(postmaster, 'SIGQUIT');
    await stopped;
  });
  beforeEach(async () => {
    raw = await RawClient.connect(s.host, s.port, await s.token());
  });
  afterEach(() => raw?.end());

  const query = async (sql: string): Promise<RawMessage[]> => {
    raw.send(fe.query(sql));
    return raw.until('Z');
  };

  it('Bind portal "victim" with a domain parameter whose CHECK reopens "victim": its Execute must not read payroll', async () => {
    await query('BEGIN');
    raw.send(
      fe.parse({ name: 'rx_s', text: 'SELECT $1::rx_dom AS v' }),
      fe.bind({ portal: 'victim', statement: 'rx_s', values: ['7'] }),
      fe.execute({ portal: 'victim' }),
      fe.sync(),
    );
    // Today PostgreSQL's backend crashes here (the Bind goes on with the portal the CHECK dropped) and the
    // whole server restarts: every session of every agent is cut.
    const r = await raw.until('Z').catch(() => [] as RawMessage[]);
    const alive = await s.direct().then(
      async (d) => (await d.end(), true),
      () => false,
    );
    expect(alive, 'PostgreSQL still accepts connections after the Bind').to.equal(true);
    await query('ROLLBACK');
    expect(cells(r)).to.not.include(PAYROLL);
  });
});
