/**
 * One target's catalog snapshot, kept fresh enough to decide on. It is reloaded periodically and after
 * DDL (by the caller), and before any statement that names a relation the snapshot does not know: a
 * table a migration created after the proxy started is matched by `tables` rules, and its columns by
 * column rules, from its first use.
 *
 * Such statement-driven loads are coalesced and spaced `minIntervalMs` apart, so an agent that names
 * made-up relations slows only itself and costs the database at most one catalog load per interval.
 * A statement waits (at most `waitMs`) for a load that started after it arrived. If none can be had
 * (the load fails or times out), the names it could not check are "unverified": until a later load
 * succeeds, an unqualified unverified name is taken to be in every schema, so every schema-qualified
 * `tables` pattern for that name matches it (fail closed for Deny rules).
 *
 * A load is given the digest of the rows behind the current snapshot, and may answer that the database's
 * digest is still that one (catalog-digest.ts): the snapshot then stands, as a load of the same rows
 * would have rebuilt it. It counts as a load in every other way.
 */
import { builtinCatalog, type Catalog, type CatalogRows, CatalogSnapshot, type Volatility } from './catalog.js';
import type { StatementShape } from './types.js';

const MAX_UNVERIFIED = 10_000;

/** A load's answer when the digest it was given is still the database's. */
export const CATALOG_UNCHANGED = Symbol('catalog unchanged');
export type CatalogLoad = CatalogRows | typeof CATALOG_UNCHANGED;

export interface CatalogKeeperOptions {
  /** `since`: the digest of the rows behind the snapshot in use, if they had one. */
  load: (since?: string) => Promise<CatalogLoad>;
  /** Loads only the relations whose writes change uncounted rows (hidden-writes.ts), for capped writes. */
  loadHiddenWrites?: () => Promise<NonNullable<CatalogRows['hiddenWrites']>>;
  /** Least time between two statement-driven loads. */
  minIntervalMs?: number;
  /** Longest a statement waits for a fresh load. */
  waitMs?: number;
  /** A load taking longer counts as failed (so a hung one cannot hold every later load). */
  loadTimeoutMs?: number;
  now?: () => number;
  onError?: (e: Error) => void;
}

export class CatalogKeeper {
  private snapshot: CatalogSnapshot = builtinCatalog();
  /** Orders statement arrivals and load starts (a clock's milliseconds are too coarse to). */
  private tick = 0;
  /** Tick at which the load behind the current snapshot started (0: none succeeded yet). */
  private loadedFrom = 0;
  private lastFailedStart = 0;
  /** Clock time of the last load start, for the rate limit. */
  private lastStart = -Infinity;
  private loading?: Promise<void>;
  private scheduled?: Promise<void>;
  /** Unqualified names a statement could not check, with the tick when that was. */
  private readonly unverified = new Map<string, number>();
  /** Past MAX_UNVERIFIED names, every unknown name is unverified (from this tick until a load succeeds). */
  private allUnverifiedSince?: number;
  private readonly minIntervalMs: number;
  private readonly waitMs: number;
  private readonly now: () => number;
  /** Loads started, and those that found the digest unchanged, for tests and metrics. */
  loads = 0;
  unchangedLoads = 0;
  /** The digest of the rows behind the snapshot (undefined: none, or the built-in one). */
  private digest?: string;
  /** The latest hidden-writes load (undefined map: it failed), and the tick it started at. */
  private hidden?: { from: number; map?: Map<string, string[]> };
  private hiddenRunning?: Promise<void>;
  private hiddenQueued?: Promise<void>;

  constructor(private readonly opts: CatalogKeeperOptions) {
    this.minIntervalMs = opts.minIntervalMs ?? 500;
    this.waitMs = opts.waitMs ?? 5000;
    this.now = opts.now ?? Date.now;
  }

  get loaded(): boolean {
    return this.loadedFrom > 0;
  }

  /** Loads the catalog now (coalesced with a load under way). */
  refresh(): Promise<void> {
    this.loading ??= (async () => {
      const started = ++this.tick;
      this.lastStart = this.now();
      this.loads++;
      try {
        const since = this.loadedFrom > 0 ? this.digest : undefined;
        const loaded = await withTimeout(this.opts.load(since), this.opts.loadTimeoutMs ?? 15_000);
        if (loaded === CATALOG_UNCHANGED) {
          if (since === undefined) throw new Error('the catalog load answered "unchanged" without a digest to compare');
          this.unchangedLoads++;
        } else {
          this.snapshot = new CatalogSnapshot(loaded);
          this.digest = loaded.digest;
        }
        this.loadedFrom = started;
        for (const [name, at] of this.unverified) if (at <= started) this.unverified.delete(name);
        if (this.allUnverifiedSince !== undefined && this.allUnverifiedSince <= started)
          this.allUnverifiedSince = undefined;
      } catch (e) {
        this.lastFailedStart = started;
        this.opts.onError?.(e as Error);
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  /**
   * Undefined when the snapshot knows every relation the statements name; otherwise a promise that
   * settles once a load that started after this call has been tried (or `waitMs` passed).
   */
  ensure(shapes: readonly StatementShape[], o: { countsWrites?: boolean } = {}): Promise<void> | undefined {
    const relations = this.ensureRelations(shapes);
    if (
      !o.countsWrites ||
      !this.opts.loadHiddenWrites ||
      !shapes.some((s) => s.tables.some((t) => t.access.includes('write')))
    )
      return relations;
    // maxRowsAffected: what a write to these tables sets off is read afresh (one small query), not from the snapshot.
    return Promise.all([relations, this.freshHiddenWrites()]).then(() => undefined);
  }

  /** A hidden-writes load that starts after this call (shared by every caller until it starts). */
  private freshHiddenWrites(): Promise<void> {
    this.hiddenQueued ??= (this.hiddenRunning ?? Promise.resolve()).then(() => {
      this.hiddenQueued = undefined;
      const from = ++this.tick;
      const run = withTimeout(this.opts.loadHiddenWrites!(), this.opts.loadTimeoutMs ?? 15_000)
        .then(
          (rows) => this.keepHidden(from, new Map(rows.map((h) => [h.relation, h.why]))),
          (e: Error) => {
            this.keepHidden(from, undefined);
            this.opts.onError?.(e);
          },
        )
        .finally(() => {
          if (this.hiddenRunning === run) this.hiddenRunning = undefined;
        });
      this.hiddenRunning = run;
      return run;
    });
    return this.hiddenQueued;
  }

  private keepHidden(from: number, map: Map<string, string[]> | undefined): void {
    if (!this.hidden || this.hidden.from < from) this.hidden = { from, ...(map ? { map } : {}) };
  }

  private ensureRelations(shapes: readonly StatementShape[]): Promise<void> | undefined {
    const names = shapes.flatMap((s) => s.tables);
    const missing = (): typeof names =>
      names.filter((t) =>
        t.schema ? !this.snapshot.hasRelation(t.schema, t.name) : this.snapshot.relationSchemas(t.name).length === 0,
      );
    if (missing().length === 0) return undefined;
    const arrived = ++this.tick;
    const deadline = this.now() + this.waitMs;
    return (async () => {
      for (;;) {
        const left = missing();
        if (left.length === 0 || this.loadedFrom > arrived) return;
        const remaining = deadline - this.now();
        if (remaining <= 0 || this.lastFailedStart > arrived) {
          for (const t of left) if (!t.schema) this.markUnverified(t.name);
          return;
        }
        await Promise.race([this.loadSoon(), delay(remaining)]);
      }
    })();
  }

  private markUnverified(name: string): void {
    if (this.unverified.size >= MAX_UNVERIFIED) {
      this.allUnverifiedSince = this.tick;
      this.unverified.clear();
    }
    this.unverified.set(name, this.tick);
  }

  /** A load that starts no sooner than `minIntervalMs` after the last one (shared by every waiter). */
  private loadSoon(): Promise<void> {
    if (this.loading) return this.loading;
    const wait = this.lastStart + this.minIntervalMs - this.now();
    if (wait <= 0) return this.refresh();
    this.scheduled ??= delay(wait).then(() => {
      this.scheduled = undefined;
      return this.refresh();
    });
    return this.scheduled;
  }

  /** The catalog to classify with: the snapshot, with unverified names in every schema. */
  readonly catalog: Catalog = {
    functionVolatility: (schema: string | undefined, name: string): Volatility | undefined =>
      this.snapshot.functionVolatility(schema, name),
    hasUserFunction: (name: string): boolean => this.snapshot.hasUserFunction(name),
    functionSettings: (schema: string | undefined, name: string): string[] =>
      this.snapshot.functionSettings(schema, name),
    hasRuledColumn: (relation: string): boolean | undefined => this.snapshot.hasRuledColumn(relation),
    isRuledView: (relationOid: number): boolean => this.snapshot.isRuledView(relationOid),
    isRuledViewName: (name: string): boolean => this.snapshot.isRuledViewName(name),
    // Until a target's catalog loads, any name that is not a known built-in may be a user function taking a row: fail closed.
    takesRow: (name: string): boolean =>
      this.snapshot.takesRow(name) || (!this.loaded && this.snapshot.functionVolatility(undefined, name) === undefined),
    ruledGeneratedColumn: (tableOid: number, attnum: number): string | undefined =>
      this.snapshot.ruledGeneratedColumn(tableOid, attnum),
    isRuledGeneratedName: (name: string): boolean => this.snapshot.isRuledGeneratedName(name),
    version: (): object => this.snapshot,
    relationSchemas: (name: string): string[] => {
      const known = this.snapshot.relationSchemas(name);
      if (known.length || !this.catalog.relationUnverified!(name)) return known;
      return [...new Set(['public', ...this.snapshot.schemas()])];
    },
    relationUnverified: (name: string): boolean =>
      this.snapshot.relationSchemas(name).length === 0 &&
      (this.unverified.has(name) || this.allUnverifiedSince !== undefined),
    hasRelation: (schema: string, name: string): boolean => this.snapshot.hasRelation(schema, name),
    schemas: (): string[] => this.snapshot.schemas(),
    searchPath: (): string[] | undefined => this.snapshot.searchPath(),
    hiddenWrites: (relation: string): string[] | undefined => {
      if (!this.hidden || this.hidden.from < this.loadedFrom) return this.snapshot.hiddenWrites(relation);
      return this.hidden.map ? (this.hidden.map.get(relation) ?? []) : undefined;
    },
    columnName: (tableOid: number, attnum: number): string | undefined => this.snapshot.columnName(tableOid, attnum),
    covers: (tableOid: number, attnum: number): boolean => {
      const known = this.snapshot.covers(tableOid, attnum);
      if (!known) void this.loadSoon();
      return known;
    },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`catalog load exceeded ${ms} ms`)), ms).unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
