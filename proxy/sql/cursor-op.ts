/** What a SQL cursor statement does to the session's cursors (DECLARE, FETCH/MOVE, CLOSE), from its parse tree. */
import type { CursorOp } from './types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Node = any;

/** CURSOR_OPT_HOLD in PostgreSQL's parsenodes.h. */
const CURSOR_OPT_HOLD = 0x20;

export function cursorOp(kind: string, body: Node): CursorOp | undefined {
  const name = typeof body?.portalname === 'string' ? body.portalname : undefined;
  switch (kind) {
    case 'DeclareCursorStmt':
      return { op: 'declare', name: name ?? '', hold: ((body.options ?? 0) & CURSOR_OPT_HOLD) !== 0 };
    case 'FetchStmt':
      return { op: 'fetch', name: name ?? '' };
    case 'ClosePortalStmt':
      return name === undefined ? { op: 'close' } : { op: 'close', name };
    default:
      return undefined;
  }
}
