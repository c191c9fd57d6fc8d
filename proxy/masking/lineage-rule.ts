/**
 * Column rules follow the data: a statement that reads a ruled column (by name anywhere in it, or
 * through a whole-row reference to a table that has one) gets a mask on every output whose origin
 * the server does not report as a plain table column, and on the database's error text.
 * Fail closed: where lineage is unknown, mask.
 *
 * Derived outputs are always redacted, whatever the rule's strategy: the agent chooses the transform,
 * so `partial` (last four characters) of `substr(notes, k, 4)` or `hash` of `substr(notes, k, 1)`
 * (against the hash of a literal in the same statement) would give the whole value away piece by piece.
 */
import type { Classification, ColumnReads, TableRef } from '../sql/types.js';
import type { Masker } from './masker.js';

export interface DerivedMask {
  strategy: 'redact';
  /** The ruled columns the statement reads, for the mask's label and the agent's error. */
  label: string;
  /** The statement's rows are a plan (EXPLAIN): only its error text is masked. */
  errorsOnly?: true;
}

export interface RuledTables {
  hasRuledColumn(relation: string): boolean | undefined;
}

/** The mask for this statement's derived outputs, or undefined when it reads no ruled column. */
export function derivedMask(masker: Masker, reads: ColumnReads | undefined, tables: TableRef[], catalog: RuledTables): DerivedMask | undefined {
  if (!masker.hasColumnRules) return undefined;
  if (!reads || reads.opaque) return { strategy: 'redact', label: 'unknown-lineage' };
  const named = reads.names.filter((n) => masker.columnStrategy(n) !== undefined);
  // Tables whose columns the catalog has not loaded may hold one.
  const viaRows = reads.wholeRow && tables.some((t) => catalog.hasRuledColumn(t.name) !== false);
  if (!named.length && !viaRows) return undefined;
  return { strategy: 'redact', label: named.length ? named.join(',') : 'row', ...(reads.plans ? { errorsOnly: true as const } : {}) };
}

/** Functions that carry a value out of the statement, past result masking: a notification, a setting. */
const SIDE_CHANNELS = new Set(['pg_notify', 'set_config']);

/**
 * Why a statement that reads a ruled column is refused: it would send values where no mask applies —
 * a notification or a setting, or a row it stores (`INSERT ... SELECT notes`, `UPDATE ... SET name = notes`),
 * which a later statement could read back under a column no rule covers.
 */
export function launderingReason(c: Classification, derived: DerivedMask | undefined, masker: Masker, catalog: RuledTables): string | undefined {
  if (!derived) return undefined;
  const fn = c.functions.find((f) => SIDE_CHANNELS.has(f.slice(f.lastIndexOf('.') + 1)));
  if (fn) return `${fn}() in a statement that reads a masked column (${derived.label}) could carry its values past masking`;
  const written = c.reads?.written;
  const stored = written && derivedMask(masker, { names: written.names, wholeRow: written.wholeRow }, c.tables, catalog);
  if (stored) return `this statement stores values read from a masked column (${stored.label}), where a later read would not be masked`;
  return undefined;
}
