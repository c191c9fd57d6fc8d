/**
 * Statement shape: what the PostgreSQL grammar (libpg_query's parse tree) says one statement does.
 * Walks the JSON parse tree; never looks at SQL text, so literals, comments, dollar quotes and quoted
 * identifiers cannot fool it. Unknown node types fail closed as `unknown`.
 *
 * The JSON omits default values (false, 0, empty lists): every read of a flag treats "absent" as the
 * default, e.g. `BEGIN READ WRITE` has `transaction_read_only` with an empty `ival` (= 0 = false).
 */
import { settingChange, unknownSettingChange, type SettingChange } from './settings.js';
import { cursorOp } from './cursor-op.js';
import { transactionOp } from './transaction-op.js';
import { columnReads, copySources } from './lineage.js';
import { attributeCallNames } from './attribute-notation.js';
import { relationArgument } from './relation-args.js';
import type { CopyInfo, Effect, FunctionRef, StatementShape, TableAccess } from './types.js';

// Parse-tree JSON is untyped by nature; this module and lineage.ts are its only readers.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Node = any;

const PRIVILEGE_STMTS = new Set([
  'GrantStmt',
  'GrantRoleStmt',
  'CreateRoleStmt',
  'AlterRoleStmt',
  'AlterRoleSetStmt',
  'DropRoleStmt',
  'ReassignOwnedStmt',
  'DropOwnedStmt',
  'AlterDefaultPrivilegesStmt',
  'AlterOwnerStmt',
  'SecLabelStmt',
  'CreatePolicyStmt',
  'AlterPolicyStmt',
]);

const PRIVILEGE_SUBTYPES = new Set([
  'AT_ChangeOwner',
  'AT_EnableRowSecurity',
  'AT_DisableRowSecurity',
  'AT_ForceRowSecurity',
  'AT_NoForceRowSecurity',
]);

const ADMIN_STMTS = new Set([
  'VacuumStmt',
  'ReindexStmt',
  'ClusterStmt',
  'CheckPointStmt',
  'LoadStmt',
  'AlterSystemStmt',
  'CreateExtensionStmt',
  'AlterExtensionStmt',
  'AlterExtensionContentsStmt',
  'CreateFdwStmt',
  'AlterFdwStmt',
  'CreateForeignServerStmt',
  'AlterForeignServerStmt',
  'CreateUserMappingStmt',
  'AlterUserMappingStmt',
  'DropUserMappingStmt',
  'ImportForeignSchemaStmt',
  'CreateSubscriptionStmt',
  'AlterSubscriptionStmt',
  'DropSubscriptionStmt',
  'CreatePublicationStmt',
  'AlterPublicationStmt',
  'CreateTableSpaceStmt',
  'DropTableSpaceStmt',
  'AlterTableSpaceOptionsStmt',
  'CreatedbStmt',
  'DropdbStmt',
  'AlterDatabaseStmt',
  'AlterDatabaseSetStmt',
  'AlterDatabaseRefreshCollStmt',
  'CreateEventTrigStmt',
  'AlterEventTrigStmt',
  'CreatePLangStmt',
  'ReplicaIdentityStmt',
]);

const SESSION_STMTS = new Set([
  'VariableShowStmt',
  'ListenStmt',
  'UnlistenStmt',
  'NotifyStmt',
  'DiscardStmt',
  'DeallocateStmt',
]);

/** Statements whose SET clauses change settings (for every call, or for the role's, database's or server's sessions). */
const SET_CLAUSE_STMTS = new Set([
  'CreateFunctionStmt',
  'AlterFunctionStmt',
  'AlterRoleSetStmt',
  'AlterDatabaseSetStmt',
  'AlterSystemStmt',
]);

const DDL_PREFIX = /^(Create|Alter|Drop|Rename|Comment|Define|Composite)/;

const DATA_MODIFYING = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

class ShapeBuilder {
  readonly effects = new Set<Effect>();
  readonly tables = new Map<string, { schema?: string; name: string; access: Set<TableAccess>; sequence?: true }>();
  readonly functions: FunctionRef[] = [];
  /** Possible attribute-notation calls (`c.f` = `f(c)`), for resolve.ts to decide with the catalog. */
  readonly attributeCalls = { row: new Set<string>(), any: new Set<string>() };
  readonly reasons: string[] = [];
  unboundedWrite = false;
  /** A constant comparison with an unqualified operator was decided (see constValue). */
  private catalogOperatorDecided = false;
  liftsReadOnly = false;
  executes?: string;
  prepares?: string;
  deallocates?: string;
  copy?: CopyInfo;
  setting?: { name: string; value: string };
  /** Settings the statement changes for the session or the transaction (SET, set_config, SET clauses). */
  readonly settingsChanged = new Set<string>();
  /** CTE names visible at the current point of the walk (innermost WITH last). */
  private readonly cteScopes: string[][] = [];
  /** DDL bodies are walked for the tables they touch, not for function calls they define. */
  private collectFunctions = true;
  /** Statements being walked around the current point (0: the top level). */
  private depth = 0;
  /** A data-modifying statement below the top level (a writable CTE at any depth, EXPLAIN ANALYZE, PREPARE). */
  nestedWrites = false;

  /**
   * A relation the statement names. An unqualified name refers to a visible CTE of that name, except
   * where the grammar only takes a real relation (`realRelation`: DML targets, TRUNCATE, LOCK, COPY,
   * INTO, and names already resolved by an inner walk).
   */
  addTable(rv: Node, access: TableAccess, realRelation = false, sequence = false): void {
    const name: string = rv.relname;
    const schema: string | undefined = rv.schemaname || undefined;
    if (!schema && !realRelation && this.cteScopes.some((s) => s.includes(name))) return;
    const key = `${sequence ? 'sequence:' : ''}${schema ?? ''}.${name}`;
    let t = this.tables.get(key);
    if (!t)
      this.tables.set(key, (t = { schema, name, access: new Set(), ...(sequence ? { sequence: true as const } : {}) }));
    t.access.add(access);
  }

  addFunction(fc: Node): void {
    const parts: string[] = (fc.funcname ?? []).map((p: Node) => p.String?.sval ?? '');
    const name = parts[parts.length - 1] ?? '';
    const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
    const ref: FunctionRef = { name, ...(schema ? { schema } : {}) };
    if (name === 'set_config') {
      const first = fc.args?.[0];
      const lit = constString(first);
      if (lit !== undefined) ref.settingName = lit.toLowerCase();
    }
    this.functions.push(ref);
  }

  /** nextval('payroll.run_seq') and the like touch the relation named in a string (relation-args.ts). */
  private relationArgument(fc: Node): void {
    const r = relationArgument(fc);
    if (!r) return;
    if ('relation' in r) return this.addTable(r.relation, r.access, true, true);
    this.effects.add('unknown');
    this.reasons.push(r.unknown);
  }

  /** Generic walk: collects tables (as read) and function calls, dispatches nested statements. */
  walk(node: Node): void {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const n of node) this.walk(n);
      return;
    }
    if (typeof node.relname === 'string') {
      this.addTable(node, 'read');
      return;
    }
    if (isBareSelect(node)) {
      this.select(node);
      return;
    }
    for (const key of Object.keys(node)) {
      const v = node[key];
      if (key === 'FuncCall') {
        if (this.collectFunctions) this.addFunction(v);
        this.relationArgument(v);
        this.walk(v.args);
        this.walk(v.agg_order);
        this.walk(v.agg_filter);
        this.walk(v.over);
      } else if (key === 'ColumnRef' || key === 'A_Indirection') {
        if (this.collectFunctions) {
          const names = attributeCallNames(key, v);
          names.row.forEach((n) => this.attributeCalls.row.add(n));
          names.any.forEach((n) => this.attributeCalls.any.add(n));
        }
        this.walk(v);
      } else if (key.endsWith('Stmt') && v && typeof v === 'object' && !Array.isArray(v)) {
        this.statement(key, v);
      } else if (typeof v === 'object') {
        this.walk(v);
      }
    }
  }

  /**
   * PostgreSQL's WITH scoping: a CTE's body sees the CTEs before it (all of them, itself included, under
   * RECURSIVE) and the outer scopes; the statement after WITH sees them all.
   */
  private withCtes(body: Node, fn: () => void): void {
    const ctes: Node[] = body.withClause?.ctes ?? [];
    if (ctes.length === 0) return fn();
    const names: string[] = ctes.map((c) => c.CommonTableExpr?.ctename ?? '');
    const recursive = Boolean(body.withClause.recursive);
    const scope = recursive ? [...names] : [];
    this.cteScopes.push(scope);
    try {
      ctes.forEach((c, i) => {
        this.walk(c.CommonTableExpr?.ctequery);
        if (!recursive) scope.push(names[i]!);
      });
      fn();
    } finally {
      this.cteScopes.pop();
    }
  }

  private select(body: Node): void {
    this.withCtes(body, () => {
      this.effects.add('read');
      const { withClause: _w, intoClause, lockingClause, ...rest } = body;
      for (const v of Object.values(rest)) this.walk(v);
      if (lockingClause?.length) {
        // SELECT ... FOR UPDATE/SHARE takes row locks: a hidden write on the locked tables.
        this.effects.add('write');
        for (const rv of rangeVarsOf(body.fromClause)) this.addTable(rv, 'write');
      }
      if (intoClause) {
        this.effects.add('ddl').add('write');
        this.addTable(intoClause.rel, 'write', true);
      }
    });
  }

  statement(kind: string, body: Node): void {
    if (this.depth > 0 && DATA_MODIFYING.has(kind)) this.nestedWrites = true;
    this.depth++;
    try {
      this.statementBody(kind, body);
    } finally {
      this.depth--;
    }
  }

  private statementBody(kind: string, body: Node): void {
    switch (kind) {
      case 'SelectStmt':
        return this.select(body);
      case 'InsertStmt':
      case 'UpdateStmt':
      case 'DeleteStmt':
      case 'MergeStmt':
        return this.withCtes(body, () => {
          this.effects.add('write');
          const { withClause: _w, relation, whereClause, joinCondition, ...rest } = body;
          this.addTable(relation, 'write', true);
          for (const v of Object.values(rest)) this.walk(v);
          this.walk(whereClause);
          this.walk(joinCondition);
          const target = writeTarget(relation, kind === 'MergeStmt' || !!(body.usingClause ?? body.fromClause)?.length);
          if (kind === 'UpdateStmt' || kind === 'DeleteStmt') {
            if (this.unbounded(whereClause, target)) this.unboundedWrite = true;
          } else if (kind === 'MergeStmt' && (this.unbounded(joinCondition, target) || bySourceWrite(body))) {
            this.unboundedWrite = true;
          }
        });
      case 'TruncateStmt':
        this.effects.add('write');
        this.unboundedWrite = true;
        for (const rv of rangeVarsOf(body.relations)) this.addTable(rv, 'write', true);
        return;
      case 'LockStmt':
        this.effects.add('write');
        for (const rv of rangeVarsOf(body.relations)) this.addTable(rv, 'write', true);
        return;
      case 'ExplainStmt': {
        const analyze = (body.options ?? []).some(
          (o: Node) => o.DefElem?.defname === 'analyze' && defElemBool(o.DefElem) !== false,
        );
        if (analyze) return this.walk(body.query);
        // Plain EXPLAIN plans without executing: the tables it names are read, nothing else happens.
        const inner = new ShapeBuilder();
        inner.walk(body.query);
        this.effects.add('read');
        for (const t of inner.tables.values()) this.addTable({ relname: t.name, schemaname: t.schema }, 'read', true);
        return;
      }
      case 'CopyStmt':
        return this.copyStmt(body);
      case 'PrepareStmt':
        this.prepares = body.name;
        return this.walk(body.query);
      case 'ExecuteStmt':
        this.executes = body.name;
        return this.walk(body.params);
      case 'DeallocateStmt':
        this.effects.add('session');
        this.deallocates = body.isall || !body.name ? '*' : body.name;
        return;
      case 'DeclareCursorStmt':
        return this.walk(body.query);
      case 'FetchStmt':
      case 'ClosePortalStmt':
        this.effects.add('read');
        return;
      case 'TransactionStmt':
        this.effects.add('transaction');
        if (liftsViaOptions(body.options)) this.liftsReadOnly = true;
        return;
      case 'VariableSetStmt':
        return this.variableSet(body);
      case 'DoStmt':
        this.effects.add('unknown');
        this.reasons.push('DO blocks run arbitrary procedural code');
        return;
      case 'CallStmt':
        this.effects.add('unknown');
        this.reasons.push('CALL runs a procedure whose effects the proxy cannot see');
        return;
      case 'CreateTableAsStmt':
        this.effects.add('ddl').add('write');
        this.addTable(body.into?.rel, 'write', true);
        return this.walk(body.query);
      case 'RefreshMatViewStmt':
        this.effects.add('write');
        this.addTable(body.relation, 'write', true);
        return;
      case 'DiscardStmt':
        this.effects.add('session');
        if (body.target === 'DISCARD_ALL') this.deallocates = '*';
        return;
    }
    if (SET_CLAUSE_STMTS.has(kind)) this.setClauses(kind, body);
    if (SESSION_STMTS.has(kind)) {
      this.effects.add('session');
      return;
    }
    for (const rv of relationsNamedByList(kind, body)) this.addTable(rv, 'write', true);
    if (PRIVILEGE_STMTS.has(kind)) {
      this.effects.add('privilege');
      if (kind === 'CreatePolicyStmt' || kind === 'AlterPolicyStmt') this.effects.add('ddl');
      return this.walkTablesOnly(body, 'write');
    }
    if (ADMIN_STMTS.has(kind)) {
      this.effects.add('admin');
      if (kind === 'AlterSystemStmt') this.liftsReadOnly = true;
      return this.walkTablesOnly(body, 'write');
    }
    if (DDL_PREFIX.test(kind) || kind === 'IndexStmt' || kind === 'ViewStmt' || kind === 'RuleStmt') {
      this.effects.add('ddl');
      // Ownership and row-level security changes are privilege changes, whatever statement carries them.
      if (
        kind === 'AlterTableStmt' &&
        (body.cmds ?? []).some((c: Node) => PRIVILEGE_SUBTYPES.has(c.AlterTableCmd?.subtype))
      )
        this.effects.add('privilege');
      return this.walkTablesOnly(body, 'write');
    }
    this.effects.add('unknown');
    this.reasons.push(`statement type ${kind} is not classified`);
  }

  private walkTablesOnly(body: Node, access: TableAccess): void {
    const inner = new ShapeBuilder();
    inner.collectFunctions = false;
    inner.walk(body);
    for (const t of inner.tables.values()) this.addTable({ relname: t.name, schemaname: t.schema }, access, true);
  }

  private variableSet(body: Node): void {
    const name: string = (body.name ?? '').toLowerCase();
    if (body.kind === 'VAR_RESET_ALL') {
      this.effects.add('session');
      this.liftsReadOnly = true;
      return;
    }
    if (name === 'transaction' || name === 'session characteristics' || name === 'transaction snapshot') {
      this.effects.add(name === 'session characteristics' ? 'session' : 'transaction');
      if (liftsViaOptions(body.args)) this.liftsReadOnly = true;
      return;
    }
    if (name.startsWith('agentgate.')) {
      // The agent's own annotations for the evidence trail, e.g. SET agentgate.reason = 'ticket 42'.
      this.setting = { name, value: constString(body.args?.[0]) ?? '' };
    }
    this.settingChange(settingChange(name, body.kind === 'VAR_RESET' ? 'RESET' : 'SET'));
  }

  private settingChange(c: SettingChange): void {
    this.settingsChanged.add(c.setting);
    this.effects.add(c.effect);
    if (c.liftsReadOnly) this.liftsReadOnly = true;
    if (c.reason) this.reasons.push(c.reason);
  }

  /** SET clauses of CREATE/ALTER FUNCTION|PROCEDURE and ALTER ROLE|DATABASE: the same verdicts as SET. */
  private setClauses(kind: string, body: Node): void {
    const route = `${kind.replace(/Stmt$/, '')} ... SET`;
    const visit = (n: Node): void => {
      if (!n || typeof n !== 'object') return;
      if (Array.isArray(n)) return n.forEach(visit);
      // ALTER ROLE/DATABASE hold the statement unwrapped in `setstmt`; RESET ALL there only drops defaults.
      const v = n.VariableSetStmt ?? n.setstmt;
      if (v) {
        if (v.kind !== 'VAR_RESET_ALL') this.settingChange(settingChange(v.name ?? '', route));
        return;
      }
      for (const k of Object.keys(n)) visit(n[k]);
    };
    visit(body);
  }

  private copyStmt(body: Node): void {
    const options: Node[] = (body.options ?? []).map((o: Node) => o.DefElem).filter(Boolean);
    const opt = (n: string): string | undefined => {
      const d = options.find((o) => o.defname === n);
      return d ? (d.arg?.String?.sval ?? '') : undefined;
    };
    const formatOpt = opt('format')?.toLowerCase();
    const format: CopyInfo['format'] = formatOpt === 'csv' ? 'csv' : formatOpt === 'binary' ? 'binary' : 'text';
    const direction = body.is_from ? 'from' : 'to';
    const stdio = !body.filename && !body.is_program;
    const columns: string[] | undefined = body.attlist?.length
      ? body.attlist.map((a: Node) => a.String?.sval)
      : body.query
        ? targetNames(body.query)
        : undefined;
    this.copy = {
      direction,
      stdio,
      format,
      ...(opt('delimiter') !== undefined ? { delimiter: opt('delimiter') } : {}),
      ...(opt('quote') !== undefined ? { quote: opt('quote') } : {}),
      ...(opt('escape') !== undefined ? { escape: opt('escape') } : {}),
      ...(opt('null') !== undefined ? { nullString: opt('null') } : {}),
      ...(opt('encoding') !== undefined ? { encoding: opt('encoding') } : {}),
      options: options.map((o) => String(o.defname).toLowerCase()),
      ...(columns ? { columns } : {}),
      ...(body.query ? { sources: copySources(body.query) } : columns ? { sources: columns } : {}),
    };
    if (!stdio) {
      this.effects.add('admin');
      this.reasons.push(body.is_program ? 'COPY runs a server program' : 'COPY reads or writes a server file');
    }
    if (body.relation) {
      this.effects.add(body.is_from ? 'write' : 'read');
      this.addTable(body.relation, body.is_from ? 'write' : 'read', true);
    }
    if (body.query) this.walk(body.query);
    this.walk(body.whereClause);
  }

  /**
   * A WHERE that cannot tell rows apart touches every row (or none): missing, constant-true, or free of
   * any column reference (`WHERE $1`, `WHERE EXISTS (SELECT 1)`). Constant-false (`1=0`) is bounded.
   */
  private unbounded(where: Node, target: WriteTarget): boolean {
    if (!where) return true;
    if (where.CurrentOfExpr) return false;
    const value = this.constValue(where);
    if (value !== undefined) return value;
    return !readsTargetColumn(where, target) || this.tautology(where, target);
  }

  /** `a = a`, `x OR true`-style tautologies that do reference columns. */
  private tautology(n: Node, target: WriteTarget): boolean {
    if (n.BoolExpr?.boolop === 'OR_EXPR')
      return (n.BoolExpr.args ?? []).some((a: Node) => this.rowBlind(a, target) || this.tautology(a, target));
    if (n.BoolExpr?.boolop === 'AND_EXPR')
      return (n.BoolExpr.args ?? []).every((a: Node) => this.rowBlind(a, target) || this.tautology(a, target));
    const e = n.A_Expr;
    if (
      e?.kind === 'AEXPR_OP' &&
      ['=', '<=', '>='].includes(opName(e)) &&
      e.lexpr?.ColumnRef &&
      // A ColumnRef holds no constant, so the two sides are equal only if neither does: no literal's value
      // decides this (literal-template.ts relies on it).
      JSON.stringify(stripLoc(e.lexpr)) === JSON.stringify(stripLoc(e.rexpr))
    )
      return true;
    return false;
  }

  /**
   * A condition that reads no column and is not known to be false (`1 IS NOT NULL`, `1::boolean`, `$1`,
   * `now() IS NOT NULL`): it tells no rows apart, so when it holds, it holds for every row.
   */
  private rowBlind(n: Node, target: WriteTarget): boolean {
    return !readsTargetColumn(n, target) && this.constValue(n) !== false;
  }

  /** Tri-state constant evaluation of a boolean expression: true, false, or undefined (depends on rows). */
  private constValue(n: Node): boolean | undefined {
    if (!n || typeof n !== 'object') return undefined;
    if (n.A_Const) {
      const c = n.A_Const;
      if (c.boolval) return Boolean(c.boolval.boolval);
      if (c.sval) return pgBool(c.sval.sval ?? '');
      return undefined;
    }
    // Only a literal cast straight to boolean: other casts change values (`1.4::int`, `'x'::char(1)`).
    if (n.TypeCast)
      return castToBoolean(n.TypeCast) && n.TypeCast.arg?.A_Const ? this.constValue(n.TypeCast.arg) : undefined;
    if (n.BoolExpr) {
      const vals = (n.BoolExpr.args ?? []).map((a: Node) => this.constValue(a));
      switch (n.BoolExpr.boolop) {
        case 'AND_EXPR':
          return vals.includes(false) ? false : vals.every((v: unknown) => v === true) ? true : undefined;
        case 'OR_EXPR':
          return vals.includes(true) ? true : vals.every((v: unknown) => v === false) ? false : undefined;
        case 'NOT_EXPR':
          return vals[0] === undefined ? undefined : !vals[0];
      }
      return undefined;
    }
    const e = n.A_Expr;
    if (e?.kind === 'AEXPR_OP') {
      // The right side is read only when the left is a constant: `id = 5` does not depend on the 5.
      const l = constScalar(e.lexpr);
      const r = l === undefined ? undefined : constScalar(e.rexpr);
      if (l === undefined || r === undefined) return undefined;
      const value = compare(opName(e), l, r);
      // An unqualified operator is pg_catalog's only while pg_catalog comes first in the search path,
      // which the catalog knows (resolve.ts).
      if (value !== undefined && (e.name ?? []).length === 1) this.catalogOperatorDecided = true;
      return value;
    }
    return undefined;
  }

  build(location: number, length: number, kind: string): StatementShape {
    // pg_settings has an UPDATE rule that calls set_config() for the named row: which one is data.
    for (const t of this.tables.values()) {
      if (t.name === 'pg_settings' && (!t.schema || t.schema === 'pg_catalog') && t.access.has('write'))
        this.settingChange(unknownSettingChange('a write to pg_settings'));
    }
    return {
      kind,
      effects: [...this.effects],
      tables: [...this.tables.values()].map((t) => ({
        ...(t.schema ? { schema: t.schema } : {}),
        name: t.name,
        access: [...t.access].sort(),
        ...(t.sequence ? { sequence: t.sequence } : {}),
      })),
      functions: this.functions,
      unboundedWrite: this.unboundedWrite,
      ...(this.catalogOperatorDecided && !this.unboundedWrite ? { boundedByCatalogOperators: true } : {}),
      liftsReadOnly: this.liftsReadOnly,
      ...(this.executes !== undefined ? { executes: this.executes } : {}),
      ...(this.prepares !== undefined ? { prepares: this.prepares } : {}),
      ...(this.deallocates !== undefined ? { deallocates: this.deallocates } : {}),
      ...(this.copy ? { copy: this.copy } : {}),
      ...(this.setting ? { setting: this.setting } : {}),
      ...(this.settingsChanged.size ? { settings: [...this.settingsChanged] } : {}),
      ...(this.nestedWrites ? { nestedWrites: true as const } : {}),
      ...(this.attributeCalls.row.size + this.attributeCalls.any.size
        ? { attributeCalls: { row: [...this.attributeCalls.row].sort(), any: [...this.attributeCalls.any].sort() } }
        : {}),
      reasons: this.reasons,
      location,
      length,
    };
  }
}

/**
 * Reads of a numeric constant's value (an integer's, or a numeric constant's text) while shapes are made.
 * Every such read goes through `integerValue` or `numericValue`, so the classifier can tell a shape that
 * no literal decided (literal-template.ts; test/unit/literal-template.test.ts keeps every read of `ival`
 * and `fval` in this module going through them).
 */
let constantValueReads = 0;
export const constantReads = (): number => constantValueReads;

function integerValue(v: { ival?: number }): number {
  constantValueReads++;
  return v.ival ?? 0;
}

function numericValue(v: { fval?: string }): string {
  constantValueReads++;
  return v.fval ?? '';
}

/** Shape of one top-level statement from libpg_query's `stmts[i]`. */
export function shapeOf(raw: Node, sqlLength: number): StatementShape {
  const location: number = raw.stmt_location ?? 0;
  const length: number = raw.stmt_len || sqlLength - location;
  const stmt = raw.stmt ?? {};
  const kind = Object.keys(stmt)[0] ?? 'EmptyStmt';
  const b = new ShapeBuilder();
  b.statement(kind, stmt[kind]);
  const cursor = cursorOp(kind, stmt[kind]);
  const transaction = transactionOp(kind, stmt[kind]);
  return {
    ...b.build(location, length, kind),
    reads: columnReads(kind, stmt[kind]),
    ...(cursor ? { cursor } : {}),
    ...(transaction ? { transaction } : {}),
  };
}

const RELATION_OBJECTS = new Set([
  'OBJECT_TABLE',
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_FOREIGN_TABLE',
  'OBJECT_SEQUENCE',
]);

/** Relations that DROP, COMMENT ON and SECURITY LABEL ON name as name lists rather than RangeVars. */
function relationsNamedByList(kind: string, body: Node): Node[] {
  const lists: Node[] =
    kind === 'DropStmt' && RELATION_OBJECTS.has(body.removeType)
      ? (body.objects ?? [])
      : (kind === 'CommentStmt' || kind === 'SecLabelStmt') &&
          (RELATION_OBJECTS.has(body.objtype) || body.objtype === 'OBJECT_COLUMN')
        ? [body.object]
        : [];
  return lists.flatMap((l: Node) => {
    const parts: string[] = (l?.List?.items ?? []).map((i: Node) => i.String?.sval ?? '');
    if (kind !== 'DropStmt' && body.objtype === 'OBJECT_COLUMN') parts.pop();
    if (parts.length === 0) return [];
    return [{ relname: parts[parts.length - 1], ...(parts.length > 1 ? { schemaname: parts[parts.length - 2] } : {}) }];
  });
}

function isBareSelect(n: Node): boolean {
  return typeof n.op === 'string' && n.op.startsWith('SETOP_') && typeof n.limitOption === 'string';
}

function rangeVarsOf(list: Node): Node[] {
  const out: Node[] = [];
  const visit = (n: Node): void => {
    if (!n || typeof n !== 'object') return;
    if (Array.isArray(n)) return n.forEach(visit);
    if (typeof n.relname === 'string') return void out.push(n);
    if (n.RangeVar) return void out.push(n.RangeVar);
    if (n.JoinExpr) {
      visit(n.JoinExpr.larg);
      visit(n.JoinExpr.rarg);
    }
  };
  visit(list);
  return out;
}

function liftsViaOptions(options: Node): boolean {
  return (options ?? []).some((o: Node) => {
    const d = o.DefElem;
    if (d?.defname !== 'transaction_read_only') return false;
    const c = d.arg?.A_Const;
    return !(c?.ival ? integerValue(c.ival) : 0);
  });
}

function defElemBool(d: Node): boolean | undefined {
  if (!d.arg) return undefined;
  const c = d.arg.A_Const ?? d.arg;
  if (c.boolval) return Boolean(c.boolval.boolval);
  if (c.String) return pgBool(c.String.sval ?? '');
  if (c.sval) return pgBool(c.sval.sval ?? '');
  if (c.ival) return Boolean(integerValue(c.ival));
  if (c.Integer) return Boolean(integerValue(c.Integer));
  return undefined;
}

function pgBool(s: string): boolean | undefined {
  const v = s.trim().toLowerCase();
  if (['t', 'true', 'y', 'yes', 'on', '1'].includes(v)) return true;
  if (['f', 'false', 'n', 'no', 'off', '0'].includes(v)) return false;
  return undefined;
}

function constString(n: Node): string | undefined {
  if (!n) return undefined;
  if (n.TypeCast) return constString(n.TypeCast.arg);
  const c = n.A_Const;
  if (!c) return undefined;
  if (c.sval) return c.sval.sval ?? '';
  return undefined;
}

/** A literal's value: a numeric constant (`1.5`, a bigint past 32 bits) as its text, which JavaScript numbers would round. */
type Scalar =
  | { kind: 'integer'; v: number }
  | { kind: 'numeric'; v: string }
  | { kind: 'string'; v: string }
  | { kind: 'boolean'; v: boolean };

/** An uncast, non-NULL literal's value (a cast may change it: `1.4::int`, `1::boolean`); otherwise unknown. */
function constScalar(n: Node): Scalar | undefined {
  const c = n?.A_Const;
  if (!c || c.isnull) return undefined;
  if (c.ival) return { kind: 'integer', v: integerValue(c.ival) };
  if (c.fval) return { kind: 'numeric', v: numericValue(c.fval) };
  if (c.sval) return { kind: 'string', v: c.sval.sval ?? '' };
  if (c.boolval) return { kind: 'boolean', v: Boolean(c.boolval.boolval) };
  return undefined;
}

/**
 * `::boolean` or `::pg_catalog.bool` (both parse to pg_catalog.bool), no type modifier, no array. A bare
 * `::bool` or `::"boolean"` is looked up in the search path, where pg_temp comes first for types.
 */
function castToBoolean(cast: Node): boolean {
  const t = cast.typeName;
  const names: string[] = (t?.names ?? []).map((x: Node) => x.String?.sval ?? '');
  return (
    names.length === 2 &&
    names[0] === 'pg_catalog' &&
    names[1] === 'bool' &&
    !t.typmods?.length &&
    !t.arrayBounds?.length &&
    !t.setof &&
    !t.pct_type
  );
}

/**
 * The operator's name when it is PostgreSQL's own: unqualified (pg_catalog is searched first, and never
 * pg_temp for operators) or `OPERATOR(pg_catalog.x)`; '' for one in any other schema (`OPERATOR(s.=)` may
 * be anything).
 */
function opName(e: Node): string {
  const parts: string[] = (e.name ?? []).map((p: Node) => p?.String?.sval ?? '');
  if (parts.length === 1) return parts[0]!;
  return parts.length === 2 && parts[0] === 'pg_catalog' ? parts[1]! : '';
}

/**
 * A comparison of two literals, only where the answer is PostgreSQL's own operator's whatever the
 * server's settings and whatever a user created: whole numbers whose types pg_catalog compares exactly
 * (int4 and int8 with each other, numeric with numeric: a user's operator on, say, int4 and numeric would
 * be an exact match and win), exactly as BigInt; booleans for equality; numeric constants with a fraction
 * or exponent only when both are the same text (`1.0 = 1.00`). Strings are unknown: their order and even
 * their equality are the collation's. Otherwise unknown: a wrong "false" would make an unbounded write
 * look bounded.
 */
function compare(op: string, l: Scalar, r: Scalar): boolean | undefined {
  const [wl, wr] = [wholeNumber(l), wholeNumber(r)];
  if (wl && wr) return (wl.type === 'numeric') === (wr.type === 'numeric') ? ordered(op, wl.v, wr.v) : undefined;
  if (l.kind !== r.kind || l.kind === 'string') return undefined;
  if (l.kind === 'boolean') return ['=', '<>'].includes(op) ? ordered(op, l.v, r.v) : undefined;
  return l.v === r.v ? ordered(op, l.v, r.v) : undefined;
}

const INT8_MAX = 9223372036854775807n;

/** A whole-number literal's value and type: int4 (an integer constant), int8 or numeric (by its size). */
function wholeNumber(s: Scalar): { v: bigint; type: 'int4' | 'int8' | 'numeric' } | undefined {
  if (s.kind === 'integer') return { v: BigInt(s.v), type: 'int4' };
  if (s.kind !== 'numeric' || !/^[0-9]+$/.test(s.v)) return undefined;
  const v = BigInt(s.v);
  return { v, type: v <= INT8_MAX ? 'int8' : 'numeric' };
}

function ordered<T>(op: string, a: T, b: T): boolean | undefined {
  switch (op) {
    case '=':
      return a === b;
    case '<>':
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    case '>=':
      return a >= b;
  }
  return undefined;
}

/**
 * A MERGE that updates or deletes target rows no source row matches (`WHEN NOT MATCHED BY SOURCE`): there a
 * false ON condition (`ON 1 = 0`) writes every row, so its ON tells nothing about how many.
 */
function bySourceWrite(merge: Node): boolean {
  return (merge.mergeWhenClauses ?? []).some(
    (w: Node) =>
      w.MergeWhenClause?.matchKind === 'MERGE_WHEN_NOT_MATCHED_BY_SOURCE' &&
      w.MergeWhenClause?.commandType !== 'CMD_NOTHING',
  );
}

/**
 * The written table as a condition names it: its alias, or else its name; and whether other tables are in
 * scope too (DELETE's USING, UPDATE's FROM, MERGE's source), so that an unqualified column may be theirs.
 */
interface WriteTarget {
  qualifier?: string;
  /** The schema it is written with, when it has no alias (`DELETE FROM public.orders`). */
  schema?: string;
  others: boolean;
}

function writeTarget(relation: Node, others: boolean): WriteTarget {
  const alias: unknown = relation?.alias?.aliasname;
  if (typeof alias === 'string') return { qualifier: alias, others };
  const name: unknown = relation?.relname;
  const schema: unknown = relation?.schemaname;
  return {
    ...(typeof name === 'string' ? { qualifier: name } : {}),
    ...(typeof schema === 'string' && schema ? { schema } : {}),
    others,
  };
}

/**
 * Whether a condition reads a column of the written table, so that it may tell its rows apart. A column of
 * another table does not (`DELETE ... USING customers c WHERE c.id = 1`, `WHERE EXISTS (SELECT FROM
 * customers c WHERE c.id = 1)`): counted are columns qualified with the target's name or alias (with a
 * schema, only the one the target is written with), and unqualified ones outside subqueries when no other
 * table is in scope; inside a subquery (any query in the condition) only qualified ones, and none if the
 * subquery names anything like the target (namesLike: it would be that).
 */
function readsTargetColumn(n: Node, target: WriteTarget, inSubquery = false): boolean {
  if (!n || typeof n !== 'object') return false;
  if (Array.isArray(n)) return n.some((x) => readsTargetColumn(x, target, inSubquery));
  if (n.ColumnRef) {
    const fields: unknown[] = (n.ColumnRef.fields ?? []).map((f: Node) =>
      f?.String ? f.String.sval : f?.A_Star ? '*' : undefined,
    );
    if (fields.length >= 2 && (target.qualifier === undefined || fields[fields.length - 2] !== target.qualifier))
      return false;
    // `other.orders.id` is a same-named table of another schema in USING/FROM (PostgreSQL allows both when
    // neither has an alias): a schema counts only as the one the target is written with.
    if (fields.length >= 3) return target.schema !== undefined && fields[fields.length - 3] === target.schema;
    if (fields.length === 2) return true;
    return !inSubquery && !target.others;
  }
  // A query inside the condition is a subquery wherever it sits: a SubLink's subselect, and also
  // `JSON_ARRAY(SELECT ...)` (JsonArrayQueryConstructor), which PostgreSQL turns into one.
  if (n.SelectStmt) {
    if (target.qualifier === undefined || namesLike(n, target.qualifier)) return false;
    return readsTargetColumn(n.SelectStmt, target, true);
  }
  return Object.values(n).some((v) => readsTargetColumn(v as Node, target, inSubquery));
}

/**
 * Whether a query may name something `name` that a column's qualifier would bind to: any identifier in it
 * but column references' own, e.g. a table, an alias, a CTE, a join's `USING (...) AS name`. A FROM item
 * other than a table without an alias names anything: PostgreSQL names it after what it holds, and for
 * much of SQL's own syntax that name is in no string of the tree (`FROM current_date`, `FROM coalesce(1)`,
 * `FROM xmltable(...)` are "current_date", "coalesce", "xmltable"). Constants are not looked at (their
 * values are the literal template's business).
 */
function namesLike(n: Node, name: string): boolean {
  if (!n || typeof n !== 'object') return false;
  if (Array.isArray(n)) return n.some((x) => namesLike(x, name));
  return Object.entries(n).some(([k, v]) => {
    if (k === 'ColumnRef' || k === 'A_Const') return false;
    if (IMPLICITLY_NAMED_FROM_ITEMS.has(k) && !(v as Node)?.alias) return true;
    return v === name || (typeof v === 'object' && namesLike(v as Node, name));
  });
}

/** FROM items that PostgreSQL names itself when they have no alias (a function, XMLTABLE, JSON_TABLE, a subquery). */
const IMPLICITLY_NAMED_FROM_ITEMS = new Set(['RangeFunction', 'RangeTableFunc', 'JsonTable', 'RangeSubselect']);

function stripLoc(n: Node): Node {
  if (!n || typeof n !== 'object') return n;
  if (Array.isArray(n)) return n.map(stripLoc);
  const out: Node = {};
  for (const k of Object.keys(n)) if (k !== 'location') out[k] = stripLoc(n[k]);
  return out;
}

/** Output column names of a query, when each target has a name (for COPY (query) TO column masking). */
function targetNames(query: Node): string[] | undefined {
  const sel = query?.SelectStmt;
  if (!sel?.targetList) return undefined;
  const names: string[] = [];
  for (const t of sel.targetList) {
    const rt = t.ResTarget;
    if (rt?.name) names.push(rt.name);
    else {
      const fields = rt?.val?.ColumnRef?.fields;
      const last = fields?.[fields.length - 1];
      if (!last?.String) return undefined;
      names.push(last.String.sval);
    }
  }
  return names;
}
