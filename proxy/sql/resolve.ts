/** Shape + the target's catalog + the session's prepared statements → the final classification. */
import type { Catalog } from './catalog.js';
import { functionEffect } from './functions.js';
import { hiddenWritesOf } from './hidden-writes.js';
import { mergeReads } from './lineage.js';
import { relationCandidates } from './search-path.js';
import type { Classification, ColumnReads, Effect, FunctionRef, StatementShape, TableRef } from './types.js';

export interface PreparedLookup {
  get(name: string): Classification | undefined;
}

export function resolveShape(
  shape: StatementShape,
  sql: string,
  catalog: Catalog,
  prepared?: PreparedLookup,
): Classification {
  const text = sql.slice(shape.location, shape.location + shape.length).trim();
  const effects = new Set<Effect>(shape.effects);
  const reasons = [...shape.reasons];
  let liftsReadOnly = shape.liftsReadOnly;
  // `WHERE 1 = 0` is bounded by pg_catalog's `=`; with another schema first in the path, a user's `=` may answer.
  const path = catalog.searchPath?.();
  let unboundedWrite =
    shape.unboundedWrite || (shape.boundedByCatalogOperators === true && !!path && path[0] !== 'pg_catalog');
  let nestedWrites = shape.nestedWrites === true;
  let reads: ColumnReads | undefined = shape.reads;
  const tables: TableRef[] = shape.tables.map((t) => withCandidates(t, catalog));
  for (const t of shape.tables) {
    if (!t.schema && catalog.relationUnverified?.(t.name))
      reasons.push(`relation ${t.name} could not be checked against the target's catalog; matched in every schema`);
  }
  // `c.f` is `f(c)` when the catalog has an `f` that takes a whole row: a call, and a whole-row read of c.
  const rowCalls = attributeCalls(shape, catalog).map((name): FunctionRef => ({ name }));
  if (rowCalls.length && reads) reads = withWholeRow(reads);
  // COPY (SELECT c.to_json ...): that output is a call's result, not a table column of that name.
  const copy =
    shape.copy?.sources && rowCalls.length
      ? {
          ...shape.copy,
          sources: shape.copy.sources.map((s) => (s !== null && rowCalls.some((f) => f.name === s) ? null : s)),
        }
      : shape.copy;
  const called = [...shape.functions, ...rowCalls];
  const functions = called.map((f) => (f.schema ? `${f.schema}.${f.name}` : f.name));
  const settings = new Set(shape.settings);
  const writingFunctions: string[] = [];
  for (const f of called) {
    const fe = functionEffect(f, catalog);
    if (fe.effect === 'write' || fe.effect === 'unknown')
      writingFunctions.push(f.schema ? `${f.schema}.${f.name}` : f.name);
    fe.settings?.forEach((s) => settings.add(s));
    if (fe.effect) effects.add(fe.effect);
    if (fe.reason && fe.effect && fe.effect !== 'session' && fe.effect !== 'read') reasons.push(fe.reason);
    if (fe.liftsReadOnly) liftsReadOnly = true;
  }
  if (shape.executes !== undefined) {
    const p = prepared?.get(shape.executes);
    if (!p) {
      effects.add('unknown');
      reasons.push(`prepared statement "${shape.executes}" is not known to the proxy`);
    } else {
      p.effects.forEach((e) => effects.add(e));
      tables.push(...p.tables);
      functions.push(...p.functions);
      unboundedWrite ||= p.unboundedWrite;
      nestedWrites ||= p.nestedWrites === true;
      liftsReadOnly ||= p.liftsReadOnly;
      reasons.push(...p.reasons);
      p.settings?.forEach((s) => settings.add(s));
      writingFunctions.push(...(p.writingFunctions ?? []));
      reads = mergeReads(reads, p.reads);
    }
  }
  if (effects.size === 0) effects.add('read');
  const hiddenWrites = hiddenWritesOf(tables, catalog);
  return {
    text,
    kind: shape.kind,
    effects: [...effects],
    tables,
    functions: [...new Set(functions)],
    unboundedWrite,
    liftsReadOnly,
    reasons,
    ...(shape.fingerprint ? { fingerprint: shape.fingerprint } : {}),
    ...(copy ? { copy } : {}),
    ...(shape.prepares !== undefined ? { prepares: shape.prepares } : {}),
    ...(shape.deallocates !== undefined ? { deallocates: shape.deallocates } : {}),
    ...(shape.cursor ? { cursor: shape.cursor } : {}),
    ...(shape.transaction ? { transaction: shape.transaction } : {}),
    ...(shape.setting ? { setting: shape.setting } : {}),
    ...(settings.size ? { settings: [...settings] } : {}),
    ...(reads ? { reads } : {}),
    ...(nestedWrites ? { nestedWrites: true as const } : {}),
    ...(writingFunctions.length ? { writingFunctions: [...new Set(writingFunctions)] } : {}),
    ...(hiddenWrites.length ? { hiddenWrites } : {}),
    ...(shape.analysisRunsCode ? { analysisRunsCode: true as const } : {}),
  };
}

/** Unqualified names also carry every schema-qualified name they can resolve to (search-path.ts). */
function withCandidates(t: TableRef, catalog: Catalog): TableRef {
  if (t.schema) return t;
  const candidates = relationCandidates(t.name, catalog);
  return candidates.length ? { ...t, candidates } : t;
}

/** An attribute-notation call reads its argument's whole row, wherever it is (an output, or what a write stores). */
function withWholeRow(reads: ColumnReads): ColumnReads {
  return { ...reads, wholeRow: true, ...(reads.written ? { written: { ...reads.written, wholeRow: true } } : {}) };
}

/** The possible attribute-notation calls the catalog makes real: a function of that name takes their argument. */
function attributeCalls(shape: StatementShape, catalog: Catalog): string[] {
  const a = shape.attributeCalls;
  if (!a) return [];
  const takesRow = (n: string): boolean => catalog.takesRow?.(n) === true;
  return [
    ...new Set([
      ...a.row.filter(takesRow),
      ...a.any.filter((n) => takesRow(n) || catalog.functionVolatility(undefined, n) !== undefined),
    ]),
  ];
}
