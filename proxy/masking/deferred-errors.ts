/**
 * Errors of work the server runs after the statement that asked for it: at COMMIT (or the implicit commit
 * at the end of a Query message or at Sync) PostgreSQL runs a WITH HOLD cursor's query to completion, and
 * fires deferred constraint checks and triggers (also at SET CONSTRAINTS ... IMMEDIATE). Their errors
 * quote the values they met ("invalid input syntax for type integer: \"<a masked value>\"") on a statement
 * that reads nothing. Under column rules the text of those errors is withheld (the SQLSTATE is kept).
 */
import type { Classification } from '../sql/types.js';
import type { DerivedMask } from './lineage-rule.js';

export const DEFERRED_ERRORS_MASK: DerivedMask = {
  strategy: 'redact',
  label: 'deferred work',
  errorsOnly: true,
  touchOnly: true,
  reason:
    "ends a transaction or runs deferred work (a WITH HOLD cursor's query, deferred constraints and triggers), whose errors may quote masked values",
};

/** Statements whose errors may come from work deferred by earlier statements. */
const DEFERRED_WORK_KINDS = new Set(['TransactionStmt', 'ConstraintsSetStmt']);

/** Per session: whether a WITH HOLD cursor over a masked read waits for its transaction's commit. */
export class DeferredErrors {
  private ruledHold = false;

  /** A statement was sent; `reads` is its column-rule mask (undefined: it reads and touches nothing ruled). */
  sent(c: Classification, reads: DerivedMask | undefined): void {
    if (c.cursor?.op === 'declare' && c.cursor.hold && reads) this.ruledHold = true;
  }

  /** The transaction ended (ReadyForQuery idle): its WITH HOLD cursors were materialized or dropped. */
  transactionEnded(): void {
    this.ruledHold = false;
  }

  /**
   * The mask for an error that arrives while `statement` runs, or with no statement in flight (undefined:
   * at Sync, after the last statement of a Query message), under column rules. Any statement may be the
   * one that commits an implicit transaction (the last of a Query message), so while a WITH HOLD cursor
   * over a masked read is pending, every error's text is withheld.
   */
  mask(hasColumnRules: boolean, statement: Classification | undefined): DerivedMask | undefined {
    if (!hasColumnRules) return undefined;
    return this.ruledHold || !statement || DEFERRED_WORK_KINDS.has(statement.kind) ? DEFERRED_ERRORS_MASK : undefined;
  }
}
