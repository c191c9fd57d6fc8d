/**
 * What one session's prepared statements, portals and SQL cursors make the proxy hold
 * (spec.protocolLimits.maxPreparedBytes): each statement's text, its classification and, for texts short
 * enough to have one, its kept decision record (a masked, JSON-escaped copy: up to 6x the text,
 * proxy/gate/sql-request.ts). Counted when the server confirms an object and while its create is pending
 * (a pipeline of Parses before any ParseComplete cannot overshoot); freed when server-objects.ts forgets it.
 * A create is checked at its full size, never credited with what it replaces: an unnamed statement or
 * portal is freed when the server answers the Parse or Bind replacing it (a Parse it skips after an error
 * replaces nothing), so both are counted meanwhile; the policy's validation makes room for that.
 */
import type { SqlOperation } from '../gate/sql-request.js';
import type { Decision } from '../gate/verdict.js';
import type { Classification } from '../sql/types.js';
import type { RowPlan } from './result-masker.js';
import { preparedBy, type Portal, type Prepared, type SqlCursor } from './server-objects.js';

export const DEFAULT_MAX_PREPARED_BYTES = 32 * 1024 * 1024;

/** A classification, its maps and the object itself: measured at 0.7–1.1 KiB for short statements. */
const OBJECT_BYTES = 1024;
/** A portal: the object, its row cap and references; its column masking plan is counted apart (planBytes). */
const PORTAL_BYTES = 512;
/** A masking plan's column: the object, its strategy and type, and references (its label counted apart). */
const PLAN_COLUMN_BYTES = 80;
/** PostgreSQL's most result columns (MaxTupleAttributeNumber), with labels of at most 63 bytes. */
const MAX_RESULT_COLUMNS = 1664;
/** What a Describe reserves until the server says how many columns there are: the largest plan there can be. */
export const MAX_PLAN_BYTES = 64 + MAX_RESULT_COLUMNS * (PLAN_COLUMN_BYTES + 2 * 63);
/** Texts up to this many characters keep a decision record with their prepared statement (sql-request.ts). */
const KEPT_RECORD_TEXT = 4096;

const textBytes = (sql: string): number => Buffer.byteLength(sql);

const measured = new WeakMap<Prepared, number>();

/**
 * A statement, and in full the statements it EXECUTEs as they were when it was parsed: its snapshot keeps
 * them (and theirs) alive after they are deallocated. Measured once per statement, so a chain of
 * statements executing each other costs no more to measure than one.
 */
export function statementBytes(p: Prepared): number {
  let bytes = measured.get(p);
  if (bytes === undefined) {
    bytes = OBJECT_BYTES + textBytes(p.sql) * (p.sql.length <= KEPT_RECORD_TEXT ? 8 : 2);
    for (const s of p.executes?.values() ?? []) if (s) bytes += statementBytes(s);
    measured.set(p, bytes);
  }
  return bytes;
}

/**
 * A cursor: its DECLARE's classification and text, and what the text that declared it adds. PostgreSQL keeps
 * that whole text (every statement of the Query message) with the cursor, and the proxy's pg_cursors check
 * reads it for every cursor of the session: counted here, N cursors of one long Query cannot make that N².
 */
export function cursorBytes(c: Pick<SqlCursor, 'cls' | 'sourceBytes'>): number {
  const text = textBytes(c.cls.text);
  return OBJECT_BYTES + 2 * text + Math.max(0, c.sourceBytes - text);
}

export function portalBytes(_p: Portal): number {
  return PORTAL_BYTES;
}

/** A portal's column masking plan (one entry and one label per result column). */
export function planBytes(plan: RowPlan | undefined): number {
  if (!plan) return 0;
  let bytes = 64;
  for (const c of plan) bytes += PLAN_COLUMN_BYTES + 2 * c.label.length;
  return bytes;
}

/** What a portal adds once its statement is no longer held (Closed, DEALLOCATEd): it keeps the statement alive. */
export function carriedStatementBytes(p: Prepared): number {
  return statementBytes(p);
}

export function objectBytes(ns: 'statement' | 'portal' | 'cursor', v: Prepared | Portal | SqlCursor): number {
  return ns === 'statement'
    ? statementBytes(v as Prepared)
    : ns === 'portal'
      ? portalBytes(v as Portal)
      : cursorBytes(v as SqlCursor);
}

/** What dropping a held statement or cursor (no name: all of them) frees now (ServerObjects.freedBy). */
export type Freed = (ns: 'statement' | 'cursor', name?: string) => number;

/**
 * What the statements of one query or portal would add at their peak: the statements they PREPARE and the
 * cursors they DECLARE, less what DEALLOCATE, CLOSE or DISCARD ALL earlier in the same query drop (a drop
 * after a create does not lower the peak).
 */
export function createdBytes(classes: readonly Classification[], freed: Freed = () => 0, source = ''): number {
  const sourceBytes = textBytes(source);
  let running = 0;
  let peak = 0;
  const spaces = {
    statement: { local: new Map<string, number>(), dropped: new Set<string>(), credited: 0, cleared: false },
    cursor: { local: new Map<string, number>(), dropped: new Set<string>(), credited: 0, cleared: false },
  };
  const drop = (ns: 'statement' | 'cursor', name?: string): void => {
    const s = spaces[ns];
    if (name === undefined) {
      for (const b of s.local.values()) running -= b;
      s.local.clear();
      if (!s.cleared) running -= freed(ns) - s.credited;
      s.cleared = true;
      return;
    }
    const made = s.local.get(name);
    if (made !== undefined) {
      running -= made;
      s.local.delete(name);
    } else if (!s.cleared && !s.dropped.has(name)) {
      const b = freed(ns, name);
      s.dropped.add(name);
      s.credited += b;
      running -= b;
    }
  };
  const create = (ns: 'statement' | 'cursor', name: string, bytes: number): void => {
    spaces[ns].local.set(name, bytes);
    running += bytes;
    peak = Math.max(peak, running);
  };
  for (const c of classes) {
    if (c.deallocates !== undefined) drop('statement', c.deallocates === '*' ? undefined : c.deallocates);
    if (c.kind === 'DiscardStmt' && c.deallocates === '*') drop('cursor');
    if (c.cursor?.op === 'close') drop('cursor', c.cursor.name);
    if (c.prepares !== undefined) create('statement', c.prepares, statementBytes(preparedBy(c)));
    if (c.cursor?.op === 'declare' && c.cursor.name !== undefined)
      create('cursor', c.cursor.name, cursorBytes({ cls: c, sourceBytes }));
  }
  return peak;
}

export interface OverHeld {
  operation: SqlOperation;
  message: string;
  detail: { limit: 'maxPreparedBytes'; cap: number; count: number; held: number; requested: number };
}

/** The refusal of a statement, portal or cursor the session could not hold within the limit, or undefined. */
export function overHeld(c: Classification, limit: number, held: number, requested: number): OverHeld | undefined {
  if (requested <= 0 || held + requested <= limit) return undefined;
  const message = `the session's prepared statements, portals and cursors would hold ${held + requested} bytes in the proxy, over the limit of ${limit} bytes (spec.protocolLimits.maxPreparedBytes)`;
  const decision: Decision = { action: 'Deny', rule: 'prepared-bytes-limit', message, blocked: true };
  const detail = { limit: 'maxPreparedBytes' as const, cap: limit, count: held + requested, held, requested };
  return {
    operation: {
      classification: c,
      refused: {
        decision,
        refusal: {
          kind: 'refuse',
          code: 'too-large',
          rule: decision.rule,
          reason: `${message}; nothing was executed`,
          hint: 'DEALLOCATE (or Close) the prepared statements, and CLOSE the portals and cursors, that you no longer need',
        },
        record: { detail },
      },
    },
    message,
    detail,
  };
}
