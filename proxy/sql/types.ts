/** The classification vocabulary shared by the classifier, the policy engine and the audit log. */

import type { Effect } from '../../shared/contract/policy-types.js';

export { EFFECTS, type Effect } from '../../shared/contract/policy-types.js';

export type TableAccess = 'read' | 'write';

export interface TableRef {
  /** Schema as written in the statement; undefined when unqualified. */
  schema?: string;
  name: string;
  access: TableAccess[];
  /** For an unqualified name: the schema-qualified names the target's catalog has for it. */
  candidates?: string[];
  /** Named as the argument of a sequence function (`nextval('s')`, relation-args.ts): no table rows change. */
  sequence?: true;
}

/** A function call as written, before the target's catalog says what it does. */
export interface FunctionRef {
  schema?: string;
  name: string;
  /** For set_config(): the setting name when it is a literal. */
  settingName?: string;
}

/**
 * What the grammar alone says about one statement: a function of the exact statement text (literal
 * values included), never of the catalog or the session.
 */
export interface StatementShape {
  /** Parse-tree node type, e.g. SelectStmt. */
  kind: string;
  effects: Effect[];
  tables: TableRef[];
  functions: FunctionRef[];
  unboundedWrite: boolean;
  /**
   * Bounded only because a constant comparison with an unqualified operator was decided (`WHERE 1 = 0`):
   * that holds while pg_catalog comes first in the session's search path (resolve.ts checks it).
   */
  boundedByCatalogOperators?: boolean;
  /** Could lift the read-only backstop of a ReadOnly target (SET ... read_only = off, BEGIN READ WRITE, RESET ALL ...). */
  liftsReadOnly: boolean;
  /** EXECUTE name: the effects are those of the prepared statement. */
  executes?: string;
  /** PREPARE name AS ...: registers a prepared statement with this shape's effects. */
  prepares?: string;
  /** DEALLOCATE name (or '*' for ALL). */
  deallocates?: string;
  /** DECLARE / FETCH / MOVE / CLOSE: the cursor it names. */
  cursor?: CursorOp;
  /** BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE, ROLLBACK TO: what it does to the transaction. */
  transaction?: TransactionOp;
  /** COPY details the data path needs (direction, format, column names). */
  copy?: CopyInfo;
  /** Why a statement is `unknown`, for the audit trail and the agent's error. */
  reasons: string[];
  /** Column names and whole-row references the statement reads (for column rules on derived outputs). */
  reads?: ColumnReads;
  /** SET agentgate.<name> = '<literal>': the agent's annotations (e.g. its reason for a request). */
  setting?: { name: string; value: string };
  /** Settings the statement changes ('*': a name that is not a literal), by any route. */
  settings?: string[];
  /** An INSERT/UPDATE/DELETE/MERGE below the top level (writable CTE at any depth, EXPLAIN ANALYZE, PREPARE): its rows are not in the tag. */
  nestedWrites?: true;
  /** Names that may be attribute-notation calls (`c.f` = `f(c)`, attribute-notation.ts); resolve.ts decides with the catalog. */
  attributeCalls?: { row: string[]; any: string[] };
  /** Parse analysis of the statement may run code: a literal's or a type modifier's input function (analysis-code.ts). */
  analysisRunsCode?: true;
  /** Structure id (literals normalized) for grouping in the audit trail; it never decides anything. */
  fingerprint?: string;
  /** Byte range of the statement inside the message text. */
  location: number;
  length: number;
}

/** A SQL cursor statement: DECLARE name (WITH HOLD or not), FETCH/MOVE name, CLOSE name (no name: CLOSE ALL). */
export interface CursorOp {
  op: 'declare' | 'fetch' | 'close';
  name?: string;
  hold?: boolean;
}

/** A transaction control statement (savepoint names as PostgreSQL folds them). */
export interface TransactionOp {
  op: 'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollback-to';
  savepoint?: string;
}

export interface CopyInfo {
  direction: 'from' | 'to';
  stdio: boolean;
  format: 'text' | 'csv' | 'binary';
  delimiter?: string;
  quote?: string;
  escape?: string;
  /** The NULL option (the string written for SQL NULL). */
  nullString?: string;
  encoding?: string;
  /** Every option named, lower case (the row parser refuses what it does not follow). */
  options?: string[];
  columns?: string[];
  /** COPY (query): per column, the table column it reads directly, or null when derived or unknown. */
  sources?: (string | null)[];
}

/** What a statement reads, from its parse tree alone (see sql/lineage.ts). */
export interface ColumnReads {
  /** Every column (and column-like function) name mentioned anywhere in the statement. */
  names: string[];
  /** Reads whole rows, `*`, or renames columns: any column of the tables it names may flow into an output. */
  wholeRow: boolean;
  /** The statement's outputs come from elsewhere (FETCH from a cursor): their lineage is unknown. */
  opaque?: true;
  /** EXPLAIN: its rows are a plan, not values (errors while ANALYZE runs it may still quote values). */
  plans?: true;
  /** What the values a write stores read (INSERT ... SELECT, UPDATE ... SET, MERGE, CREATE TABLE AS). */
  written?: { names: string[]; wholeRow: boolean };
}

/** The final classification of a statement: shape + catalog + session resolved. */
export interface Classification {
  text: string;
  kind: string;
  effects: Effect[];
  tables: TableRef[];
  functions: string[];
  unboundedWrite: boolean;
  liftsReadOnly: boolean;
  reasons: string[];
  fingerprint?: string;
  copy?: CopyInfo;
  prepares?: string;
  deallocates?: string;
  cursor?: CursorOp;
  transaction?: TransactionOp;
  setting?: { name: string; value: string };
  /** Settings the statement changes ('*': a name that is not a literal), by any route. */
  settings?: string[];
  /** See StatementShape.nestedWrites (also set when an EXECUTEd prepared statement has them). */
  nestedWrites?: true;
  /** Functions called whose effect is `write` or `unknown` (nextval(), lo_unlink(), volatile user functions). */
  writingFunctions?: string[];
  /** Written tables whose writes change rows the tag does not count: cascading foreign keys, triggers, rules. */
  hiddenWrites?: string[];
  reads?: ColumnReads;
  /** See StatementShape.analysisRunsCode: a Parse of the statement, a Describe of it or its Bind may run code. */
  analysisRunsCode?: true;
}
