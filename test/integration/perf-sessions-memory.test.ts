/**
 * Issue #14, memory with many sessions: what a session holds is released when it closes (a cost test:
 * growth per session, not a time). The proxy runs in this process, so its heap is this process's heap.
 * A heap snapshot of the proxy after 100 clients of pgbench showed the same: 21 MiB live.
 */
import { expect } from 'chai';
import { getHeapSpaceStatistics } from 'node:v8';
import pg from 'pg';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { fullGc } from '../support/heap.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('perf (issue #14): sessions release their memory at close', function () {
  this.timeout(180_000);
  let s: LocalStack;
  let token: string;
  before(async () => {
    s = await startLocalStack();
    token = await s.token('perf-sessions', { ttlSeconds: 600 });
  });
  after(() => s?.stop());

  const openSessions = (): number => (s.proxy as unknown as { sessions: Set<unknown> }).sessions.size;

  async function cycle(n: number): Promise<void> {
    const clients: pg.Client[] = [];
    for (let i = 0; i < n; i++) {
      const c = new pg.Client({ host: s.host, port: s.port, user: 'agent', database: 'billing', password: token });
      await c.connect();
      await c.query('SELECT id, email FROM customers WHERE id = $1', [i + 1]);
      await c.query(`SELECT count(*) FROM customers WHERE id > ${i}`);
      clients.push(c);
    }
    expect(openSessions()).to.equal(n);
    await Promise.all(clients.map((c) => c.end()));
    for (let i = 0; i < 100 && openSessions() > 0; i++) await sleep(50);
    expect(openSessions()).to.equal(0);
  }

  /** Heap in use by objects, after a full GC: V8's code spaces left out, which grow while the JIT warms up. */
  async function settledObjects(waitMs: number): Promise<number> {
    await sleep(waitMs);
    fullGc();
    fullGc();
    return getHeapSpaceStatistics()
      .filter((sp) => !sp.space_name.startsWith('code'))
      .reduce((n, sp) => n + sp.space_used_size, 0);
  }

  it('sessions opened, used and closed keep nothing: 160 more leave the heap where the first 160 did', async () => {
    // Warm-up: the JIT, the shape cache (each text below is cached at its second sighting), pg's own state.
    await cycle(80);
    await cycle(80);
    // The baseline long after the warm-up's sessions closed; the measure 200 ms after the last close: a
    // closed session must be released at once, not after a grace period (its sockets' 1 s end timer once
    // kept the session alive through their listeners: 80 sessions, ~7 KiB per session here).
    const before = await settledObjects(1500);
    await cycle(80);
    await cycle(80);
    const perSession = ((await settledObjects(200)) - before) / 160;
    // An open session holds tens of KiB (its sockets' buffers, its statements); what stays after close is
    // the JIT's bytecode and feedback (~0.9 KiB per session here).
    expect(perSession, `heap kept per closed session: ${perSession.toFixed(0)} bytes`).to.be.below(2048);
  });
});
