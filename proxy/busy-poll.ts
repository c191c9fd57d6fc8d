/**
 * Busy polling (opt-in): after traffic, keep the event loop polling its sockets instead of sleeping.
 *
 * At one client a large part of the latency a proxy adds is waking up: between a statement and its answer
 * the thread sleeps in epoll_wait, and on a shared machine (a VM above all, where a wake-up is an
 * interrupt to another virtual CPU) it takes tens to hundreds of µs to run again (docs/performance.md,
 * round 12). While an immediate is pending, libuv polls with a zero timeout, so the thread stays on its
 * core and sees the answer as soon as the kernel has it. The price is that core: for the window after
 * each poke the sidecar spins, so a session that keeps sending keeps up to one CPU busy (the injector
 * requests one for a polling sidecar). Off by default; the pod annotation agentgate.dev/busy-poll-micros
 * turns it on. The Postgres session pokes while the server owes it an answer (session.ts onClientData, onUpstreamData).
 */

export interface BusyPollClock {
  /** Milliseconds, fractional (performance.now). */
  now(): number;
  /** Runs `f` after the poll phase without letting the loop block (setImmediate). */
  soon(f: () => void): void;
}

const eventLoop: BusyPollClock = { now: () => performance.now(), soon: (f) => void setImmediate(f) };

export class BusyPoll {
  private until = 0;
  private spinning = false;
  private startedAt = 0;
  private readonly windowMs: number;

  /** `spent` hears each spell's length in ms when it ends (the agentgate_proxy_busy_poll_seconds_total metric). */
  constructor(
    windowMicros: number,
    private readonly clock: BusyPollClock = eventLoop,
    private readonly spent?: (ms: number) => void,
  ) {
    this.windowMs = windowMicros / 1000;
  }

  /** Traffic: keep polling until `windowMicros` from now. */
  readonly poke = (): void => {
    const now = this.clock.now();
    this.until = now + this.windowMs;
    if (this.spinning) return;
    this.spinning = true;
    this.startedAt = now;
    this.clock.soon(this.spin);
  };

  /** Whether the loop is being kept awake now. */
  get active(): boolean {
    return this.spinning;
  }

  private readonly spin = (): void => {
    const now = this.clock.now();
    if (now < this.until) return this.clock.soon(this.spin);
    this.spinning = false;
    this.spent?.(now - this.startedAt);
  };
}
