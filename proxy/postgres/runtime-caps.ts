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
import { writes } from '../gate/guards.js';
import type { RuntimeLimits } from '../../shared/contract/policy-types.js';
import type { Classification } from '../sql/types.js';
import type { ErrorFields } from './protocol.js';

export type CapName = keyof RuntimeLimits;

export interface CapHit {
  limit: CapName;
  cap: number;
  count: number;
}

/** Counts one statement's rows (across Executes of one portal) against the caps. */
export class RowCap {
  rows = 0;
  hit?: CapHit;

  constructor(
    private readonly limits: RuntimeLimits,
    private readonly countsAffected: boolean,
  ) {}

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
    if (
      !this.hit &&
      this.countsAffected &&
      max !== undefined &&
      tag.rows !== undefined &&
      tag.rows > max &&
      tag.tag !== 'SELECT'
    ) {
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
    return {
      code: '42501',
      message: `agentgate: the statement changed ${h.count} rows, more than maxRowsAffected ${h.cap}; its changes were rolled back`,
      hint: 'narrow the WHERE clause, or split the change into smaller statements',
    };
  }
  return {
    code: '54000',
    message: `agentgate: the statement returned more than maxRowsReturned ${h.cap} rows (${h.count} or more); the rest were not sent`,
    hint: 'add a LIMIT or a narrower WHERE clause',
  };
}

/** A Flush message: the server sends what it has buffered (results of an Execute before the agent's Sync). */
export const FLUSH = Buffer.from([0x48, 0, 0, 0, 4]);

/** CancelRequest on a fresh connection to the server, for the proxy's own upstream session. */
export function sendCancel(host: string, port: number, pid: number, secret: Buffer): void {
  const c = net.connect({ host, port }, () => c.end(serialize.cancel(pid, secret.readInt32BE(0))));
  c.on('error', () => undefined);
}

/** The server's own statement_timeout fired (57014 is also a user cancel; the message tells them apart). */
export const isStatementTimeout = (code: string | undefined, message: string): boolean =>
  code === '57014' && /statement timeout/.test(message);
