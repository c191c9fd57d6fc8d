/**
 * Every built-in guard in one place: refusals that hold whatever the policy's rules say, each under
 * its own rule name. Rules decide what an agent may do; guards keep the promises rules cannot weaken
 * (a read-only target, pinned name resolution, runtime caps, masking that cannot be bypassed).
 *
 * Order (decide.ts): the target guards before any rule; the rules; then, on what the rules let
 * through, the limit, masking and statistics guards; last, the guards on a request as a whole.
 */
import type { PolicyRuntime } from '../policy/runtime.js';
import type { RuntimeLimits, TargetSpec } from '../../shared/contract/policy-types.js';
import type { Catalog } from '../sql/catalog.js';
import { copyOptionsRefusal } from '../sql/copy-options.js';
import { NAME_SETTINGS } from '../sql/settings.js';
import type { Classification, Effect } from '../sql/types.js';
import { derivedMask, launderingReason, STATISTICS_RELATIONS } from '../masking/lineage-rule.js';
import type { Decision } from './verdict.js';

const deny = (rule: string, message: string, blocked = true): Decision => ({ action: 'Deny', rule, message, blocked });

// ---------------------------------------------------------------- before the rules

const READ_ONLY_FORBIDDEN: Effect[] = ['write', 'ddl', 'privilege', 'admin', 'unknown'];

/**
 * The target's own guarantees, checked before any rule: a rule cannot allow past them. `audit`
 * (mode Audit) records instead of blocking, except that lifting a read-only target's upstream backstop
 * is refused always: it is the target's guarantee, not a rule.
 */
export function targetGuard(c: Classification, target: TargetSpec, audit: boolean): Decision | undefined {
  if (target.access === 'ReadOnly') {
    if (c.liftsReadOnly)
      return deny(
        'read-only-target',
        `target ${target.name} is read-only; this statement could lift its read-only guard`,
      );
    const bad = c.effects.find((e) => READ_ONLY_FORBIDDEN.includes(e));
    if (bad)
      return deny('read-only-target', `target ${target.name} is read-only; the statement has effect "${bad}"`, !audit);
  }
  // Table rules match unqualified names through the role's default search_path (sql/search-path.ts).
  const names = c.settings?.find((s) => NAME_SETTINGS.has(s));
  if (names) {
    const what = names === '*' ? 'a setting whose name is not a literal (it could be search_path)' : names;
    return deny(
      'pinned-search-path',
      `${what} may not be changed through agentgate: it decides which table an unqualified name means; qualify table names with their schema instead`,
      !audit,
    );
  }
  return undefined;
}

// ---------------------------------------------------------------- runtime limits (spec.runtimeLimits)

/** The runtime limits in force (none in mode: Audit, which blocks nothing). */
export function limitsOf(rt: PolicyRuntime): RuntimeLimits | undefined {
  return rt.policy.spec.mode === 'Audit' ? undefined : rt.policy.spec.runtimeLimits;
}

export const writes = (c: Classification): boolean => c.effects.includes('write');

/** Settings an agent may not bring in at connection start: statement_timeout while the policy sets it. */
export function startupSettingsGuard(names: string[], l: RuntimeLimits | undefined): string | undefined {
  if (l?.maxStatementSeconds === undefined || !names.some((k) => k.toLowerCase() === 'statement_timeout'))
    return undefined;
  return `startup parameter statement_timeout is not allowed: the policy sets it (maxStatementSeconds ${l.maxStatementSeconds}; rule limits-statement-timeout)`;
}

/** True when statements must run one at a time so the proxy can act on their outcome. */
export function rowCapsActive(l: RuntimeLimits | undefined): l is RuntimeLimits {
  return l?.maxRowsAffected !== undefined || l?.maxRowsReturned !== undefined;
}

const TAG_COUNTED = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);
/** Functions whose writes change no table row (a sequence's state): the only writes a capped SELECT may make. */
const SEQUENCE_FUNCTIONS = new Set(['nextval', 'setval', 'pg_catalog.nextval', 'pg_catalog.setval']);

/** Refusals the limits add to the policy's decision (the statement would escape a cap). */
export function limitsGuard(c: Classification, l: RuntimeLimits | undefined): Decision | undefined {
  if (l?.maxStatementSeconds !== undefined && c.settings?.some((s) => s === 'statement_timeout' || s === '*')) {
    return {
      action: 'Deny',
      rule: 'limits-statement-timeout',
      message: `statement_timeout is set by the policy (maxStatementSeconds ${l.maxStatementSeconds}) and may not be changed`,
      blocked: true,
    };
  }
  // `unknown` (DO, CALL, volatile functions) may write any number of rows that no tag reports.
  if (l?.maxRowsAffected === undefined || !(writes(c) || c.effects.includes('unknown'))) return undefined;
  const writtenTables = c.tables.filter((t) => t.access.includes('write') && !t.sequence).length;
  const onlySequences =
    !c.effects.includes('unknown') && (c.writingFunctions ?? []).every((f) => SEQUENCE_FUNCTIONS.has(f));
  if (writtenTables === 0 && c.kind === 'SelectStmt' && onlySequences && !c.nestedWrites) return undefined; // nextval(): no table rows change
  if (c.hiddenWrites?.length) {
    return refuseUncounted(
      l.maxRowsAffected,
      `this ${c.kind} writes a table whose writes change rows the command tag does not count (${c.hiddenWrites.join('; ')})`,
    );
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

// ---------------------------------------------------------------- masking and statistics

/**
 * On what the rules allowed: a statement that would carry masked values out where masking cannot
 * follow (masking-lineage), planner statistics (sample values of every analyzed column), and a COPY TO
 * the row masker cannot parse.
 */
export function maskingGuard(c: Classification, rt: PolicyRuntime, catalog: Catalog): Decision | undefined {
  const masker = rt.masker;
  const derived = masker.hasColumnRules ? derivedMask(masker, c.reads, c.tables, catalog, c.functions) : undefined;
  const laundering = launderingReason(c, derived, masker, catalog);
  if (laundering) return deny('masking-lineage', laundering);
  const statistics = plannerStatisticsRefusal(c, rt.policy.spec.mode === 'Audit');
  if (statistics) return statistics;
  if (c.copy?.direction === 'to' && c.copy.stdio && (masker.scansValues || masker.hasColumnRules)) {
    if (c.copy.format === 'binary')
      return deny('masking-copy-binary', 'COPY TO in binary format cannot be masked; use text or csv');
    const options = copyOptionsRefusal(c.copy);
    if (options) return deny('masking-copy-options', options);
    if (masker.hasColumnRules && !c.copy.columns)
      return deny(
        'masking-copy-columns',
        'COPY TO must name its columns (or use a query with named columns) so column masking applies',
      );
  }
  return undefined;
}

/**
 * Planner statistics (pg_stats and the catalogs behind it) quote sample values of every analyzed column:
 * most common values, histogram bounds. They would show the contents of a table a rule denies, or a
 * column a rule masks, without naming either. No agent needs them: they are refused in mode Enforce
 * whatever the policy says (in mode Audit, recorded as a would-be denial).
 */
export function plannerStatisticsRefusal(c: Classification, audit: boolean): Decision | undefined {
  const t = c.tables.find((x) => STATISTICS_RELATIONS.has(x.name));
  if (!t) return undefined;
  return deny(
    'planner-statistics',
    `${t.schema ? `${t.schema}.` : ''}${t.name} holds sample values of table columns (planner statistics), including tables and columns the policy protects; it cannot be read through agentgate`,
    !audit,
  );
}

// ---------------------------------------------------------------- a request as a whole

/**
 * Under row caps each write's outcome is checked on its own: inside a request of several statements
 * the rest would already have run; and a write fetched in parts reports its count only with the last
 * part, after every row changed. Replaces the decisions of such writes.
 */
export function requestGuard(
  classes: Classification[],
  decisions: Decision[],
  limits: RuntimeLimits | undefined,
  fetchedInParts: boolean,
): void {
  classes.forEach((c, i) => {
    if (!writes(c) || decisions[i]!.blocked) return;
    if (classes.length > 1 && rowCapsActive(limits))
      decisions[i] = deny(
        'limits-single-statement-writes',
        "under the policy's row limits a write must be sent as a query of its own",
      );
    else if (fetchedInParts && limits?.maxRowsAffected !== undefined)
      decisions[i] = deny(
        'limits-max-rows-affected',
        'under maxRowsAffected a write must be executed whole (Execute without a row limit)',
      );
  });
}

// ---------------------------------------------------------------- what a parser refuses on its own

/** A text the parser could not read: nothing unparsed goes through. */
export function unparseable(text: string, error: string): { classification: Classification; decision: Decision } {
  return {
    classification: {
      ...emptyClassification(text),
      kind: 'Unparsed',
      effects: ['unknown'],
      reasons: [`not parseable: ${error}`],
    },
    decision: deny('unparseable-statement', `statement could not be parsed (${error})`),
  };
}

/** PostgreSQL's fast-path function call bypasses SQL, so nothing could decide it. */
export function fastPathCall(): { classification: Classification; decision: Decision } {
  return {
    classification: {
      ...emptyClassification('<fast-path FunctionCall>'),
      kind: 'FunctionCall',
      effects: ['unknown'],
      reasons: ['the fast-path function call interface bypasses SQL and is not allowed'],
    },
    decision: deny('function-call-protocol', 'fast-path FunctionCall messages are not allowed through agentgate'),
  };
}

/** A statement longer than spec.protocolLimits allows: refused before it is parsed, its text not recorded. */
export function oversized(
  bytes: number,
  limit: number,
): { classification: Classification; decision: Decision; message: string } {
  const message = `statement of ${bytes} bytes exceeds the limit of ${limit} bytes (spec.protocolLimits.maxStatementBytes)`;
  return {
    classification: {
      ...emptyClassification(`<statement of ${bytes} bytes, not recorded>`),
      kind: 'Oversized',
      effects: ['unknown'],
      reasons: [message],
    },
    decision: deny('statement-size-limit', message),
    message,
  };
}

/** A FETCH/MOVE from a cursor the proxy did not see declared: its query cannot be decided. */
export function unknownCursor(name: string, audit: boolean): Decision {
  return deny(
    'unknown-cursor',
    `cursor "${name}" was not declared through agentgate in this session (a cursor opened by a function, procedure or DO block runs a query the proxy cannot decide)`,
    !audit,
  );
}

/** A read of a portal or cursor the server showed holding another object than the one the proxy decided. */
export function replacedCursor(name: string, audit: boolean): Decision {
  return deny(
    'replaced-cursor',
    `cursor "${name}" is no longer the one agentgate decided: code run since closed it and opened another under its name`,
    !audit,
  );
}

/** A read of a portal or cursor after other statements ran, where the proxy cannot ask the server about it. */
export function staleCursor(name: string, audit: boolean): Decision {
  return deny(
    'unchecked-cursor',
    `cursor "${name}" is read after other statements ran, and agentgate could not check that the server still holds the one it decided (it asks only between queries and after a Sync, before anything else runs); read it first in its own Query, or Execute it right after a Sync`,
    !audit,
  );
}

/**
 * An Execute that needs a Describe of the proxy's own (for its masking plan) where describing the portal may
 * run code that replaces it (an `EXECUTE p` whose analysis may run code): no check could follow it.
 */
export function describeMayReplace(name: string, audit: boolean): Decision {
  return deny(
    'unchecked-cursor',
    `portal "${name}" has no masking plan yet, and describing it has PostgreSQL analyse a statement that may run code replacing the portal; Describe it and Sync before you Execute it`,
    !audit,
  );
}

/** A FETCH/MOVE whose cursor's query the policy in force refuses. An approval given at DECLARE covered the policy of that time. */
export function cursorQueryRefused(name: string, d: Decision): Decision {
  return {
    ...d,
    action: 'Deny',
    message: `FETCH/MOVE from cursor "${name}": its query is refused under the current policy (rule ${d.rule}${d.message ? `: ${d.message}` : ''})`,
  };
}

export function emptyClassification(text: string): Classification {
  return {
    text,
    kind: 'EmptyStmt',
    effects: [],
    tables: [],
    functions: [],
    unboundedWrite: false,
    liftsReadOnly: false,
    reasons: [],
  };
}
