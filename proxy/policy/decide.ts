/**
 * The policy engine: first matching rule decides, else defaultAction. Knows nothing about protocols or
 * bytes: it sees a classification and a target. ReadOnly targets add a guard the rules cannot relax.
 */
import type { Classification, Effect, TableRef } from '../sql/types.js';
import { NAME_SETTINGS } from '../sql/settings.js';
import { globMatch } from './glob.js';
import type { Action, PolicySpec, RuleSpec, TargetSpec } from './types.js';

export interface Decision {
  action: Action;
  /** Rule that decided: a rule name, 'defaultAction', or a built-in guard such as 'read-only-target'. */
  rule: string;
  message?: string;
  /** Whether the proxy blocks the statement (false for Allow, and for any action in mode: Audit). */
  blocked: boolean;
}

const READ_ONLY_FORBIDDEN: Effect[] = ['write', 'ddl', 'privilege', 'admin', 'unknown'];

export class PolicyEngine {
  private readonly rules: RuleSpec[];
  private readonly audit: boolean;

  constructor(private readonly spec: PolicySpec) {
    this.rules = spec.rules ?? [];
    this.audit = spec.mode === 'Audit';
  }

  /** `person`: who triggered the run (run tokens), for `when.triggeredBy`. */
  decide(c: Classification, target: TargetSpec, person?: TriggeringPerson): Decision {
    if (target.access === 'ReadOnly') {
      // Lifting the upstream read-only backstop is refused even in Audit mode: it is the target's
      // guarantee, not a rule.
      if (c.liftsReadOnly) {
        return { action: 'Deny', rule: 'read-only-target', message: `target ${target.name} is read-only; this statement could lift its read-only guard`, blocked: true };
      }
      const bad = c.effects.find((e) => READ_ONLY_FORBIDDEN.includes(e));
      if (bad) return this.finish('Deny', 'read-only-target', `target ${target.name} is read-only; the statement has effect "${bad}"`);
    }
    // Table rules match unqualified names through the role's default search_path (sql/search-path.ts).
    const names = c.settings?.find((s) => NAME_SETTINGS.has(s));
    if (names) {
      const what = names === '*' ? 'a setting whose name is not a literal (it could be search_path)' : names;
      return this.finish('Deny', 'pinned-search-path', `${what} may not be changed through agentgate: it decides which table an unqualified name means; qualify table names with their schema instead`);
    }
    for (const rule of this.rules) {
      if (this.matches(rule, c, target, person)) return this.finish(rule.action, rule.name, rule.message);
    }
    return this.finish(this.spec.defaultAction, 'defaultAction');
  }

  private finish(action: Action, rule: string, message?: string): Decision {
    return { action, rule, ...(message ? { message } : {}), blocked: action !== 'Allow' && !this.audit };
  }

  private matches(rule: RuleSpec, c: Classification, target: TargetSpec, person: TriggeringPerson | undefined): boolean {
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
    if (sql.functions && !c.functions.some((f) => sql.functions!.some((p) => globMatch(p, f) || globMatch(p, f.split('.').pop()!)))) return false;
    return true;
  }
}

export interface TriggeringPerson {
  iss: string;
  groups?: string[];
}

/** Exact, case-sensitive group names, as the IdP asserted them; no person (no run token) never matches. */
export function triggeredByMatches(when: NonNullable<NonNullable<RuleSpec['when']>['triggeredBy']>, person: TriggeringPerson | undefined): boolean {
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
