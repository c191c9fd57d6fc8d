/** A full garbage collection on demand in the test process, and the heap in use after one (cost tests). */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
/** V8's full collection (exposed once for the whole test process). */
export const fullGc = runInNewContext('gc') as () => void;

/** The JS heap in use after two full collections (the second clears what the first's finalizers freed). */
export function heapUsedAfterGc(): number {
  fullGc();
  fullGc();
  return process.memoryUsage().heapUsed;
}
