/**
 * Issue #14, writes per statement (a cost test: counts over N and 8N statements, never a time). Per round
 * trip the proxy writes once to the server and once to the agent, and once to the audit file (the
 * decision, with the previous statement's deferred completion): every write is a syscall and a wake-up
 * of the reader, and on a loaded machine each one waits for a core. The proxy runs in this process; its
 * sockets are told apart from the test's own by their ports, the audit file's writes by their fd's path.
 * `BENCH_ONLY=syscalls npm run bench` counts the same with strace, with the reads and wake-ups.
 */
import { expect } from 'chai';
import fs, { readlinkSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { Socket } from 'node:net';
import pg from 'pg';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';

interface Counts {
  toServer: number;
  toAgent: number;
  auditFile: number;
  /** Reads of the proxy from the server ('data' events): a result may arrive in several on a loaded machine. */
  fromServer: number;
}

describe('perf (issue #14): one write per direction per round trip, one audit write per decision', function () {
  this.timeout(180_000);
  let s: LocalStack;
  const counts: Counts = { toServer: 0, toAgent: 0, auditFile: 0, fromServer: 0 };
  const socketWrite = Socket.prototype.write;
  const socketEmit = Socket.prototype.emit;
  const writeSync = fs.writeSync;

  before(async () => {
    s = await startLocalStack();
    const proxyPort = s.port;
    const serverPort = s.postgres.port;
    Socket.prototype.write = function (this: Socket, ...args: unknown[]) {
      // The test's clients talk to the proxy only: a socket to the server is the proxy's.
      if (this.localPort === proxyPort) counts.toAgent++;
      else if (this.remotePort === serverPort) counts.toServer++;
      return (socketWrite as (...a: unknown[]) => boolean).apply(this, args);
    } as typeof socketWrite;
    Socket.prototype.emit = function (this: Socket, event: string | symbol, ...args: unknown[]) {
      if (event === 'data' && this.remotePort === serverPort) counts.fromServer++;
      return (socketEmit as (...a: unknown[]) => boolean).call(this, event, ...args);
    } as typeof socketEmit;
    fs.writeSync = function (fd: number, ...rest: unknown[]) {
      try {
        if (readlinkSync(`/proc/self/fd/${fd}`) === s.auditFile) counts.auditFile++;
      } catch {
        // not a file descriptor with a path
      }
      return (writeSync as (...a: unknown[]) => number)(fd, ...rest);
    } as typeof writeSync;
    syncBuiltinESMExports();
  });
  after(async () => {
    Socket.prototype.write = socketWrite;
    Socket.prototype.emit = socketEmit;
    fs.writeSync = writeSync;
    syncBuiltinESMExports();
    await s?.stop();
  });

  async function perStatement(run: (c: pg.Client, n: number) => Promise<void>, n: number): Promise<Counts> {
    const measure = async (k: number): Promise<Counts> => {
      const c = await s.connect(`perf-syscalls-${k}`);
      await c.query('SELECT 1');
      const before = { ...counts };
      await run(c, k);
      const after = { ...counts };
      await c.end();
      return {
        toServer: after.toServer - before.toServer,
        toAgent: after.toAgent - before.toAgent,
        auditFile: after.auditFile - before.auditFile,
        fromServer: after.fromServer - before.fromServer,
      };
    };
    await measure(n); // warm-up: the JIT, the shape cache
    const small = await measure(n);
    const large = await measure(8 * n);
    return {
      toServer: (large.toServer - small.toServer) / (7 * n),
      toAgent: (large.toAgent - small.toAgent) / (7 * n),
      auditFile: (large.auditFile - small.auditFile) / (7 * n),
      fromServer: (large.fromServer - small.fromServer) / (7 * n),
    };
  }

  function expectOneEach(c: Counts): void {
    expect(c.toServer, 'writes to the server per statement').to.be.within(0.95, 1.05);
    // One write to the agent per read from the server (what one read brings is gathered into one write): one
    // per statement when each result arrives in one read, as it does on a quiet machine.
    expect(c.toAgent, 'writes to the agent per statement').to.be.at.least(0.95);
    expect(c.toAgent, 'writes to the agent per read from the server').to.be.at.most(c.fromServer + 0.05);
    expect(c.auditFile, 'audit file writes per statement').to.be.within(0.95, 1.05);
  }

  it('simple protocol: a new text each time (the literal inlined)', async () => {
    const c = await perStatement(async (client, n) => {
      for (let i = 0; i < n; i++) await client.query(`SELECT id, email FROM customers WHERE id = ${(i % 50) + 1}`);
    }, 60);
    expectOneEach(c);
  });

  it('extended protocol: a named prepared statement executed again and again', async () => {
    const c = await perStatement(async (client, n) => {
      for (let i = 0; i < n; i++)
        await client.query({
          name: 'by-id',
          text: 'SELECT id, email FROM customers WHERE id = $1',
          values: [(i % 50) + 1],
        });
    }, 60);
    expectOneEach(c);
  });

  it('a multi-row result is still one write to the agent when it arrives in one read', async () => {
    const c = await perStatement(async (client, n) => {
      for (let i = 0; i < n; i++) await client.query('SELECT id, email FROM customers ORDER BY id LIMIT 20');
    }, 40);
    expectOneEach(c);
  });
});
