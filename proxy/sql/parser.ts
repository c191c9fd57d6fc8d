/**
 * libpg_query (PostgreSQL's own parser, compiled to WASM) behind a guard. Short statements are parsed
 * synchronously in-process (~20 µs). Large ones — where deep nesting can overflow the WASM stack and
 * leave the instance corrupt — go to a worker with a deadline; a worker that fails fatally or times out
 * is replaced. A statement that could not be parsed is reported as such, and callers deny it.
 *
 * The in-process instance is loaded by the first statement that needs it (~30 ms, once), not at start:
 * it holds ~9 MiB (its WASM code, linear memory and the bytes V8 keeps), which a sidecar whose agent has
 * not sent SQL yet, or never does, need not pay (docs/performance.md, round 11). An instance that failed
 * fatally is dropped at once: the statements after it wait for a fresh one, none runs on the old one. A
 * load that failed refuses the statements that waited for it; the next statement tries a fresh one.
 */
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ParseTree = { stmts?: any[] };
export type ParseOutcome = { ok: true; tree: ParseTree } | { ok: false; error: string };

interface PgQuery {
  loadModule(): Promise<void>;
  parseSync(sql: string): ParseTree;
}

const PACKAGE = 'libpg-query';

/**
 * This thread's libpg_query instance, one for every SqlParser in it (it lives in libpg-query's module, not
 * in a SqlParser): a trap drops it for all of them, and a process holds one copy. `dropped`: the cached
 * module's instance trapped or failed to load, so the next load evaluates libpg-query anew.
 */
const thread: { inline?: PgQuery; loading?: Promise<void>; dropped: boolean } = { dropped: false };

export interface SqlParserOptions {
  /** Statements longer than this (UTF-16 units) are parsed in the worker. */
  inlineLimit?: number;
  /** Deadline for one worker parse, from the moment the worker has loaded the parser. */
  workerTimeoutMs?: number;
  /** Deadline for a new worker to load the parser (its thread, libpg_query's WASM). */
  workerStartMs?: number;
  /**
   * The worker is closed after this long without a parse: its thread, its WASM instance and the linear
   * memory a large statement grew (never shrunk while it lives) are returned instead of kept for good.
   */
  workerIdleMs?: number;
}

export class SqlParser {
  private worker?: ParseWorker;
  private readonly inlineLimit: number;
  private readonly workerTimeoutMs: number;
  private readonly workerStartMs: number;
  private readonly workerIdleMs: number;
  private workerIdleTimer?: NodeJS.Timeout;

  private constructor(opts: SqlParserOptions) {
    this.inlineLimit = opts.inlineLimit ?? 8192;
    this.workerTimeoutMs = opts.workerTimeoutMs ?? 2000;
    this.workerStartMs = opts.workerStartMs ?? 30_000;
    this.workerIdleMs = opts.workerIdleMs ?? 30_000;
  }

  /** Loads nothing yet (see load()); only checks the parser is installed. */
  static create(opts: SqlParserOptions = {}): SqlParser {
    createRequire(import.meta.url).resolve(PACKAGE);
    // Before any WASM compile: the worker's instance too, even when a long first statement starts it.
    keepWasmOnBaselineCompiler();
    return new SqlParser(opts);
  }

  private get inline(): PgQuery | undefined {
    return thread.inline;
  }
  private set inline(instance: PgQuery | undefined) {
    thread.inline = instance;
  }

  /**
   * Synchronous for short statements once the in-process instance is loaded; a promise for long ones,
   * and for the statements that come while it loads.
   */
  parse(sql: string): ParseOutcome | Promise<ParseOutcome> {
    if (sql.length > this.inlineLimit) return this.parseInWorker(sql);
    const inline = this.inline;
    if (!inline) {
      return this.load().then(
        () => this.parse(sql),
        (err: Error) => ({
          ok: false,
          error: `the SQL parser could not be loaded (${err.message}); statement refused`,
        }),
      );
    }
    try {
      return { ok: true, tree: inline.parseSync(sql) };
    } catch (err) {
      if (isFatal(err)) {
        if (this.inline === inline) {
          this.inline = undefined;
          thread.dropped = true;
        }
        return { ok: false, error: `parser failure (${(err as Error).message}); statement refused` };
      }
      return { ok: false, error: (err as Error).message };
    }
  }

  /** Loads the in-process instance now, if it is not; the benches and tests that time parses call it first. */
  load(): Promise<void> {
    if (this.inline) return Promise.resolve();
    thread.loading ??= (async () => {
      try {
        const fresh = thread.dropped;
        thread.dropped = false;
        this.inline = await loadInstance(fresh);
      } catch (err) {
        thread.dropped = true;
        throw err;
      } finally {
        thread.loading = undefined;
      }
    })();
    return thread.loading;
  }

  private async parseInWorker(sql: string): Promise<ParseOutcome> {
    this.worker ??= new ParseWorker();
    const w = this.worker;
    clearTimeout(this.workerIdleTimer);
    const res = await w.parse(sql, this.workerTimeoutMs, this.workerStartMs);
    if (!res.ok && res.fatal) {
      if (this.worker === w) this.worker = undefined;
      void w.terminate();
    }
    if (this.worker === w && w.idle) {
      this.workerIdleTimer = setTimeout(() => {
        if (this.worker !== w || !w.idle) return;
        this.worker = undefined;
        void w.terminate();
      }, this.workerIdleMs);
      this.workerIdleTimer.unref();
    }
    return res.ok ? { ok: true, tree: res.tree } : { ok: false, error: res.error };
  }

  async close(): Promise<void> {
    clearTimeout(this.workerIdleTimer);
    await this.worker?.terminate();
    this.worker = undefined;
  }
}

/**
 * Keeps WASM on V8's baseline compiler (Liftoff). Left to tier up, V8 recompiles libpg_query's parser
 * with its optimizing compiler after a few thousand statements: a transient peak of several hundred MiB
 * (on a real node the sidecar's 384 Mi limit OOM-killed it on its first queries) and ~35 MiB kept for
 * good, for parses ~2.5 µs faster (docs/performance.md). All three flags are needed. Set before the first WASM
 * compile; V8 flags are per process, so the parse worker's instance is covered too.
 */
let baselineOnly = false;
function keepWasmOnBaselineCompiler(): void {
  if (baselineOnly) return;
  setFlagsFromString('--liftoff-only --no-wasm-tier-up --no-wasm-dynamic-tiering');
  baselineOnly = true;
}

/**
 * libpg-query instantiates its WASM when its module is evaluated, so a new evaluation is a new instance:
 * the way to drop a corrupt one, or one whose instantiation failed. Through require, whose cache entry can
 * be dropped; an import of the CommonJS entry under another URL would wrap the same cached module.
 */
async function loadInstance(fresh: boolean): Promise<PgQuery> {
  // A require of its own for each load: the modules a require loads stay children of its parent module,
  // so one kept for good would keep every dropped instance alive.
  const require = createRequire(import.meta.url);
  const entry = require.resolve(PACKAGE);
  if (fresh) delete require.cache[entry];
  const mod = require(entry) as PgQuery;
  await mod.loadModule();
  return mod;
}

function isFatal(err: unknown): boolean {
  // WebAssembly.RuntimeError: a trap inside the WASM instance (e.g. its stack overflowed).
  return err instanceof RangeError || (err instanceof Error && err.constructor.name === 'RuntimeError');
}

type WorkerReply = { ok: true; tree: ParseTree } | { ok: false; fatal: boolean; error: string };

class ParseWorker {
  private readonly worker = new Worker(new URL('./parse-worker.js', import.meta.url));
  private readonly pending = new Map<number, (r: WorkerReply) => void>();
  private nextId = 1;
  private dead = false;
  /** The worker has loaded the parser: a parse's deadline runs from then, not from the thread's start. */
  private started = false;
  private readonly onStart: (() => void)[] = [];

  constructor() {
    this.worker.unref();
    this.worker.on('message', (m: { id?: number; ready?: boolean } & WorkerReply) => {
      if (m.ready) {
        this.started = true;
        for (const f of this.onStart.splice(0)) f();
      }
      if (m.id === undefined) return;
      this.pending.get(m.id)?.(m);
      this.pending.delete(m.id);
    });
    const fail = (error: string): void => {
      this.dead = true;
      for (const resolve of this.pending.values()) resolve({ ok: false, fatal: true, error });
      this.pending.clear();
    };
    this.worker.on('error', (e) => fail(`parser worker failed: ${e.message}`));
    this.worker.on('exit', () => fail('parser worker exited'));
  }

  get idle(): boolean {
    return this.pending.size === 0;
  }

  parse(sql: string, timeoutMs: number, startMs: number): Promise<WorkerReply> {
    if (this.dead) return Promise.resolve({ ok: false, fatal: true, error: 'parser worker unavailable' });
    const id = this.nextId++;
    return new Promise((resolve) => {
      const refuse = (error: string): void => {
        this.pending.delete(id);
        resolve({ ok: false, fatal: true, error });
      };
      const deadline = (): NodeJS.Timeout =>
        setTimeout(() => refuse(`parse exceeded ${timeoutMs} ms; statement refused`), timeoutMs);
      let timer: NodeJS.Timeout;
      if (this.started) timer = deadline();
      else {
        timer = setTimeout(
          () => refuse(`the parser worker did not start in ${startMs} ms; statement refused`),
          startMs,
        );
        this.onStart.push(() => {
          clearTimeout(timer);
          if (this.pending.has(id)) timer = deadline();
        });
      }
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.worker.postMessage({ id, sql });
    });
  }

  async terminate(): Promise<void> {
    this.dead = true;
    await this.worker.terminate();
  }
}
