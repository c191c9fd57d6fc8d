/**
 * Deciding one operation: the target's guards, then the first matching rule (else defaultAction), then
 * the guards on what the rules let through (guards.ts). Knows nothing about protocols or bytes: it sees
 * a classification, a target and the policy in force.
 */
import type { PolicyRuntime } from '../policy/runtime.js';
import { globMatch } from '../../shared/policy-language/glob.js';
import type { Catalog } from '../sql/catalog.js';
import type { Classification, TableRef } from '../sql/types.js';
import type { Action, PolicySpec, RuleSpec, TargetSpec } from '../../shared/contract/policy-types.js';
import { limitsGuard, limitsOf, maskingGuard, targetGuard } from './guards.js';
import type { SqlOperation } from './sql-request.js';
import type { Decision } from './verdict.js';

export type { Decision };

/** One operation's decision under `rt`. */
export function decideOperation(
  op: SqlOperation,
  rt: PolicyRuntime,
  target: TargetSpec,
  catalog: Catalog,
  person?: TriggeringPerson,
): Decision {
  if (op.refused) return op.refused.decision;
  const decide = (c: Classification): Decision => decideOperation({ classification: c }, rt, target, catalog, person);
  const through = op.through?.(decide, rt);
  if (through) return through;
  const c = op.classification;
  const d = rt.engine.decide(c, target, person);
  const capped = limitsGuard(c, limitsOf(rt));
  if (capped && (!d.blocked || d.action === 'RequireApproval')) return capped;
  if (d.blocked) return d;
  return maskingGuard(c, rt, catalog) ?? d;
}

/** The policy's rules: the first that matches decides, else defaultAction; the target's guards come first. */
export class PolicyEngine {
  private readonly rules: RuleSpec[];
  private readonly audit: boolean;

  constructor(private readonly spec: PolicySpec) {
    this.rules = spec.rules ?? [];
    this.audit = spec.mode === 'Audit';
  }

  /** `person`: who triggered the run (run tokens), for `when.triggeredBy`. */
  decide(c: Classification, target: TargetSpec, person?: TriggeringPerson): Decision {
    const guarded = targetGuard(c, target, this.audit);
    if (guarded) return guarded;
    for (const rule of this.rules) {
      if (this.matches(rule, c, target, person)) return this.finish(rule.action, rule.name, rule.message);
    }
    return this.finish(this.spec.defaultAction, 'defaultAction');
  }

  private finish(action: Action, rule: string, message?: string): Decision {
    return { action, rule, ...(message ? { message } : {}), blocked: action !== 'Allow' && !this.audit };
  }

  private matches(
    rule: RuleSpec,
    c: Classification,
    target: TargetSpec,
    person: TriggeringPerson | undefined,
  ): boolean {
    const when = rule.when;
    if (!when) return true;
    if (when.targets && !when.targets.includes(target.name)) return false;
    if (when.triggeredBy && !triggeredByMatches(when.triggeredBy, person)) return false;
    // A rule on HTTP requests says nothing about SQL statements (proxy/http/decide-http.ts decides those).
    if (when.http || when.mcp) return false;
    const sql = when.sql;
    if (!sql) return true;
    if (sql.effects && !sql.effects.some((e) => c.effects.includes(e))) return false;
    if (sql.unboundedWrite !== undefined && sql.unboundedWrite !== c.unboundedWrite) return false;
    if (sql.tables && !c.tables.some((t) => sql.tables!.some((p) => tableMatches(p, t)))) return false;
    if (
      sql.functions &&
      !c.functions.some((f) => sql.functions!.some((p) => globMatch(p, f) || globMatch(p, f.split('.').pop()!)))
    )
      return false;
    return true;
  }
}

export interface TriggeringPerson {
  iss: string;
  groups?: string[];
}

/** Exact, case-sensitive group names, as the IdP asserted them; no person (no run token) never matches. */
export function triggeredByMatches(
  when: NonNullable<NonNullable<RuleSpec['when']>['triggeredBy']>,
  person: TriggeringPerson | undefined,
): boolean {
  if (!person) return false;
  if (when.issuers && !when.issuers.includes(person.iss)) return false;
  if (when.groups && !when.groups.some((g) => person.groups?.includes(g))) return false;
  return true;
}

/**
 * `schema.table` patterns match a qualified reference, or an unqualified one through every name it can
 * resolve to (its candidates: each schema of the pinned search_path, whether or not the catalog snapshot
 * holds it there yet, and each schema the snapshot holds it in); an unqualified name without candidates
 * is taken as public. Patterns without a dot match the table name in any schema.
 */
export function tableMatches(pattern: string, t: TableRef): boolean {
  if (!pattern.includes('.')) return globMatch(pattern, t.name);
  const names = t.schema ? [`${t.schema}.${t.name}`] : (t.candidates ?? [`public.${t.name}`]);
  return names.some((n) => globMatch(pattern, n));
}
