/**
 * Runtime caps (spec.runtimeLimits): limits that hold whatever a statement's text says, because they
 * are checked on what the database reports while it runs, not on the statement's syntax.
 *
 * - maxRowsAffected: the command tag of an INSERT/UPDATE/DELETE/MERGE. Over the cap the statement
 *   fails and its changes are rolled back (the session wraps an autocommit write in BEGIN … COMMIT or
 *   ROLLBACK, and inside the agent's transaction makes the transaction fail, as any PostgreSQL error does).
 *   A write whose count the tag does not give is refused while the cap is set: data-modifying statements
 *   below the top level (writable CTEs at any depth, EXPLAIN ANALYZE: the parse tree says, shape.ts),
 *   COPY FROM, TRUNCATE, SELECT … FOR UPDATE, SQL EXECUTE, functions that write other than nextval/setval
 *   (lo_unlink, volatile user functions) and anything `unknown` (DO, CALL); and a write to a table whose
 *   writes set off more (cascading foreign keys, triggers, rules: hidden-writes.ts, read afresh per write).
 * - maxRowsReturned: rows streamed back (DataRow, COPY TO rows). No row past the cap is forwarded; the
 *   statement fails (54000) and the rest of its output is drained and discarded.
 * - maxStatementSeconds: the upstream session's statement_timeout (set at login; changing it is refused),
 *   and a proxy timer that sends a CancelRequest if the server has not stopped a second later.
 */
import net from 'node:net';
import { serialize } from 'pg-protocol';
import type { Decision } from '../policy/decide.js';
import type { RuntimeLimits } from '../../shared/contract/policy-types.js';
import type { Classification } from '../sql/types.js';
import type { ErrorFields } from './protocol.js';

export type CapName = keyof RuntimeLimits;

export interface CapHit {
  limit: CapName;
  cap: number;
  count: number;
}

/** True when statements must run one at a time so the proxy can act on their outcome. */
export function rowCapsActive(l: RuntimeLimits | undefined): l is RuntimeLimits {
  return l?.maxRowsAffected !== undefined || l?.maxRowsReturned !== undefined;
}

const TAG_COUNTED = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);
/** Functions whose writes change no table row (a sequence's state): the only writes a capped SELECT may make. */
const SEQUENCE_FUNCTIONS = new Set(['nextval', 'setval', 'pg_catalog.nextval', 'pg_catalog.setval']);

export const writes = (c: Classification): boolean => c.effects.includes('write');

/** Refusals the limits add to the policy's decision (the statement would escape a cap). */
export function capDecision(c: Classification, l: RuntimeLimits | undefined): Decision | undefined {
  if (l?.maxStatementSeconds !== undefined && c.settings?.some((s) => s === 'statement_timeout' || s === '*')) {
    return { action: 'Deny', rule: 'limits-statement-timeout', message: `statement_timeout is set by the policy (maxStatementSeconds ${l.maxStatementSeconds}) and may not be changed`, blocked: true };
  }
  // `unknown` (DO, CALL, volatile functions) may write any number of rows that no tag reports.
  if (l?.maxRowsAffected === undefined || !(writes(c) || c.effects.includes('unknown'))) return undefined;
  const writtenTables = c.tables.filter((t) => t.access.includes('write') && !t.sequence).length;
  const onlySequences = !c.effects.includes('unknown') && (c.writingFunctions ?? []).every((f) => SEQUENCE_FUNCTIONS.has(f));
  if (writtenTables === 0 && c.kind === 'SelectStmt' && onlySequences && !c.nestedWrites) return undefined; // nextval(): no table rows change
  if (c.hiddenWrites?.length) {
    return refuseUncounted(l.maxRowsAffected, `this ${c.kind} writes a table whose writes change rows the command tag does not count (${c.hiddenWrites.join('; ')})`);
  }
  if (TAG_COUNTED.has(c.kind) && writtenTables === 1 && !c.nestedWrites && onlySequences) return undefined;
  return refuseUncounted(l.maxRowsAffected, `the rows this ${c.kind} changes cannot be counted`);
}

function refuseUncounted(cap: number, why: string): Decision {
  return {
    action: 'Deny',
    rule: 'limits-max-rows-affected',
    message: `the policy caps rows affected per write (maxRowsAffected ${cap}), and ${why}; send a single INSERT, UPDATE, DELETE or MERGE on one table, without writable CTEs or functions that write`,
    blocked: true,
  };
}

/** Counts one statement's rows (across Executes of one portal) against the caps. */
export class RowCap {
  rows = 0;
  hit?: CapHit;

  constructor(private readonly limits: RuntimeLimits, private readonly countsAffected: boolean) {}

  /** A row arrived: false when it must not reach the agent. */
  row(): boolean {
    this.rows++;
    const max = this.limits.maxRowsReturned;
    if (max !== undefined && this.rows > max) this.hit ??= { limit: 'maxRowsReturned', cap: max, count: this.rows };
    if (this.hit?.limit === 'maxRowsReturned') this.hit.count = this.rows;
    return this.hit === undefined;
  }

  /** CommandComplete: the cap this statement exceeded, if any. */
  complete(tag: { tag: string; rows?: number }): CapHit | undefined {
    const max = this.limits.maxRowsAffected;
    if (!this.hit && this.countsAffected && max !== undefined && tag.rows !== undefined && tag.rows > max && tag.tag !== 'SELECT') {
      this.hit = { limit: 'maxRowsAffected', cap: max, count: tag.rows };
    }
    return this.hit;
  }
}

export function newRowCap(c: Classification, l: RuntimeLimits): RowCap {
  return new RowCap(l, writes(c));
}

export function capError(h: CapHit): Omit<ErrorFields, 'severity'> {
  if (h.limit === 'maxRowsAffected') {
    return { code: '42501', message: `agentgate: the statement changed ${h.count} rows, more than maxRowsAffected ${h.cap}; its changes were rolled back`, hint: 'narrow the WHERE clause, or split the change into smaller statements' };
  }
  return { code: '54000', message: `agentgate: the statement returned more than maxRowsReturned ${h.cap} rows (${h.count} or more); the rest were not sent`, hint: 'add a LIMIT or a narrower WHERE clause' };
}

/** A Flush message: the server sends what it has buffered (results of an Execute before the agent's Sync). */
export const FLUSH = Buffer.from([0x48, 0, 0, 0, 4]);

/** CancelRequest on a fresh connection to the server, for the proxy's own upstream session. */
export function sendCancel(host: string, port: number, pid: number, secret: Buffer): void {
  const c = net.connect({ host, port }, () => c.end(serialize.cancel(pid, secret.readInt32BE(0))));
  c.on('error', () => undefined);
}

/** The server's own statement_timeout fired (57014 is also a user cancel; the message tells them apart). */
export const isStatementTimeout = (code: string | undefined, message: string): boolean => code === '57014' && /statement timeout/.test(message);
