/**
 * What a protocol adapter hands the gate: the operations its parser extracted, who asks, for which
 * target, and the facts the built-in guards read. Nothing here is wire protocol.
 */
import type { ScopedAudit } from '../audit/audit-log.js';
import type { AuditFields } from '../audit/record.js';
import type { Principal } from '../identity/verify.js';
import type { PolicyRuntime } from '../policy/runtime.js';
import type { TargetSpec } from '../../shared/contract/policy-types.js';
import type { Catalog } from '../sql/catalog.js';
import type { Classification } from '../sql/types.js';
import type { Decision, Refuse } from './verdict.js';

export interface Operation {
  /** What the operation does, as the parser classified it (effects, tables, functions; for SQL, the parse tree's findings). */
  classification: Classification;
  /**
   * What else rules may test that the classification does not say, by name (e.g. an HTTP method, path
   * and headers for `when.http`, or the input of an expression). Rules over SQL read the classification only.
   */
  attributes?: Readonly<Record<string, unknown>>;
  /**
   * A refusal the parser reached on its own (unparseable, over the size limit, a message type never
   * allowed): recorded like any decision, whatever the policy says.
   */
  refused?: { decision: Decision; refusal: Refuse; record?: Partial<AuditFields> };
  /**
   * What the operation reads through state the adapter keeps (a FETCH from a cursor declared earlier):
   * a decision here replaces the rules'. `decide` decides another classification under `runtime`.
   */
  through?: (decide: (c: Classification) => Decision, runtime: PolicyRuntime) => Decision | undefined;
}

export interface GateRequest {
  target: TargetSpec;
  /** The verified identity (with its run and the person who triggered it, when the token says). */
  principal: Principal;
  /** The audit log scoped to what this request's records share (session, connection, principal, target). */
  audit: ScopedAudit;
  protocol: AuditFields['protocol'];
  /** In order; a refusal of one refuses them all. */
  operations: Operation[];
  /**
   * `prepare`: only refusals are recorded and approvals wait for the run (PostgreSQL's Parse);
   * `run`: every decision is recorded before anything is forwarded.
   */
  stage: 'prepare' | 'run';
  /** The target's catalog, for the masking guards. */
  catalog: Catalog;
  /** The text an approval is bound to (its sha256) and shows approvers (masked). Asked only when one is needed. */
  approvalText?: () => string;
  /** The result is fetched in parts (a row-limited Execute): a write's count would come too late for maxRowsAffected. */
  fetchedInParts?: boolean;
  /** The agent's stated reason for what it does next, shown to approvers. */
  reason?: string;
  /** True once the session is gone (a held operation then ends without an answer). */
  closed: () => boolean;
}
