/**
 * Issue #14, latency at one client: busy polling keeps the event loop awake for a window after each poke
 * and stops by itself (proxy/busy-poll.ts), with its window checked the same way by the CLI and by the
 * injector (shared/contract/sidecar.ts), and a malformed pod annotation refused at admission.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { V1Pod } from '@kubernetes/client-node';
import { BusyPoll, type BusyPollClock } from '../../proxy/busy-poll.js';
import { BUSY_POLL_MAX_MICROS, busyPollMicros, PROXY_CONTAINER } from '../../shared/contract/sidecar.js';
import { BUSY_POLL, STATUS } from '../../shared/contract/labels.js';
import { createRefusals } from '../../operator/webhook/pod-guard.js';
import { injectSidecar } from '../../operator/webhook/inject.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';

/** Immediates queued by hand; time moves only when the test says so. */
class ManualLoop implements BusyPollClock {
  t = 0;
  queued: (() => void)[] = [];
  now(): number {
    return this.t;
  }
  soon(f: () => void): void {
    this.queued.push(f);
  }
  /** One turn of the loop: runs what was queued before it started. */
  turn(): void {
    const due = this.queued;
    this.queued = [];
    due.forEach((f) => f());
  }
}

describe('busy polling (issue #14): the event loop kept awake for a window after traffic', () => {
  it('a poke keeps one immediate queued per turn until the window has passed, then none, and says how long it spun', () => {
    const loop = new ManualLoop();
    const spells: number[] = [];
    const poll = new BusyPoll(300, loop, (ms) => spells.push(ms));
    expect(poll.active).to.equal(false);
    poll.poke();
    expect(poll.active).to.equal(true);
    expect(loop.queued).to.have.length(1);
    for (let i = 0; i < 5; i++) {
      loop.t += 0.05; // 50 µs a turn
      loop.turn();
      expect(loop.queued, `turn ${i}`).to.have.length(1);
    }
    expect(spells).to.deep.equal([]);
    loop.t = 0.3;
    loop.turn();
    expect(loop.queued).to.have.length(0);
    expect(poll.active).to.equal(false);
    expect(spells).to.deep.equal([0.3]);
  });

  it('reads during the window extend it without a second chain of immediates', () => {
    const loop = new ManualLoop();
    const poll = new BusyPoll(1000, loop);
    poll.poke();
    loop.t = 0.9;
    poll.poke();
    poll.poke();
    expect(loop.queued).to.have.length(1);
    loop.t = 1.5;
    loop.turn();
    expect(loop.queued, 'extended to 1.9 ms').to.have.length(1);
    loop.t = 1.9;
    loop.turn();
    expect(loop.queued).to.have.length(0);
    // A read after it stopped starts it again.
    poll.poke();
    expect(loop.queued).to.have.length(1);
    expect(poll.active).to.equal(true);
  });

  it('on the real event loop, it stops by itself once the window has passed', async () => {
    const poll = new BusyPoll(2000);
    // Taken before the poke that starts the window, so the window's 2 ms all lie after it.
    const started = performance.now();
    poll.poke();
    expect(poll.active).to.equal(true);
    let turns = 0;
    while (poll.active && performance.now() - started < 1000) {
      await new Promise((r) => setImmediate(r));
      turns++;
    }
    expect(poll.active).to.equal(false);
    expect(performance.now() - started).to.be.at.least(2);
    expect(turns).to.be.greaterThan(1);
  });

  it('the window is an integer number of µs from 0 to 10000, nothing else', () => {
    for (const ok of ['0', '1', '300', String(BUSY_POLL_MAX_MICROS)])
      expect(busyPollMicros(ok), ok).to.equal(Number(ok));
    for (const bad of ['', ' 300', '300 ', '10001', '99999', '-1', '1e3', '3.5', '0x10', '300us', '٣٠٠', '1000000'])
      expect(busyPollMicros(bad), JSON.stringify(bad)).to.equal(undefined);
  });

  describe('the pod annotation', () => {
    const dir = new URL('../fixtures/inject/', import.meta.url).pathname;
    const policy = parse(readFileSync(join(dir, 'policy.yaml'), 'utf8')) as AgentAccessPolicy;
    const pod = (value?: string): V1Pod => {
      const p = parse(readFileSync(join(dir, 'annotated-pod.input.yaml'), 'utf8')) as V1Pod;
      if (value !== undefined) p.metadata!.annotations![BUSY_POLL] = value;
      return p;
    };
    const proxyArgs = (p: V1Pod): string[] =>
      injectSidecar(p, policy, 'agents', { image: 'agentgate:test' }).spec!.initContainers!.find(
        (c) => c.name === PROXY_CONTAINER,
      )!.args!;

    it('a malformed window refuses the pod with the reason', () => {
      expect(createRefusals(pod('lots'), policy)).to.deep.equal([
        `${BUSY_POLL} must be an integer number of µs from 0 (off) to 10000, got "lots"`,
      ]);
      expect(createRefusals(pod('20000'), policy)).to.have.length(1);
      expect(createRefusals(pod('300'), policy)).to.deep.equal([]);
      expect(createRefusals(pod('0'), policy)).to.deep.equal([]);
    });

    it('a window reaches the proxy as --busy-poll-micros; 0 or none adds nothing', () => {
      const args = proxyArgs(pod('300'));
      expect(args.slice(args.indexOf('--busy-poll-micros'))).to.deep.equal(['--busy-poll-micros', '300']);
      const injected = injectSidecar(pod('300'), policy, 'agents', { image: 'agentgate:test' });
      expect(JSON.parse(injected.metadata!.annotations![STATUS]!)).to.include({ busyPollMicros: 300 });
      const sidecar = injected.spec!.initContainers!.find((c) => c.name === PROXY_CONTAINER)!;
      expect(sidecar.resources!.requests!.cpu, 'a core for the spin').to.equal('1');
      expect(proxyArgs(pod('0'))).to.not.include('--busy-poll-micros');
      expect(proxyArgs(pod())).to.not.include('--busy-poll-micros');
    });
  });
});
