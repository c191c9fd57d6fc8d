/**
 * The parser's WASM (libpg_query) runs on V8's baseline compiler (Liftoff) only. With tier-up, V8
 * recompiles the module's hot functions with TurboFan in the background, and while it does the process
 * grows by several hundred MB (measured: 100 → 600 MB within the first few thousand statements, back to
 * ~130 MB after): the sidecar's memory limit (384 Mi) OOM-killed it on its first queries on a real node.
 * Liftoff alone stays flat (~75 MB); measured on short statements it is faster over the first 40k parses
 * (the tier-up's compile cost included) and within ~25% of TurboFan's speed after.
 * V8 flags are process-wide (worker threads included) and apply to modules compiled after they are set:
 * imported before the parser loads its module. Both flags are needed (either alone still tiers up).
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--no-wasm-tier-up');
setFlagsFromString('--no-wasm-dynamic-tiering');
