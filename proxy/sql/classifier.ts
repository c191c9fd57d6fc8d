/**
 * Statement shapes for a query text, with a bounded cache keyed on the exact text. Equal texts parse to
 * equal trees, so a cache hit can never answer differently from a fresh parse; a text that differs in
 * any byte (a literal, a quote, a UESCAPE character, a case-folding look-alike) is parsed afresh.
 * Cached shapes are deeply frozen: sessions share them and must not be able to change them.
 *
 * A text is cached the second time it is seen (a small table of text hashes remembers the first), so
 * traffic whose every text is new does not churn the cache. A hash collision only changes what gets
 * cached, never what a lookup answers.
 *
 * Texts that differ only in integer literals (`WHERE aid = 41`, `WHERE aid = 977`, a bigint id: simple-protocol
 * traffic with inlined values) also share one entry, under their template (literal-template.ts), when
 * the parse shows that no literal's value can change the shape; a hit then costs one lexer pass and a
 * lookup instead of a parse. Why that answer is the fresh one is written in literal-template.ts.
 */
import { LRUCache } from 'lru-cache';
import type { SqlParser, ParseOutcome } from './parser.js';
import { retainedBytes } from './retained-bytes.js';
import { constantsAt, literalTemplate, type LiteralTemplate } from './literal-template.js';
import { constantReads, shapeOf } from './shape.js';
import { analysisMayRunCode } from './analysis-code.js';
import { fingerprint } from './statement-key.js';
import type { StatementShape } from './types.js';

export type ShapesResult = { ok: true; shapes: readonly StatementShape[] } | { ok: false; error: string };

export interface ClassifierOptions {
  /** Most cached query texts. */
  entries?: number;
  /** Longest query text (UTF-16 units) that is cached; longer ones are always parsed. */
  maxTextLength?: number;
  /** Most heap bytes the cached texts and shapes keep alive, estimated from their contents (retained-bytes.ts). */
  maxBytes?: number;
}

export class StatementClassifier {
  /** Keyed by exact text (never with NUL), and by template (always with NUL). */
  private readonly cache: LRUCache<string, CacheEntry>;
  private readonly maxTextLength: number;
  private readonly seenOnce = new Int32Array(SEEN_SLOTS);
  hits = 0;
  /** Of the hits, those answered by a literal template. */
  templateHits = 0;
  misses = 0;

  constructor(
    private readonly parser: SqlParser,
    opts: ClassifierOptions | number = {},
  ) {
    const o = typeof opts === 'number' ? { entries: opts } : opts;
    const entries = o.entries ?? 10_000;
    this.maxTextLength = o.maxTextLength ?? 4096;
    // Bounded by entries and by the bytes the entries keep alive: a short text can have shapes ten times
    // its size (hundreds of function calls), so a per-statement guess let a hostile agent fill the heap.
    const maxBytes = o.maxBytes ?? 16 * 1024 * 1024;
    this.cache = new LRUCache({
      max: entries,
      maxSize: maxBytes,
      maxEntrySize: Math.max(1, Math.floor(maxBytes / 16)),
      sizeCalculation: (entry, sql) => cachedEntryBytes(sql, entry.shapes),
    });
  }

  shapes(sql: string): ShapesResult | Promise<ShapesResult> {
    // A text with NUL never meets the cache: template keys are the texts that hold NUL (the wire reader
    // stops at NUL, so no query text has one; this keeps the two key spaces apart for any caller).
    const cacheable = sql.length <= this.maxTextLength && !sql.includes('\u0000');
    if (cacheable) {
      const cached = this.cache.get(sql);
      if (cached) {
        this.hits++;
        return { ok: true, shapes: cached.shapes };
      }
    }
    const template = cacheable ? literalTemplate(sql, this.maxTextLength) : undefined;
    if (template) {
      const entry = this.cache.get(template.key);
      if (entry?.shapes.length === 1) {
        this.hits++;
        this.templateHits++;
        // Everything but the literals is the same text: the statement moves by nothing and grows by the
        // difference in length (all the literals are inside it). The fingerprint ignores literals.
        const shape = entry.shapes[0]!;
        const length = shape.length + sql.length - entry.textLength;
        return { ok: true, shapes: Object.freeze([Object.freeze({ ...shape, length })]) };
      }
    }
    this.misses++;
    const finish = (outcome: ParseOutcome): ShapesResult => {
      if (!outcome.ok) return outcome;
      const readsBefore = constantReads();
      const shapes = (outcome.tree.stmts ?? []).map((raw) => {
        const s = shapeOf(raw, sql.length);
        s.fingerprint = fingerprint(sql.slice(s.location, s.location + s.length));
        // Not a function of literal values: a template's texts differ only in integer and numeric ones.
        if (analysisMayRunCode(raw)) s.analysisRunsCode = true;
        return deepFreeze(s);
      });
      Object.freeze(shapes);
      if (cacheable && this.secondSighting(sql)) this.cache.set(sql, { shapes, textLength: sql.length });
      if (template && constantReads() === readsBefore) this.keepTemplate(template, sql, outcome.tree, shapes);
      return { ok: true, shapes };
    };
    const outcome = this.parser.parse(sql);
    return outcome instanceof Promise ? outcome.then(finish) : finish(outcome);
  }

  /** One statement whose every template literal the grammar stored as a constant of its kind, and nothing else. */
  private keepTemplate(template: LiteralTemplate, sql: string, tree: unknown, shapes: readonly StatementShape[]): void {
    if (shapes.length !== 1 || !this.secondSighting(template.key)) return;
    if (!constantsAt(tree, template)) return;
    this.cache.set(template.key, { shapes, textLength: sql.length });
  }

  private secondSighting(sql: string): boolean {
    let h = 0x811c9dc5 | 0;
    for (let i = 0; i < sql.length; i++) h = Math.imul(h ^ sql.charCodeAt(i), 0x01000193);
    const slot = h & (SEEN_SLOTS - 1);
    if (this.seenOnce[slot] === h) return true;
    this.seenOnce[slot] = h;
    return false;
  }
}

const SEEN_SLOTS = 1 << 14;

interface CacheEntry {
  shapes: readonly StatementShape[];
  /** Length of the text the shapes were made from (for a template: the first text seen). */
  textLength: number;
}

/** Heap bytes one cache entry keeps alive: its text, its shapes and the cache's bookkeeping for it. */
export function cachedEntryBytes(sql: string, shapes: readonly StatementShape[]): number {
  return 192 + retainedBytes(sql) + retainedBytes(shapes);
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
