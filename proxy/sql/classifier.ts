/**
 * Statement shapes for a query text, with a bounded cache keyed on the literal-normalized text
 * (pgbench and ORMs send the same statement with different literals). Shapes whose classification used
 * literal values are never cached: they are decided from a full parse every time.
 */
import { LRUCache } from 'lru-cache';
import type { SqlParser, ParseOutcome } from './parser.js';
import { shapeOf } from './shape.js';
import { fingerprint, statementKey } from './statement-key.js';
import type { StatementShape } from './types.js';

export type ShapesResult = { ok: true; shapes: StatementShape[] } | { ok: false; error: string };

export class StatementClassifier {
  private readonly cache: LRUCache<string, StatementShape[]>;
  hits = 0;
  misses = 0;

  constructor(private readonly parser: SqlParser, cacheSize = 10_000) {
    this.cache = new LRUCache({ max: cacheSize });
  }

  shapes(sql: string): ShapesResult | Promise<ShapesResult> {
    const key = statementKey(sql);
    if (key) {
      const cached = this.cache.get(key.key);
      if (cached && cached.length === key.statements.length) {
        this.hits++;
        return {
          ok: true,
          shapes: cached.map((s, i) => ({ ...s, location: key.statements[i]![0], length: key.statements[i]![1] - key.statements[i]![0] })),
        };
      }
    }
    this.misses++;
    const finish = (outcome: ParseOutcome): ShapesResult => {
      if (!outcome.ok) return outcome;
      const shapes = (outcome.tree.stmts ?? []).map((raw) => {
        const s = shapeOf(raw, sql.length);
        s.fingerprint = fingerprint(sql.slice(s.location, s.location + s.length));
        return s;
      });
      if (key && shapes.length === key.statements.length && !shapes.some((s) => s.literalDependent)) {
        this.cache.set(key.key, shapes);
      }
      return { ok: true, shapes };
    };
    const outcome = this.parser.parse(sql);
    return outcome instanceof Promise ? outcome.then(finish) : finish(outcome);
  }
}
