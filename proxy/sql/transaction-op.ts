/** What a transaction control statement does to the session's transaction and savepoints, from its parse tree. */
import type { TransactionOp } from './types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Node = any;

export function transactionOp(kind: string, body: Node): TransactionOp | undefined {
  if (kind !== 'TransactionStmt') return undefined;
  const savepoint = typeof body?.savepoint_name === 'string' ? body.savepoint_name : '';
  switch (body?.kind) {
    case 'TRANS_STMT_BEGIN':
    case 'TRANS_STMT_START':
      return { op: 'begin' };
    case 'TRANS_STMT_COMMIT':
      return { op: 'commit' };
    case 'TRANS_STMT_ROLLBACK':
      return { op: 'rollback' };
    // The transaction leaves the session: nothing declared in it stays open here.
    case 'TRANS_STMT_PREPARE':
      return { op: 'rollback' };
    case 'TRANS_STMT_SAVEPOINT':
      return { op: 'savepoint', savepoint };
    case 'TRANS_STMT_RELEASE':
      return { op: 'release', savepoint };
    case 'TRANS_STMT_ROLLBACK_TO':
      return { op: 'rollback-to', savepoint };
    default:
      // COMMIT PREPARED / ROLLBACK PREPARED act on another, prepared transaction.
      return undefined;
  }
}
