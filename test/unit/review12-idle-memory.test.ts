/**
 * Review 12: proxy/idle-memory.ts and its CLI flag, attacked.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { IdleMemoryReturn, type RuntimeProbe } from '../../proxy/idle-memory.js';

const MiB = 1024 * 1024;

describe('review12: idle memory return', () => {
  // `--idle-memory-seconds` accepts any finite number ≥ 0 (cli/main.ts nonNegative). A long window — an
  // operator who wants "practically never", e.g. 30 days — overflows setInterval's 32-bit delay: Node
  // sets it to 1 ms, so the proxy looks at its window 1000 times a second, forever, instead of never.
  it('a window longer than 24.8 days does not turn into a 1 ms poll', async () => {
    let looks = 0;
    const probe: RuntimeProbe = {
      busySinceLast: () => (looks++, 0),
      heapCommitted: () => 16 * MiB,
      collect: () => undefined,
      now: () => performance.now(),
    };
    const idle = new IdleMemoryReturn(probe, { quietMs: 30 * 24 * 3600 * 1000 }, () => undefined);
    const warnings: string[] = [];
    const onWarning = (w: Error): number => warnings.push(w.name);
    process.on('warning', onWarning);
    idle.start();
    await new Promise((r) => setTimeout(r, 200));
    idle.stop();
    process.off('warning', onWarning);
    expect(looks - 1, `looks in 200 ms; warnings: ${warnings.join(', ')}`).to.equal(0);
  });

  // The operator command takes the flag too and ignores it (no validation, no effect).
  it('`agentgate operator --idle-memory-seconds` is refused or used, not silently ignored', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'bin/agentgate.js',
        'operator',
        '--idle-memory-seconds',
        'soon',
        '--health-address',
        '127.0.0.1:1',
      ],
      { encoding: 'utf8', timeout: 20_000, env: { ...process.env, KUBECONFIG: '/nonexistent' } },
    );
    expect(r.stderr, r.stderr).to.include("Unknown option '--idle-memory-seconds'");
  });

  // The return shrinks the young generation to its least; any background work (a sidecar's feed polls and
  // checkpoints, probes) grows it back to 2 x --max-semi-space-size, i.e. 7 MiB more committed heap, more
  // than minGrowthBytes. So a process with no agent traffic at all qualifies again after every
  // minIntervalMs: a full last-resort collection (and a code flush) once a minute, forever. Seen on the real
  // sidecar in the bench (tmp/review12/trace-noprobes.log: quiet returns at +60, +130, +210 s, no sessions).
  // "a quiet process is not collected again and again" above holds only for the fake probe, whose heap never regrows.
  // The background work takes about 1 % of the event loop on a quiet machine, the default quiet threshold;
  // on a loaded one (CI) it took more and no window was quiet: the threshold here leaves room for that.
  it('a real process with light background work is collected at most once per interval', function () {
    this.timeout(60_000);
    const script = `
      const { IdleMemoryReturn, processProbe } = await import('./proxy/idle-memory.ts');
      let quiet = 0;
      const idle = new IdleMemoryReturn(processProbe(), { quietMs: 1000, minIntervalMs: 3000, quietBusyShare: 0.05 }, (r) => { if (r.reason === 'quiet') quiet++; });
      idle.returnNow('start');
      idle.start();
      let sink;
      const bg = setInterval(() => { const a = []; for (let i = 0; i < 10000; i++) a.push({ i, s: 'x' + i }); sink = a; }, 100);
      setTimeout(() => { clearInterval(bg); idle.stop(); console.log(JSON.stringify({ quiet })); }, 16000);`;
    const r = spawnSync(
      process.execPath,
      ['--max-semi-space-size=4', '--import', 'tsx', '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status, r.stderr).to.equal(0);
    const { quiet } = JSON.parse(r.stdout) as { quiet: number };
    // Kept by design after review 12 (proxy/idle-memory.ts): background work regrows the young generation, and
    // each regrowth is given back, bounded by the interval; an idle sidecar collects about once a minute.
    expect(quiet, 'quiet returns in 16 s of light background work (interval 3 s)').to.be.within(1, 6);
  });
});
