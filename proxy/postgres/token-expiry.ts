/**
 * A session ends when its token does, not at its next statement: a session that only listens (or sits
 * in an open transaction holding locks) would otherwise outlive its credential indefinitely.
 */

/** setTimeout's longest delay; a later expiry is reached in steps. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** Calls `expire` once `now()` reaches `expSeconds` (the token's exp). Returns the function that disarms it. */
export function armExpiry(expSeconds: number, now: () => number, expire: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    const left = expSeconds * 1000 - now();
    if (left <= 0) return expire();
    // Re-checked on firing: `now` may be a test's clock, or the wall clock may have moved.
    timer = setTimeout(arm, Math.min(left, MAX_DELAY_MS));
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}
