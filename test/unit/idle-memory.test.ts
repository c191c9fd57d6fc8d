/**
 * Issue #14, idle memory: the proxy gives memory back at start and after quiet spells (proxy/idle-memory.ts).
 * The decision with a probe of the test's own; V8's collector for real, in a fresh Node process.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { IdleMemoryReturn, type IdleMemoryReturned, type RuntimeProbe } from '../../proxy/idle-memory.js';

const MiB = 1024 * 1024;

class FakeProcess implements RuntimeProbe {
  time = 0;
  busy = 0;
  heap = 16 * MiB;
  collections = 0;
  busySinceLast(): number {
    const b = this.busy;
    this.busy = 0;
    return b;
  }
  heapCommitted(): number {
    return this.heap;
  }
  collect(): void {
    this.collections++;
    this.heap = 16 * MiB;
    this.time += 30;
  }
  now(): number {
    return this.time;
  }
}

function watch(p: FakeProcess): { idle: IdleMemoryReturn; returned: IdleMemoryReturned[] } {
  const returned: IdleMemoryReturned[] = [];
  const idle = new IdleMemoryReturn(p, { quietMs: 10_000 }, (r) => returned.push(r));
  return { idle, returned };
}

/** One window of the process: its busy share and heap at the end, then the look. */
function window(p: FakeProcess, idle: IdleMemoryReturn, busy: number, heapMiB: number): IdleMemoryReturned | undefined {
  p.time += 10_000;
  p.busy = busy;
  p.heap = heapMiB * MiB;
  return idle.check();
}

describe('idle memory (issue #14): when the proxy gives memory back', () => {
  it('at start, with what it held before and after and how long it paused', () => {
    const p = new FakeProcess();
    p.heap = 24 * MiB;
    const { idle, returned } = watch(p);
    idle.returnNow('start');
    expect(returned).to.deep.equal([
      { reason: 'start', heapBeforeBytes: 24 * MiB, heapAfterBytes: 16 * MiB, pauseMs: 30 },
    ]);
  });

  it('after a quiet window in which the heap grew by 2 MiB, not while busy', () => {
    const p = new FakeProcess();
    const { idle } = watch(p);
    idle.returnNow('start');
    expect(window(p, idle, 0.5, 26), 'busy').to.equal(undefined);
    expect(window(p, idle, 0.02, 26), 'still busy for 2 % of the window').to.equal(undefined);
    expect(window(p, idle, 0.001, 26)?.reason, 'quiet').to.equal('quiet');
    expect(p.collections).to.equal(2);
  });

  it('not when the heap did not grow: a quiet process is not collected again and again', () => {
    const p = new FakeProcess();
    const { idle } = watch(p);
    idle.returnNow('start');
    for (let i = 0; i < 50; i++) expect(window(p, idle, 0, 16 + 1.9)).to.equal(undefined);
    expect(p.collections).to.equal(1);
  });

  it('at most once a minute after a quiet spell, however often short bursts grow the heap', () => {
    const p = new FakeProcess();
    const { idle, returned } = watch(p);
    idle.returnNow('start');
    // A burst, then a quiet window, every 20 s for 10 minutes.
    for (let i = 0; i < 30; i++) {
      window(p, idle, 0.5, 30);
      window(p, idle, 0, 30);
    }
    const quiet = returned.filter((r) => r.reason === 'quiet');
    expect(quiet.length).to.be.within(9, 11);
  });

  it("does not count its own pause as the agents' activity", () => {
    const p = new FakeProcess();
    const { idle } = watch(p);
    // The collection's pause would read as busy time in the next window; returnNow reads it away.
    p.collect = function (this: FakeProcess) {
      this.collections++;
      this.heap = 16 * MiB;
      this.busy = 1;
    };
    idle.returnNow('start');
    expect(window(p, idle, 0, 21)?.reason).to.equal('quiet');
  });

  it("V8's last-resort collection gives the young generation and freed pages back (a fresh Node process)", () => {
    const script = `
      import { getHeapSpaceStatistics } from 'node:v8';
      import { readFileSync } from 'node:fs';
      const { collectAllGarbage } = await import('./proxy/idle-memory.ts');
      const anon = () => Number(/RssAnon:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
      const young = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576;
      let keep = [];
      for (let i = 0; i < 3e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 100000) keep = []; }
      keep = undefined;
      const before = { anon: anon(), young: young() };
      collectAllGarbage();
      collectAllGarbage();
      console.log(JSON.stringify({ before, after: { anon: anon(), young: young() }, gcGlobal: typeof globalThis.gc }));`;
    const r = spawnSync(
      process.execPath,
      ['--max-semi-space-size=4', '--import', 'tsx', '--input-type=module', '-e', script],
      { encoding: 'utf8', env: { ...process.env, MALLOC_ARENA_MAX: '2' } },
    );
    expect(r.status, r.stderr).to.equal(0);
    const m = JSON.parse(r.stdout) as {
      before: { anon: number; young: number };
      after: { anon: number; young: number };
      gcGlobal: string;
    };
    expect(m.before.young, 'the churn grew the young generation').to.equal(8);
    expect(m.after.young, 'shrunk to its least').to.be.at.most(1);
    expect(m.before.anon - m.after.anon, `anonymous memory given back (MiB): ${JSON.stringify(m)}`).to.be.greaterThan(
      10,
    );
    expect(m.gcGlobal, 'no gc() global left in the proxy').to.equal('undefined');
  });
});
