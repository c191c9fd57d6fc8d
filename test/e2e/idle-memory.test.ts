/**
 * Issue #14, idle memory: the real `agentgate proxy` gives memory back once at start, before it says it is
 * ready, and again after a quiet spell that follows work, and keeps serving. Counted on its /metrics and
 * logged; `--idle-memory-seconds 0` turns it off. Real PostgreSQL, node-postgres through the proxy.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { freePort } from '../../proxy/local/embedded-postgres.js';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import {
  agentClientAt,
  AGENTGATE_BIN,
  startProxyProcess,
  stopProxyProcess,
  type ProxyProcess,
} from '../support/proxy-process.js';
import { eventually } from './cluster.js';

interface Returned {
  reason: string;
  heapBeforeMiB: number;
  heapAfterMiB: number;
  pauseMs: number;
}

describe('idle memory (issue #14): the proxy gives memory back at start and when quiet', function () {
  this.timeout(180_000);
  let stack: LocalStack;
  let running: ProxyProcess | undefined;
  const log = (): string => running?.log() ?? '';

  before(async () => {
    stack = await startLocalStack();
    await stack.proxy.stop();
  });
  afterEach(async () => stopProxyProcess(running?.child));
  after(async () => stack?.postgres.stop());

  async function startProxy(
    idleSeconds: string,
    nodeArgs: string[] = [],
  ): Promise<{ port: number; metrics: () => Promise<number> }> {
    const healthPort = await freePort();
    running = await startProxyProcess(
      stack,
      `idle-${idleSeconds}`,
      ['--health-address', `127.0.0.1:${healthPort}`, '--idle-memory-seconds', idleSeconds],
      nodeArgs,
    );
    const metrics = async (): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
      return Number(/^agentgate_proxy_idle_memory_returns_total (\d+)$/m.exec(text)?.[1]);
    };
    return { port: running.port, metrics };
  }

  const returns = (): Returned[] =>
    log()
      .split('\n')
      .filter((l) => l.includes('"message":"returned idle memory"'))
      .map((l) => JSON.parse(l) as Returned);

  async function work(port: number): Promise<void> {
    const clients = await Promise.all(Array.from({ length: 4 }, () => agentClientAt(stack, port)));
    try {
      await Promise.all(
        clients.map(async (c, i) => {
          for (let j = 0; j < 300; j++) await c.query(`SELECT ${i * 1000 + j} AS n, repeat('x', 20000) AS pad`);
        }),
      );
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  }

  it('once at start, before it says it is ready; again after work and a quiet window; and it serves on', async () => {
    const { port, metrics } = await startProxy('1');
    const lines = log().split('\n');
    const first = lines.findIndex((l) => l.includes('"message":"returned idle memory"'));
    expect(first, log()).to.be.at.least(0);
    expect(first, 'before "ready"').to.be.lessThan(lines.findIndex((l) => l.includes('"message":"ready"')));
    expect(returns()[0]!.reason).to.equal('start');
    expect(await metrics()).to.equal(1);

    await work(port);
    // Watched in its log, not by scraping /metrics: five scrapes a second can keep a 1 s window over 1 % busy.
    await eventually('a return after the quiet window', async () => returns().length === 2, 20_000, 200);
    expect(await metrics()).to.equal(2);
    const quiet = returns()[1]!;
    expect(quiet.reason).to.equal('quiet');
    expect(quiet.heapAfterMiB, JSON.stringify(quiet)).to.be.lessThan(quiet.heapBeforeMiB - 4);
    expect(quiet.pauseMs).to.be.lessThan(1000);

    const c = await agentClientAt(stack, port);
    try {
      expect((await c.query('SELECT 41 + 1 AS n')).rows).to.deep.equal([{ n: 42 }]);
    } finally {
      await c.end();
    }
  });

  it('loads the SQL parser with the first statement, not at start: once for first statements from four clients at once', async () => {
    // Logs each evaluation of libpg-query's entry module (an in-thread hook: it also sees the ES import).
    const hook = `import { registerHooks } from 'node:module';
import { writeSync } from 'node:fs';
registerHooks({ load(url, ctx, next) { if (/\\/libpg-query\\/wasm\\/index\\.c?js/.test(url)) writeSync(2, 'libpg-query loaded\\n'); return next(url, ctx); } });`;
    const { port } = await startProxy('0', ['--import', `data:text/javascript,${encodeURIComponent(hook)}`]);
    const loads = (): number =>
      log()
        .split('\n')
        .filter((l) => l === 'libpg-query loaded').length;
    const clients = await Promise.all(Array.from({ length: 4 }, () => agentClientAt(stack, port)));
    try {
      expect(loads(), 'loaded before any statement').to.equal(0);
      const answers = await Promise.all(clients.map((c, i) => c.query(`SELECT ${i} + 1 AS n`)));
      expect(answers.map((a) => a.rows[0].n)).to.deep.equal([1, 2, 3, 4]);
      expect(loads(), log()).to.equal(1);
      // A denied statement is still decided by a parse on the same instance.
      const denied = await clients[0]!.query('DROP TABLE customers').then(
        () => 'ran',
        (e: Error) => e.message,
      );
      expect(denied).to.include('DDL is not allowed');
      expect(loads()).to.equal(1);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  it('never with --idle-memory-seconds 0', async () => {
    const { port, metrics } = await startProxy('0');
    await work(port);
    await new Promise((r) => setTimeout(r, 3000));
    expect(await metrics()).to.equal(0);
    expect(returns()).to.deep.equal([]);
  });

  it('refuses an --idle-memory-seconds that is not 0 or 1 s to a day with a usage error', async () => {
    for (const bad of ['-1', 'soon', '', 'Infinity', '0.5', '86401', '2592000']) {
      const child = spawn(
        process.execPath,
        [AGENTGATE_BIN, 'proxy', '--policy', 'x.yaml', `--idle-memory-seconds=${bad}`],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise((r) => child.once('exit', r));
      expect(code, bad).to.equal(2);
      expect(err, bad).to.include('--idle-memory-seconds must be 0 (off) or a number of seconds from 1 to 86400');
    }
  });
});
