/**
 * Column rules follow the data: a statement that reads a ruled column (by name anywhere in it, through
 * a whole-row reference to a table that has one, through a view over one, or possibly through a user
 * function whose body the proxy cannot see) gets a mask on every output whose origin the server does
 * not report as a plain table column, and on the database's error text. A statement that only touches
 * a table with a ruled column (reads other columns of it, writes it) gets its error text withheld: the
 * server quotes whole rows and keys in constraint and data errors ("Failing row contains (...)").
 * Fail closed: where lineage is unknown, mask.
 *
 * Derived outputs are always redacted, whatever the rule's strategy: the agent chooses the transform,
 * so `partial` (last four characters) of `substr(notes, k, 4)` or `hash` of `substr(notes, k, 1)`
 * (against the hash of a literal in the same statement) would give the whole value away piece by piece.
 */
import type { Catalog } from '../sql/catalog.js';
import { functionEffect, runsSqlString } from '../sql/functions.js';
import type { Classification, ColumnReads, TableRef } from '../sql/types.js';
import type { Masker } from './masker.js';

export interface DerivedMask {
  strategy: 'redact';
  /** The ruled columns (views, functions, tables) the statement reads, for the mask's label and the agent's error. */
  label: string;
  /** The statement's rows are a plan (EXPLAIN), or it only touches a ruled table: only its error text is masked. */
  errorsOnly?: true;
  /** The statement reads no ruled value as far as the proxy can tell; it only touches a table that has one. */
  touchOnly?: true;
  /** It reads a view over a ruled column: even a plain column of its COPY (query) may carry ruled values. */
  viaView?: true;
  /** Why the error text is withheld, when it is not what this statement reads or touches. */
  reason?: string;
}

export interface RuledTables {
  hasRuledColumn(relation: string): boolean | undefined;
  isRuledViewName?(name: string): boolean;
  isRuledGeneratedName?(name: string): boolean;
  hasUserFunction?(name: string): boolean;
  functionVolatility?(schema: string | undefined, name: string): unknown;
}

/** A function that may be defined by the database's users (its body may read a ruled column), or is unknown. */
function userFunction(qualified: string, catalog: RuledTables): boolean {
  const dot = qualified.lastIndexOf('.');
  const schema = dot < 0 ? undefined : qualified.slice(0, dot);
  const name = qualified.slice(dot + 1);
  if (schema !== undefined) return schema !== 'pg_catalog';
  if (catalog.hasUserFunction?.(name)) return true;
  return catalog.functionVolatility !== undefined && catalog.functionVolatility(undefined, name) === undefined;
}

/** The mask for this statement's derived outputs and errors, or undefined when it reads and touches no ruled column. */
export function derivedMask(
  masker: Masker,
  reads: ColumnReads | undefined,
  tables: TableRef[],
  catalog: RuledTables,
  functions: string[] = [],
): DerivedMask | undefined {
  if (!masker.hasColumnRules) return undefined;
  if (!reads || reads.opaque) return { strategy: 'redact', label: 'unknown-lineage' };
  // query_to_xml('SELECT notes ...'), dblink(...): the SQL it runs is a string the parse tree does not show.
  if (functions.some((f) => runsSqlString(f.slice(f.lastIndexOf('.') + 1))))
    return { strategy: 'redact', label: 'unknown-lineage' };
  // A generated column computed from a ruled column reads it.
  const named = reads.names.filter((n) => masker.columnStrategy(n) !== undefined || catalog.isRuledGeneratedName?.(n));
  // Tables whose columns the catalog has not loaded may hold one.
  const viaRows = reads.wholeRow && tables.some((t) => catalog.hasRuledColumn(t.name) !== false);
  // A view's columns are reported with the view as their origin; which base column each comes from is not.
  const views = tables.filter((t) => catalog.isRuledViewName?.(t.name)).map((t) => t.name);
  const userFunctions = functions.filter((f) => userFunction(f, catalog)).map((f) => `${f}()`);
  const labels = [...named, ...(viaRows ? ['row'] : []), ...views, ...userFunctions];
  if (labels.length) {
    return {
      strategy: 'redact',
      label: [...new Set(labels)].join(','),
      ...(reads.plans ? { errorsOnly: true as const } : {}),
      ...(views.length ? { viaView: true as const } : {}),
    };
  }
  const touched = tables.filter((t) => catalog.hasRuledColumn(t.name) !== false).map((t) => t.name);
  if (touched.length)
    return { strategy: 'redact', label: [...new Set(touched)].join(','), errorsOnly: true, touchOnly: true };
  return undefined;
}

/**
 * For errors at Bind, where the proxy does not track which statement is being bound: planning runs there
 * (an immutable function with constant arguments is evaluated), so under column rules its text is withheld.
 */
export const BIND_ERRORS_MASK: DerivedMask = {
  strategy: 'redact',
  label: 'a statement planned at Bind',
  errorsOnly: true,
  touchOnly: true,
};

/** Functions that carry a value out of the statement, past result masking: a notification, a setting. */
const SIDE_CHANNELS = new Set(['pg_notify', 'set_config']);

/** Catalog relations that hold sample values of every analyzed column (planner statistics). */
export const STATISTICS_RELATIONS = new Set([
  'pg_stats',
  'pg_statistic',
  'pg_stats_ext',
  'pg_stats_ext_exprs',
  'pg_statistic_ext_data',
]);

/** Statement effects that keep or send what they read somewhere no mask applies (a write is judged by what it stores). */
const CARRYING_EFFECTS = new Set(['ddl', 'privilege', 'admin', 'unknown']);

/**
 * Why a statement is refused under column rules: it reads planner statistics (which quote sample values
 * of ruled columns), or it reads a ruled column and would send values where no mask applies — a
 * notification, a setting, a large object, any function with an effect beyond reading, a server file, or
 * a row it stores (`INSERT ... SELECT notes`, `UPDATE ... SET name = notes`), which a later statement could
 * read back under a column no rule covers. An UPDATE's WHERE and RETURNING store nothing.
 */
export function launderingReason(
  c: Classification,
  derived: DerivedMask | undefined,
  masker: Masker,
  catalog: RuledTables & Partial<Catalog>,
): string | undefined {
  if (masker.hasColumnRules) {
    const stats = c.tables.find((t) => STATISTICS_RELATIONS.has(t.name));
    if (stats)
      return `${stats.schema ? `${stats.schema}.` : ''}${stats.name} holds sample values of table columns, masked columns included (planner statistics); it cannot be read while column rules apply`;
  }
  // What the statement itself reads: a user function's body is judged by its own effect (policy), not here.
  const reading = derived && derivedMask(masker, c.reads, c.tables, catalog);
  if (!reading || reading.touchOnly) return undefined;
  const fn = c.functions.find((f) => SIDE_CHANNELS.has(f.slice(f.lastIndexOf('.') + 1)));
  if (fn)
    return `${fn}() in a statement that reads a masked column (${reading.label}) could carry its values past masking`;
  for (const f of c.functions) {
    const dot = f.lastIndexOf('.');
    const e = functionEffect(
      { ...(dot < 0 ? {} : { schema: f.slice(0, dot) }), name: f.slice(dot + 1) },
      catalog as Catalog,
    );
    if ((e.effect && e.effect !== 'read') || e.settings?.length) {
      return `${f}() has an effect beyond reading (${e.effect ?? 'session'}), in a statement that reads a masked column (${reading.label}): it could carry its values past masking`;
    }
  }
  const effect = c.effects.find((e) => CARRYING_EFFECTS.has(e));
  if (effect)
    return `this statement reads a masked column (${reading.label}) and has a ${effect} effect, which could keep its values where no mask applies`;
  const written = c.reads?.written;
  const stored =
    written && derivedMask(masker, { names: written.names, wholeRow: written.wholeRow }, c.tables, catalog);
  if (stored && !stored.touchOnly)
    return `this statement stores values read from a masked column (${stored.label}), where a later read would not be masked`;
  return undefined;
}
