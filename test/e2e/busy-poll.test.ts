/**
 * Issue #14, latency at one client: `agentgate proxy --busy-poll-micros N` keeps its event loop polling
 * for N µs after Postgres traffic while the server owes an answer, and only then. The real proxy process,
 * real PostgreSQL, node-postgres and pgbench through it; its main thread's CPU read from /proc (schedstat).
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../../proxy/local/embedded-postgres.js';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { auditFileRecords } from '../support/audit-records.js';
import { agentClientAt, AGENTGATE_BIN, startProxyProcess, stopProxyProcess } from '../support/proxy-process.js';
import { eventually } from './cluster.js';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Seconds the process's main thread has been on a CPU. */
const mainThreadCpu = (pid: number): number =>
  Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e9;

describe('busy polling (issue #14): the proxy polls instead of sleeping for a window after traffic, then sleeps', function () {
  this.timeout(180_000);
  let stack: LocalStack;
  const proxies: ChildProcess[] = [];

  before(async () => {
    stack = await startLocalStack();
    await stack.proxy.stop();
  });
  after(async () => {
    for (const p of proxies) await stopProxyProcess(p);
    await stack?.postgres.stop();
  });

  async function startProxy(name: string, extra: string[]): Promise<{ port: number; pid: number; audit: string }> {
    const p = await startProxyProcess(stack, `busy-${name}`, extra);
    proxies.push(p.child);
    return { port: p.port, pid: p.child.pid!, audit: p.audit };
  }

  /** One client, a statement every 3 ms for `ms`: the CPU the proxy's main thread used meanwhile. */
  async function pacedLoad(port: number, pid: number, ms: number): Promise<{ cpu: number; statements: number }> {
    const c = await agentClientAt(stack, port);
    try {
      await c.query('SELECT 1'); // the parser's first load is not part of the measure
      const cpu0 = mainThreadCpu(pid);
      const end = Date.now() + ms;
      let statements = 0;
      while (Date.now() < end) {
        expect((await c.query('SELECT $1::int + 1 AS n', [statements])).rows[0].n).to.equal(statements + 1);
        statements++;
        await sleep(3);
      }
      return { cpu: mainThreadCpu(pid) - cpu0, statements };
    } finally {
      await c.end();
    }
  }

  it('spins between paced statements with a 10 ms window, not without one, and stops once traffic stops', async () => {
    const plain = await startProxy('off', []);
    const polled = await startProxy('on', ['--busy-poll-micros', '10000']);
    const off = await pacedLoad(plain.port, plain.pid, 1500);
    const on = await pacedLoad(polled.port, polled.pid, 1500);
    const report = `main-thread CPU over 1.5 s: ${on.cpu.toFixed(3)} s busy-polled (${on.statements} statements), ${off.cpu.toFixed(3)} s without (${off.statements})`;
    // A 3 ms gap is inside the window: the polled proxy never sleeps while the client paces (a core's
    // worth, less what the scheduler gives the others on a shared machine); the plain one sleeps.
    expect(on.cpu, report).to.be.greaterThan(0.5);
    expect(on.cpu, report).to.be.greaterThan(2.5 * off.cpu);
    // The window after the last read ends, and the thread sleeps again.
    await sleep(100);
    const idle0 = mainThreadCpu(polled.pid);
    await sleep(1500);
    expect(mainThreadCpu(polled.pid) - idle0, 'CPU over 1.5 s after the traffic').to.be.lessThan(0.1);
    // Every statement was decided and recorded as without busy polling.
    const decided = auditFileRecords(polled.audit).filter(
      (r) => r.event.action === 'statement.decision' && r.db?.query?.text === 'SELECT $1::int + 1 AS n',
    ).length;
    expect(decided, report).to.be.at.least(on.statements);
  });

  it("the server's answer wakes it too: rows that come every 3 ms while the agent sends nothing", async () => {
    const healthPort = await freePort();
    const { port, pid } = await startProxy('rows', [
      '--busy-poll-micros',
      '10000',
      '--health-address',
      `127.0.0.1:${healthPort}`,
    ]);
    const polledSeconds = async (): Promise<number> =>
      Number(
        /^agentgate_proxy_busy_poll_seconds_total (\S+)$/m.exec(
          await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text(),
        )?.[1],
      );
    const c = await agentClientAt(stack, port);
    try {
      await c.query('SELECT 1');
      await sleep(100);
      const cpu0 = mainThreadCpu(pid);
      // Each row fills PostgreSQL's 8 KiB send buffer, so each is sent as it is made.
      const r = await c.query("SELECT repeat('x', 9000) AS pad, pg_sleep(0.003) FROM generate_series(1, 400)");
      const cpu = mainThreadCpu(pid) - cpu0;
      expect(r.rows).to.have.length(400);
      // Only the server sent this session anything during the 1.2 s: the 3 ms gaps sit inside the window.
      expect(cpu, 'main-thread CPU over 400 rows 3 ms apart').to.be.greaterThan(0.5);
      // Counted when the spell ends, the window after the last row.
      await eventually('the spell counted', async () => (await polledSeconds()) >= 1, 5000, 50);
    } finally {
      await c.end();
    }
  });

  it('what asks nothing of the server keeps nothing awake: Flush, COPY data outside a COPY, notifications to an idle session', async () => {
    const { port, pid } = await startProxy('idle-traffic', ['--busy-poll-micros', '10000']);
    const c = await agentClientAt(stack, port);
    const direct = await stack.direct();
    const socket = (c as unknown as { connection: { stream: Socket } }).connection.stream;
    try {
      let received = 0;
      c.on('notification', () => received++);
      await c.query('LISTEN ticks');
      await sleep(100);
      const quiet = async (what: string, send: (i: number) => Promise<unknown> | void): Promise<void> => {
        const cpu0 = mainThreadCpu(pid);
        const end = Date.now() + 1000;
        for (let i = 0; Date.now() < end; i++) {
          await send(i);
          await sleep(4);
        }
        // Polled, each would be the whole second (the first case shows what that looks like).
        expect(mainThreadCpu(pid) - cpu0, `CPU over 1 s of ${what}`).to.be.lessThan(0.3);
      };
      await quiet('Flush', () => void socket.write(Buffer.from([0x48, 0, 0, 0, 4])));
      await quiet('CopyData outside a COPY', () => void socket.write(Buffer.from([0x64, 0, 0, 0, 5, 0x78])));
      let sent = 0;
      await quiet('notifications', () => direct.query(`NOTIFY ticks, '${sent++}'`));
      await eventually('every notification relayed', async () => received === sent, 5000, 20);
      // The session still works after all that.
      expect((await c.query('SELECT 2 AS n')).rows).to.deep.equal([{ n: 2 }]);
    } finally {
      await direct.end();
      await c.end();
    }
  });

  it('a trickle of bytes that never makes a whole message keeps nothing awake', async () => {
    const { port, pid } = await startProxy('trickle', ['--busy-poll-micros', '10000']);
    const c = await agentClientAt(stack, port);
    c.on('error', () => undefined);
    const socket = (c as unknown as { connection: { stream: Socket } }).connection.stream;
    try {
      const cpu0 = mainThreadCpu(pid);
      socket.write(Buffer.from([0x51, 0, 0, 0x10, 0])); // a Query of 4 KiB, sent a byte every 5 ms
      const end = Date.now() + 1500;
      while (Date.now() < end) {
        socket.write('x');
        await sleep(5);
      }
      // Polled, this would be the whole 1.5 s (the first case shows it); asleep, a few ms for ~300 reads.
      expect(mainThreadCpu(pid) - cpu0, 'CPU over 1.5 s of trickle').to.be.lessThan(0.3);
    } finally {
      socket.destroy();
    }
  });

  it('pgbench through a busy-polled proxy: simple and prepared, every transaction answered', async () => {
    const { port } = await startProxy('pgbench', ['--busy-poll-micros', '300']);
    const script = join(stack.dir, 'busy-poll.sql');
    writeFileSync(script, 'SELECT 1;\n');
    for (const mode of ['simple', 'prepared']) {
      const child = spawn(
        'pgbench',
        [
          '-n',
          '-h',
          '127.0.0.1',
          '-p',
          String(port),
          '-U',
          'agent',
          '-c',
          '2',
          '-t',
          '200',
          '-M',
          mode,
          '-f',
          script,
          'billing',
        ],
        { env: { ...process.env, PGPASSWORD: await stack.token() }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise((r) => child.once('exit', r));
      expect(code, out).to.equal(0);
      expect(out, mode).to.match(/number of transactions actually processed: 400\/400/);
      expect(out, mode).to.match(/number of failed transactions: 0 /);
    }
  });

  it('refuses a window that is not an integer from 0 to 10000 µs with a usage error', async () => {
    for (const bad of ['-1', 'soon', '', '10001', '2.5', '1e3']) {
      const child = spawn(
        process.execPath,
        [AGENTGATE_BIN, 'proxy', '--policy', 'x.yaml', `--busy-poll-micros=${bad}`],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise((r) => child.once('exit', r));
      expect(code, bad).to.equal(2);
      expect(err, bad).to.include('--busy-poll-micros must be an integer number of µs from 0 (off) to 10000');
    }
  });
});
