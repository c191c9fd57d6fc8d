/**
 * SQL cursors (DECLARE ... CURSOR) as the proxy follows them: FETCH and MOVE read the rows of a query
 * decided at DECLARE, perhaps under an earlier policy, so each FETCH/MOVE decides that query again
 * under the policy in force. A cursor the proxy did not see declared (opened by a function, a procedure
 * or a DO block) has a query the proxy cannot decide: reading it is refused.
 */
import { cursorQueryRefused, replacedCursor, staleCursor, unknownCursor } from '../gate/guards.js';
import type { SqlOperation } from '../gate/sql-request.js';
import type { Decision } from '../gate/verdict.js';
import type { Classification } from '../sql/types.js';
import { NO_NAMES, type NameUse } from './name-freshness.js';
import { sourceDigest, type CheckOutcome } from './server-cursor-check.js';
import type { ServerObjects, SqlCursor, StateChange } from './server-objects.js';

/** The cursor changes a statement makes when the server confirms it; `source` is the text it came in. */
export function cursorChanges(c: Classification, decidedBy: object, source: () => string): StateChange[] {
  // Transaction control decides which cursors survive (server-objects.ts).
  if (c.transaction) return [{ ns: 'transaction', op: c.transaction }];
  const op = c.cursor;
  if (op?.op === 'declare' && op.name !== undefined)
    return [
      {
        ns: 'cursor',
        name: op.name,
        value: {
          cls: c,
          hold: op.hold === true,
          decidedBy,
          sourceDigest: sourceDigest(source()),
          sourceBytes: Buffer.byteLength(source()),
        },
      },
    ];
  if (op?.op === 'close') return [op.name === undefined ? { ns: 'cursor' } : { ns: 'cursor', name: op.name }];
  // DISCARD ALL closes every cursor.
  if (c.kind === 'DiscardStmt' && c.deallocates === '*') return [{ ns: 'cursor' }];
  return [];
}

/** Cursors declared by earlier statements of the same query, not yet known to the server objects. */
export type LocalCursors = Map<string, Pick<SqlCursor, 'cls' | 'hold' | 'decidedBy'>>;

export function declareLocally(local: LocalCursors, c: Classification, decidedBy: object): void {
  if (c.cursor?.op === 'declare' && c.cursor.name !== undefined)
    local.set(c.cursor.name, { cls: c, hold: c.cursor.hold === true, decidedBy });
}

/** What a statement does to portal and cursor names (name-freshness.ts); `portal` is the one an Execute runs. */
export function nameUse(c: Classification, portal?: string): NameUse {
  if (portal === undefined && c.cursor === undefined) return NO_NAMES;
  const reads = portal === undefined ? [] : [portal];
  if (c.cursor?.op === 'fetch') reads.push(c.cursor.name ?? '');
  const creates = c.cursor?.op === 'declare' && c.cursor.name !== undefined ? [c.cursor.name] : [];
  return { reads, creates };
}

/**
 * For a read of a name the server may have replaced since the proxy last knew it: refused, as replaced
 * when the server's check showed another object, else as not checkable here (name-freshness.ts).
 */
export function staleRead(name: string, outcome: CheckOutcome | undefined): SqlOperation['through'] {
  return (_decide, rt) =>
    outcome === 'replaced'
      ? replacedCursor(name, rt.policy.spec.mode === 'Audit')
      : staleCursor(name, rt.policy.spec.mode === 'Audit');
}

/** For FETCH/MOVE after a statement of the same query that may run user code (user-code.ts): refused. */
export function unknownAfterUserCode(c: Classification): SqlOperation['through'] {
  if (c.cursor?.op !== 'fetch') return undefined;
  const name = c.cursor.name ?? '';
  return (_decide, rt) => unknownCursor(name, rt.policy.spec.mode === 'Audit');
}

/**
 * For FETCH/MOVE: a refusal when the cursor's query is refused under `current` (the policy runtime in
 * force), or when the cursor is unknown. Undefined when the read may go on.
 */
export function fetchRefusal(
  c: Classification,
  objects: ServerObjects,
  local: LocalCursors | undefined,
  current: object,
  decide: (query: Classification) => Decision,
  audit: boolean,
): Decision | undefined {
  if (c.cursor?.op !== 'fetch') return undefined;
  const name = c.cursor.name ?? '';
  const cursor = local?.get(name) ?? objects.cursor(name);
  const portal = cursor ? undefined : objects.portal(name);
  const queries = cursor
    ? cursor.decidedBy === current
      ? []
      : [cursor.cls]
    : portal
      ? portal.stmt.classes
      : undefined;
  if (!queries) return unknownCursor(name, audit);
  for (const q of queries) {
    const d = decide(q);
    if (d.blocked) return cursorQueryRefused(name, d);
  }
  return undefined;
}
