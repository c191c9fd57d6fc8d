/**
 * Waiting on a condition or an event instead of sleeping a fixed time: a fixed sleep either wastes time
 * or, on a loaded machine, ends before the awaited thing has happened. The deadline only bounds a wait
 * that would otherwise never end; it is far above the time the thing takes.
 */
import type { EventEmitter } from 'node:events';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `check` holds (polled every `everyMs`); throws after `timeoutMs` naming `what`. */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  { timeoutMs = 20_000, everyMs = 20 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The first `event` of `emitter` (its arguments); throws after `timeoutMs` naming `what`. */
export function nextEvent<T extends unknown[] = unknown[]>(
  emitter: EventEmitter,
  event: string,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const on = (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    };
    emitter.once(event, on);
  });
}

/** Resolves with `p`'s value, or with `otherwise` after `ms` (a wait bounded, not a test's verdict). */
export function within<T, U>(p: Promise<T>, ms: number, otherwise: U): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<U>((r) => (timer = setTimeout(() => r(otherwise), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
