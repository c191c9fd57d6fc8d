// Parses large statements off the main thread, so a stack overflow or hang inside libpg_query's WASM
// cannot corrupt or stall the proxy: the main thread enforces a deadline and recycles this worker.
import { parentPort } from 'node:worker_threads';
import { loadModule, parseSync } from 'libpg-query';

await loadModule();
parentPort.on('message', ({ id, sql }) => {
  try {
    parentPort.postMessage({ id, ok: true, tree: parseSync(sql) });
  } catch (err) {
    const fatal = err instanceof RangeError || err instanceof WebAssembly.RuntimeError;
    parentPort.postMessage({ id, ok: false, fatal, error: err instanceof Error ? err.message : String(err) });
  }
});
parentPort.postMessage({ ready: true });
