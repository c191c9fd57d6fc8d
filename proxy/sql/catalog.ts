/**
 * The target database's catalog, as far as classification needs it: which functions exist and how
 * volatile they are, and which schemas hold a relation of a given name (to match unqualified table
 * names against schema-qualified policy patterns whatever the session's search_path).
 */
import { readFileSync } from 'node:fs';
import { BUILTIN_ROW_FUNCTIONS } from './attribute-notation.js';

export type Volatility = 'i' | 's' | 'v';

export interface Catalog {
  /** Worst volatility over every overload (and, unqualified, every schema); undefined if no such function. */
  functionVolatility(schema: string | undefined, name: string): Volatility | undefined;
  /** Settings named in the SET clauses of every overload (and, unqualified, every schema). */
  functionSettings(schema: string | undefined, name: string): string[];
  /** A function of this name exists outside pg_catalog. */
  hasUserFunction(name: string): boolean;
  /** Schemas that hold a relation with this name. */
  relationSchemas(name: string): string[];
  /** Whether a relation schema.name exists. */
  hasRelation(schema: string, name: string): boolean;
  /** Every schema (namespace) of the database, empty when unknown. */
  schemas(): string[];
  /** A name the catalog could not be checked for lately (so relationSchemas() lists every schema). */
  relationUnverified?(name: string): boolean;
  /** Name of a table column, by the table OID and attribute number a RowDescription reports. */
  columnName(tableOid: number, attnum: number): string | undefined;
  /** Whether a relation of this name (any schema) has a column a column rule names; undefined when columns were not loaded. */
  hasRuledColumn(relation: string): boolean | undefined;
  /** Whether the snapshot knows that column's table and attribute, so a miss in columnName() is definite. */
  covers(tableOid: number, attnum: number): boolean;
  /** The sessions' search_path in lookup order (search-path.ts); undefined when not loaded. */
  searchPath?(): string[] | undefined;
  /** Why a write to `schema.name` changes rows its tag does not count (hidden-writes.ts); undefined when not loaded. */
  hiddenWrites?(relation: string): string[] | undefined;
  /** A view or materialized view (by OID) whose definition reads a ruled column, directly or through another view. */
  isRuledView?(relationOid: number): boolean;
  /** The same, by name (any schema). */
  isRuledViewName?(name: string): boolean;
  /** A function of this name (any schema) can take a whole row as its first argument, so `x.name` may call it (attribute-notation.ts). */
  takesRow?(name: string): boolean;
  /** A generated column (by table OID and attribute number) computed from a ruled column: the ruled column's name. */
  ruledGeneratedColumn?(tableOid: number, attnum: number): string | undefined;
  /** The same, by column name (any table). */
  isRuledGeneratedName?(name: string): boolean;
  /**
   * The snapshot the answers come from: replaced whenever they may change, except relationUnverified,
   * relationSchemas for unverified names, hiddenWrites and takesRow (which also reads whether the keeper
   * has loaded yet), which a keeper also takes from elsewhere: a memo keyed on it must not read those.
   */
  version?(): object;
}

const RANK: Record<Volatility, number> = { i: 0, s: 1, v: 2 };
const worst = (a: Volatility | undefined, b: Volatility): Volatility => (a === undefined || RANK[b] > RANK[a] ? b : a);

export interface CatalogRows {
  functions: { schema: string; name: string; volatility: Volatility; settings?: string[] }[];
  /** With the OID and attribute count (pg_class.relnatts) when loaded from a database. */
  relations: { schema: string; name: string; oid?: number; attributes?: number }[];
  /** Every namespace, including those without relations. */
  schemas?: string[];
  /** Only the columns the policy's column rules name. */
  columns?: { relid: number; attnum: number; name: string; relation?: string }[];
  /** The role's default search_path, resolved (search-path.ts). */
  searchPath?: string[];
  /** Relations whose writes change uncounted rows (hidden-writes.ts). */
  hiddenWrites?: { relation: string; why: string[] }[];
  /** Views and materialized views that read a ruled column (or a whole row of its table, or another such view). */
  ruledViews?: { oid: number; name: string }[];
  /** Names of functions whose first argument can be a whole row (record, polymorphic, "any", a composite type). */
  rowFunctions?: string[];
  /** Generated columns (STORED or VIRTUAL) whose expression reads a ruled column (`source`). */
  generatedColumns?: { relid: number; attnum: number; name: string; source: string }[];
  /** The database's digest of these rows (catalog-digest.ts), when it computed one. */
  digest?: string;
}

export class CatalogSnapshot implements Catalog {
  private readonly qualified = new Map<string, Volatility>();
  private readonly byName = new Map<string, Volatility>();
  private readonly userFunctions = new Set<string>();
  private readonly settings = new Map<string, Set<string>>();
  private readonly relations = new Map<string, string[]>();
  private readonly columns = new Map<string, string>();
  private readonly ruledRelations?: Set<string>;
  private readonly qualifiedRelations = new Set<string>();
  private readonly attributes = new Map<number, number>();
  private readonly schemaNames: string[];
  private readonly path?: string[];
  private readonly hidden?: Map<string, string[]>;
  private readonly ruledViewOids = new Set<number>();
  private readonly ruledViewNames = new Set<string>();
  private readonly rowFunctions: Set<string>;
  private readonly generated = new Map<string, string>();
  private readonly generatedNames = new Set<string>();

  constructor(rows: CatalogRows) {
    for (const f of rows.functions) {
      const key = `${f.schema}.${f.name}`;
      this.qualified.set(key, worst(this.qualified.get(key), f.volatility));
      this.byName.set(f.name, worst(this.byName.get(f.name), f.volatility));
      if (f.schema !== 'pg_catalog') this.userFunctions.add(f.name);
      for (const k of f.settings?.length ? [key, f.name] : []) {
        const set = this.settings.get(k) ?? new Set<string>();
        f.settings!.forEach((n) => set.add(n));
        this.settings.set(k, set);
      }
    }
    for (const r of rows.relations) {
      const list = this.relations.get(r.name) ?? [];
      list.push(r.schema);
      this.relations.set(r.name, list);
      this.qualifiedRelations.add(`${r.schema}.${r.name}`);
      if (r.oid !== undefined) this.attributes.set(r.oid, r.attributes ?? 0);
    }
    this.schemaNames = [...new Set([...(rows.schemas ?? []), ...rows.relations.map((r) => r.schema)])];
    for (const c of rows.columns ?? []) this.columns.set(`${c.relid}:${c.attnum}`, c.name);
    if (rows.columns) this.ruledRelations = new Set(rows.columns.map((c) => c.relation ?? '').filter(Boolean));
    if (rows.searchPath) this.path = rows.searchPath;
    if (rows.hiddenWrites) this.hidden = new Map(rows.hiddenWrites.map((h) => [h.relation, h.why]));
    this.rowFunctions = new Set(rows.rowFunctions ?? []);
    for (const g of rows.generatedColumns ?? []) {
      this.generated.set(`${g.relid}:${g.attnum}`, g.source);
      this.generatedNames.add(g.name);
    }
    for (const v of rows.ruledViews ?? []) {
      this.ruledViewOids.add(v.oid);
      this.ruledViewNames.add(v.name);
      this.ruledRelations?.add(v.name);
    }
  }

  searchPath(): string[] | undefined {
    return this.path;
  }

  hiddenWrites(relation: string): string[] | undefined {
    return this.hidden ? (this.hidden.get(relation) ?? []) : undefined;
  }

  isRuledView(relationOid: number): boolean {
    return this.ruledViewOids.has(relationOid);
  }

  isRuledViewName(name: string): boolean {
    return this.ruledViewNames.has(name);
  }

  takesRow(name: string): boolean {
    return this.rowFunctions.has(name);
  }

  ruledGeneratedColumn(tableOid: number, attnum: number): string | undefined {
    return this.generated.get(`${tableOid}:${attnum}`);
  }

  isRuledGeneratedName(name: string): boolean {
    return this.generatedNames.has(name);
  }

  hasRuledColumn(relation: string): boolean | undefined {
    return this.ruledRelations?.has(relation);
  }

  columnName(tableOid: number, attnum: number): string | undefined {
    return this.columns.get(`${tableOid}:${attnum}`);
  }

  covers(tableOid: number, attnum: number): boolean {
    return attnum <= (this.attributes.get(tableOid) ?? 0);
  }

  functionVolatility(schema: string | undefined, name: string): Volatility | undefined {
    return schema ? this.qualified.get(`${schema}.${name}`) : this.byName.get(name);
  }

  functionSettings(schema: string | undefined, name: string): string[] {
    return [...(this.settings.get(schema ? `${schema}.${name}` : name) ?? [])];
  }

  hasUserFunction(name: string): boolean {
    return this.userFunctions.has(name);
  }

  relationSchemas(name: string): string[] {
    return this.relations.get(name) ?? [];
  }

  hasRelation(schema: string, name: string): boolean {
    return this.qualifiedRelations.has(`${schema}.${name}`);
  }

  schemas(): string[] {
    return this.schemaNames;
  }
}

const BUILTINS_FILE = new URL('./builtin-functions.json', import.meta.url);
let builtins: CatalogSnapshot | undefined;

/**
 * PostgreSQL's own pg_catalog functions (generated from a real server by `npm run gen:builtins`), for
 * classification without a live target (`agentgate sql explain`) and until a target's catalog loads.
 */
export function builtinCatalog(): CatalogSnapshot {
  if (!builtins) {
    const data = JSON.parse(readFileSync(BUILTINS_FILE, 'utf8')) as { functions: Record<string, Volatility> };
    builtins = new CatalogSnapshot({
      functions: Object.entries(data.functions).map(([name, volatility]) => ({
        schema: 'pg_catalog',
        name,
        volatility,
      })),
      relations: [],
      rowFunctions: BUILTIN_ROW_FUNCTIONS,
    });
  }
  return builtins;
}

export const CATALOG_FUNCTIONS_SQL = `SELECT n.nspname AS schema, p.proname AS name, p.provolatile AS volatility,
    (SELECT string_agg(split_part(c, '=', 1), ',') FROM unnest(p.proconfig) c) AS settings
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace`;
export const CATALOG_RELATIONS_SQL = `SELECT n.nspname AS schema, c.relname AS name, c.oid::int8, c.relnatts
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r','v','m','p','f','S') AND n.nspname <> 'pg_toast'`;

export const CATALOG_SCHEMAS_SQL = `SELECT nspname FROM pg_catalog.pg_namespace
  WHERE nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp\\_%'`;

function nameList(names: string[]): string {
  return names.map((n) => `'${n.replace(/'/g, "''")}'`).join(',') || 'NULL';
}

export function catalogColumnsSql(names: string[]): string {
  const list = nameList(names);
  return `SELECT a.attrelid::int8, a.attnum, a.attname, c.relname FROM pg_catalog.pg_attribute a
    JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
    WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attname IN (${list})`;
}

/**
 * Views and materialized views whose rewrite rule depends (pg_depend) on a ruled column, on a whole row
 * of a table that has one (refobjsubid 0), on a generated column computed from one, or on any column of
 * another such view (a view's own columns cannot be traced to the base columns they come from): transitively.
 */
export function catalogRuledViewsSql(names: string[]): string {
  return `WITH RECURSIVE ruled(relid, attnum) AS (
      SELECT a.attrelid, a.attnum FROM pg_catalog.pg_attribute a
        WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attname IN (${nameList(names)})
      UNION
      SELECT g.relid, g.attnum::int2 FROM (${ruledGeneratedSelect(names)}) g
      UNION
      SELECT r.ev_class, 0::int2 FROM pg_catalog.pg_depend d
        JOIN pg_catalog.pg_rewrite r ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid
        JOIN ruled x ON d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = x.relid
          AND (x.attnum = 0 OR d.refobjsubid = 0 OR d.refobjsubid = x.attnum)
        WHERE r.ev_class <> d.refobjid)
    SELECT DISTINCT x.relid::int8, c.relname FROM ruled x JOIN pg_catalog.pg_class c ON c.oid = x.relid
      WHERE x.attnum = 0 AND c.relkind IN ('v', 'm')`;
}

/**
 * Functions that can take a whole row as their first argument (attribute notation `x.f` calls them):
 * the first argument is record, a polymorphic or "any" type, a composite type, or a domain over one.
 */
export const CATALOG_ROW_FUNCTIONS_SQL = `SELECT DISTINCT p.proname FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_type t ON t.oid = p.proargtypes[0]
  LEFT JOIN pg_catalog.pg_type b ON b.oid = t.typbasetype
  WHERE p.pronargs > 0 AND (t.typtype = 'c' OR b.typtype = 'c'
    OR t.typname IN ('record', 'anyelement', 'anycompatible', 'any', 'anynonarray', 'anycompatiblenonarray'))`;

/**
 * Generated columns (STORED or VIRTUAL) whose expression reads a ruled column: pg_depend records the
 * column itself (or, in some versions, its pg_attrdef entry) as depending on the columns it reads.
 */
export function catalogRuledGeneratedSql(names: string[]): string {
  return `SELECT g.relid::int8, g.attnum, g.name, g.source FROM (${ruledGeneratedSelect(names)}) g`;
}

/** Generated columns over ruled columns, as (relid oid, attnum, name, source). */
function ruledGeneratedSelect(names: string[]): string {
  return `WITH ruled_cols AS (
      SELECT a.attrelid, a.attnum, a.attname FROM pg_catalog.pg_attribute a
        WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attname IN (${nameList(names)})),
    gen(relid, attnum, source) AS (
      SELECT d.objid, d.objsubid, r.attname FROM pg_catalog.pg_depend d
        JOIN ruled_cols r ON d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = r.attrelid AND d.refobjsubid = r.attnum
        WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = d.refobjid AND d.objsubid > 0 AND d.objsubid <> d.refobjsubid
      UNION
      SELECT ad.adrelid, ad.adnum, r.attname FROM pg_catalog.pg_depend d
        JOIN pg_catalog.pg_attrdef ad ON d.classid = 'pg_catalog.pg_attrdef'::regclass AND d.objid = ad.oid
        JOIN ruled_cols r ON d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = r.attrelid AND d.refobjsubid = r.attnum
        WHERE ad.adnum <> r.attnum)
    SELECT g.relid, g.attnum, a.attname AS name, min(g.source) AS source FROM gen g
      JOIN pg_catalog.pg_attribute a ON a.attrelid = g.relid AND a.attnum = g.attnum
      WHERE a.attgenerated <> '' AND NOT a.attisdropped
      GROUP BY g.relid, g.attnum, a.attname`;
}
