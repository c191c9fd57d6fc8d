/**
 * The gate's request for SQL statements: each statement, as the SQL parser classified it, decided by
 * decide.ts over its classification; the request's guards (guards.ts requestGuard) over them all;
 * the record names kind, effects and tables; an approval binds the text the statement runs as. The
 * PostgreSQL adapter builds one per Query, Parse and Execute: classes with prototype methods, so a
 * statement costs no closures.
 */
import { createHash } from 'node:crypto';
import type { ScopedAudit } from '../audit/audit-log.js';
import type { AuditFields } from '../audit/record.js';
import { approvalSummary } from '../approvals/summary.js';
import type { Principal } from '../identity/verify.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import type { TargetSpec } from '../../shared/contract/policy-types.js';
import type { Catalog } from '../sql/catalog.js';
import type { Classification } from '../sql/types.js';
import type { ApprovalBinding } from './approval-flow.js';
import { decideOperation } from './decide.js';
import { limitsOf, requestGuard } from './guards.js';
import type { GateRequest, Operation, OperationRecord, Wording } from './request.js';
import { denial, type Decision, type Refuse } from './verdict.js';

/** One statement as the SQL adapter hands it over. */
export interface SqlOperation {
  /** What the statement does, as the parser classified it (effects, tables, functions). */
  classification: Classification;
  /** A refusal the parser reached on its own, recorded whatever the policy says. */
  refused?: { decision: Decision; refusal: Refuse; record?: Partial<AuditFields> };
  /**
   * What the statement reads through state the adapter keeps (a FETCH from a cursor declared earlier):
   * a decision here replaces the rules'. `decide` decides another classification under `runtime`.
   */
  through?: (decide: (c: Classification) => Decision, runtime: PolicyRuntime) => Decision | undefined;
  /**
   * The classification is kept and run again (an Execute of a prepared statement): its record, masked
   * and serialized once per policy, is kept with it (record-fragment.ts).
   */
  kept?: boolean;
}

/** The statements of one Query, Parse or Execute, and what the SQL guards read. */
export interface SqlRequest {
  target: TargetSpec;
  principal: Principal;
  audit: ScopedAudit;
  protocol: 'simple' | 'extended' | 'function-call';
  operations: SqlOperation[];
  stage: GateRequest['stage'];
  /** The target's catalog, for the masking guards. */
  catalog: Catalog;
  /** The text an approval is bound to (its sha256) and shows approvers (masked). Asked only when one is needed. */
  approvalText?: () => string;
  /** The result is fetched in parts (a row-limited Execute): a write's count would come too late for maxRowsAffected. */
  fetchedInParts?: boolean;
  reason?: string;
  closed: () => boolean;
  cancelled?: () => AbortSignal;
}

const STATEMENT: Wording = {
  noun: 'statement',
  nothing: 'nothing was executed',
  again: 'run the same statement again',
};

/** The gate's request for SQL statements. */
export function sqlRequest(r: SqlRequest): GateRequest {
  return new SqlGateRequest(r);
}

class SqlGateRequest implements GateRequest {
  readonly protocol: GateRequest['protocol'];
  readonly target: string;
  readonly principal: Principal;
  readonly audit: ScopedAudit;
  readonly operations: Operation[];
  readonly stage: GateRequest['stage'];
  readonly wording = STATEMENT;
  readonly reason?: string;
  readonly closed: () => boolean;
  readonly cancelled?: () => AbortSignal;

  constructor(readonly sql: SqlRequest) {
    this.protocol = sql.protocol;
    this.target = sql.target.name;
    this.principal = sql.principal;
    this.audit = sql.audit;
    this.stage = sql.stage;
    this.closed = sql.closed;
    if (sql.cancelled) this.cancelled = sql.cancelled;
    if (sql.reason) this.reason = sql.reason;
    this.operations = sql.operations.map((op) => new Statement(this.sql, op));
  }

  approval(held: Operation[], rt: PolicyRuntime): ApprovalBinding {
    return binding(
      this.sql,
      held.map((s) => (s as Statement).op.classification),
      rt,
    );
  }

  guard(decisions: Decision[], rt: PolicyRuntime): void {
    requestGuard(
      this.sql.operations.map((op) => op.classification),
      decisions,
      limitsOf(rt),
      this.sql.fetchedInParts ?? false,
    );
  }
}

class Statement implements Operation {
  readonly refused?: SqlOperation['refused'];

  constructor(
    private readonly req: SqlRequest,
    readonly op: SqlOperation,
  ) {
    if (op.refused) this.refused = op.refused;
  }

  decide(rt: PolicyRuntime): Decision {
    return decideOperation(this.op, rt, this.req.target, this.req.catalog, this.req.principal.triggeredBy);
  }

  record(): OperationRecord {
    const c = this.op.classification;
    return this.op.kept && c.text.length <= MAX_KEPT_TEXT ? keptRecord(c) : statementRecord(c);
  }

  approval(rt: PolicyRuntime): ApprovalBinding {
    return binding(this.req, [this.op.classification], rt);
  }

  refusal(d: Decision): Refuse {
    return denial(d, this.op.classification);
  }
}

/** What a statement's decision record says: a function of its classification alone. */
function statementRecord(c: Classification): OperationRecord {
  return {
    text: c.text,
    fields: {
      ...(c.fingerprint ? { fingerprint: c.fingerprint } : {}),
      kind: c.kind,
      effects: c.effects,
      tables: tableNames(c),
      ...(c.functions.length ? { functions: c.functions } : {}),
      ...(c.unboundedWrite ? { unboundedWrite: true } : {}),
      ...(c.reasons.length ? { reasons: c.reasons } : {}),
    },
  };
}

const kept = new WeakMap<Classification, OperationRecord>();

/**
 * Longest statement text whose record is kept with its prepared statement. What is kept is a masked,
 * JSON-escaped copy (up to six characters per character), for as long as the statement lives: a long
 * text is serialized at each Execute as before, so an agent's prepared statements cost the proxy about
 * their text, not several times it.
 */
const MAX_KEPT_TEXT = 4096;

/**
 * The record of a classification that is run again, kept with it and marked as standing for it
 * (`same`): a classification is never changed once resolved.
 */
function keptRecord(c: Classification): OperationRecord {
  let r = kept.get(c);
  if (r === undefined) kept.set(c, (r = { ...statementRecord(c), same: c }));
  return r;
}

function tableNames(c: Classification): string[] {
  return c.tables.map((t) => (t.schema ? `${t.schema}.${t.name}` : t.name));
}

/** An approval of the statements `held` (of one query): bound to the text it runs as; what it does is theirs together. */
function binding(req: SqlRequest, held: Classification[], rt: PolicyRuntime): ApprovalBinding {
  const text = req.approvalText?.() ?? held.map((c) => c.text).join('; ');
  const masked = rt.masker.maskText(text).text;
  const effects = [...new Set(held.flatMap((c) => c.effects))];
  const tables = [
    ...new Map(held.flatMap((c) => c.tables).map((t) => [t.schema ? `${t.schema}.${t.name}` : t.name, t])).values(),
  ];
  return {
    sha256: createHash('sha256').update(text).digest('hex'),
    text: masked,
    summary: approvalSummary({ kind: held.map((c) => c.kind), effects, tables }, text),
    effects,
    tables: tables.map((t) => (t.schema ? `${t.schema}.${t.name}` : t.name)),
    line: masked,
  };
}
