/**
 * Hostile review round 2 (issue #12): a statement held for approval, cancelled by its client with a
 * CancelRequest (psql's Ctrl-C) while it waits. The proxy forwards the CancelRequest to the upstream
 * backend (server.ts cancel), where nothing is running, and the hold goes on: once an approver approves,
 * the one-shot grant is spent and the write the client cancelled runs anyway.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import type { LocalStack } from '../../proxy/local/stack.js';
import { within } from '../support/eventually.js';
import { CountingBroker, startPayrollApprovalStack } from '../support/sql-approval-fixtures.js';

describe('review-gate2: a held statement cancelled by its client (CancelRequest)', function () {
  this.timeout(60_000);
  let s: LocalStack;
  let broker: CountingBroker;

  before(async () => {
    broker = new CountingBroker();
    s = await startPayrollApprovalStack(broker);
  });
  after(async () => s?.stop());

  const salaries = async (): Promise<number> => {
    const d = await s.direct();
    const r = await d.query('SELECT count(*)::int AS n FROM payroll.salaries');
    await d.end();
    return (r.rows[0] as { n: number }).n;
  };

  it('psql Ctrl-C during the hold: the write is not run after a later approval, and the grant is not spent', async () => {
    const before = await salaries();
    expect(before).to.be.greaterThan(0);
    const conn = `host=${s.host} port=${s.port} user=agent dbname=billing sslmode=disable`;
    const psql = spawn('psql', [conn, '-X', '-c', "DELETE FROM payroll.salaries WHERE employee = 'EMP-004211'"], {
      env: { ...process.env, PGPASSWORD: await s.token('psql-agent') },
    });
    let stderr = '';
    psql.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // 'close', not 'exit': the last lines of psql's stderr may still be on their way at its exit.
    const exited = new Promise<number | null>((r) => psql.on('close', (code) => r(code)));
    let gone = false;
    void exited.then(() => (gone = true));
    while (broker.asks.length === 0 && !gone) await new Promise((r) => setTimeout(r, 20));
    expect(gone, `psql ended before the hold: ${stderr}`).to.equal(false);
    psql.kill('SIGINT'); // psql sends a CancelRequest for the statement in flight
    // The approval comes once the cancel has been handled (psql got its error and ended), or, if the hold
    // goes on regardless, after a bound far above what the cancel takes: then the grant must not run it.
    const ended = await within(exited, 10_000, 'still running');
    await broker.settle(`apr-${broker.asks[0]!.command.sha256.slice(0, 8)}`, 'Approved');
    const code = ended === 'still running' ? await within(exited, 3000, 'still running') : ended;
    if (code === 'still running') psql.kill('SIGKILL');
    expect(await salaries(), `the cancelled DELETE must not run (psql: ${stderr.trim()})`).to.equal(before);
    expect(broker.used, 'a cancelled statement leaves the one-shot grant unspent').to.deep.equal([]);
  });
});
