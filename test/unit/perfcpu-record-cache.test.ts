/**
 * Issue #14, round 4: a decision record's statement part (masked text, fingerprint, kind, effects,
 * tables, policy) is masked and serialized once per classification and policy runtime, not per
 * execution. Proven two ways: the lines written with the cache are byte for byte the lines of the
 * fresh computation (same clock, so same hash chain) over a corpus that changes the policy, the masking
 * rules, the policy's generation, whether text is recorded, the schema and search_path under which
 * statements are classified, and the principal; and a prepared statement's text is masked once, not
 * once per Execute.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { AuditLog, type ScopedAudit } from '../../proxy/audit/audit-log.js';
import type { AuditFields } from '../../proxy/audit/record.js';
import { Gate } from '../../proxy/gate/gate.js';
import { sqlRequest, type SqlOperation } from '../../proxy/gate/sql-request.js';
import { unparseable } from '../../proxy/gate/guards.js';
import type { Principal } from '../../proxy/identity/verify.js';
import { compilePolicy, type PolicyRuntime } from '../../proxy/policy/runtime.js';
import type { CatalogSnapshot } from '../../proxy/sql/catalog.js';
import type { Classification } from '../../proxy/sql/types.js';
import type { PolicySpec } from '../../shared/contract/policy-types.js';
import { catalogWith } from '../support/caps-catalog.js';
import { dbTarget as target, fileAuditLog, policyDocument, principal, sqlOps } from '../support/gate-fixtures.js';

const other: Principal = { ...principal, sub: 'agent-2', jti: 'j-2' } as Principal;

const publicOrders = catalogWith({
  relations: [
    { schema: 'public', name: 'orders' },
    { schema: 'public', name: 'payroll' },
  ],
  searchPath: ['pg_catalog', 'public'],
  hiddenWrites: [],
});
/** After DDL: orders moved to schema sales, a second payroll in sales, and search_path set to sales first. */
const salesFirst = catalogWith({
  relations: [
    { schema: 'sales', name: 'orders' },
    { schema: 'public', name: 'payroll' },
    { schema: 'sales', name: 'payroll' },
  ],
  searchPath: ['pg_catalog', 'sales', 'public'],
  hiddenWrites: [],
});

const TEXTS = [
  "SELECT * FROM orders WHERE card = '4111 1111 1111 1111' AND note = 'EMP-123456'",
  'SELECT 1',
  "UPDATE orders SET note = 'x'",
  'SELECT count(*), lower(note) FROM orders JOIN payroll USING (id)',
  'DELETE FROM payroll WHERE id = 7',
  'CREATE TABLE t (id int)',
  'SELECT "weird""name", $1::text FROM orders -- EMP-654321',
  "SELECT 'é\\u0000\"\\\\' AS x, E'\\n' AS y",
];

function spec(over: Partial<PolicySpec> = {}): Partial<PolicySpec> {
  return {
    targets: [target],
    rules: [
      { name: 'no-ddl', when: { sql: { effects: ['ddl'] } }, action: 'Deny', message: 'no "DDL" here' },
      { name: 'payroll-writes', when: { sql: { tables: ['payroll'], effects: ['write'] } }, action: 'Deny' },
    ],
    masking: { detectors: ['creditCard'] },
    ...over,
  } as Partial<PolicySpec>;
}

/** The spec with a masking pattern for employee ids added. */
function empMasked(): Partial<PolicySpec> {
  return spec({
    masking: {
      defaultStrategy: 'redact',
      detectors: ['creditCard'],
      patterns: [{ name: 'emp', regex: 'EMP-[0-9]{6}' }],
    },
  });
}

const runtime = (s: Partial<PolicySpec>, generation?: number): PolicyRuntime => {
  const doc = policyDocument(s);
  if (generation) doc.metadata.generation = generation;
  return compilePolicy(doc, { hashKey: Buffer.alloc(32, 7) });
};

/** The fresh computation: a scope without the serialized path, and a new classification object every time. */
function freshScope(s: ScopedAudit): ScopedAudit {
  return { append: (f) => s.append(f), defer: (f) => s.defer(f), tryAppend: (f) => s.tryAppend(f) };
}

describe('perfcpu: decision records cached per statement and policy', () => {
  it('writes byte for byte the lines of the fresh computation, across policy, masking, schema, search_path and principal changes', async () => {
    const clock = () => new Date('2026-11-30T12:00:00.000Z');
    const cached = fileAuditLog('agentgate-perfcpu-a-');
    const fresh = fileAuditLog('agentgate-perfcpu-b-');
    const logs = {
      cached: new AuditLog({ file: cached.file, now: clock }),
      fresh: new AuditLog({ file: fresh.file, now: clock }),
    };
    cached.audit.close();
    fresh.audit.close();
    const observed: { cached: AuditFields[]; fresh: AuditFields[] } = { cached: [], fresh: [] };
    logs.cached.observe((f) => observed.cached.push(structuredClone(f)));
    logs.fresh.observe((f) => observed.fresh.push(structuredClone(f)));
    let rt = runtime(spec());
    const gates = {
      cached: new Gate({ runtime: () => rt, audit: logs.cached }),
      fresh: new Gate({ runtime: () => rt, audit: logs.fresh }),
    };
    const scopeOf = (p: Principal, session: string) => ({
      session: { id: session },
      connection: `c-${session}`,
      principal: { iss: p.iss, sub: p.sub },
      target: target.name,
    });
    const scopes = {
      cached: { a: logs.cached.scope(scopeOf(principal, 's1')), b: logs.cached.scope(scopeOf(other, 's2')) },
      fresh: {
        a: freshScope(logs.fresh.scope(scopeOf(principal, 's1'))),
        b: freshScope(logs.fresh.scope(scopeOf(other, 's2'))),
      },
    };
    /** Runs `classes` as one request in session `who` through both gates: the same classification objects, or clones. */
    const run = (classes: Classification[][], who: 'a' | 'b' = 'a', protocol: 'simple' | 'extended' = 'extended') => {
      for (const side of ['cached', 'fresh'] as const) {
        for (const q of classes) {
          const operations: SqlOperation[] = q.map((c) => ({
            ...(side === 'cached' ? { classification: c, kept: true } : { classification: structuredClone(c) }),
          }));
          gates[side].check(
            sqlRequest({
              target,
              principal: who === 'a' ? principal : other,
              audit: scopes[side][who],
              protocol,
              operations,
              stage: 'run',
              catalog: publicOrders,
              closed: () => false,
            }),
          );
        }
      }
    };
    const classify = async (sql: string, catalog: CatalogSnapshot) =>
      (await sqlOps(sql, catalog)).map((o) => o.classification);
    const prepared = await Promise.all(TEXTS.map((t) => classify(t, publicOrders)));

    // Each prepared statement executed three times, in two sessions of different principals.
    for (let i = 0; i < 3; i++) run(prepared.map((c) => c));
    run(prepared, 'b');
    // A query of several statements: the second is denied, the first is recorded with a note (not cached).
    run([[...prepared[1]!, ...prepared[5]!]], 'a', 'simple');
    // Masking rules change: a pattern now masks the employee id.
    rt = runtime(empMasked());
    run(prepared);
    run(prepared, 'b');
    // Same rules, a new generation; then statement text left out; then Audit mode.
    rt = runtime(empMasked(), 2);
    run(prepared);
    rt = runtime(spec({ audit: { includeStatementText: false } } as Partial<PolicySpec>), 3);
    run(prepared);
    rt = runtime(spec({ mode: 'Audit' }), 4);
    run(prepared);
    rt = runtime(spec(), 5);
    run(prepared);
    // DDL and SET search_path: the same texts classified again; the statements prepared before still run as parsed.
    const after = await Promise.all(TEXTS.map((t) => classify(t, salesFirst)));
    run(after);
    run(prepared);
    run(after, 'b');
    // A refusal the parser reached (recorded with its own fields): never from the cache.
    const u = unparseable('SELEC 1', 'syntax error');
    for (const side of ['cached', 'fresh'] as const)
      gates[side].check(
        sqlRequest({
          target,
          principal,
          audit: scopes[side].a,
          protocol: 'simple',
          operations: [
            {
              classification: u.classification,
              refused: { decision: u.decision, refusal: { kind: 'refuse', code: 'unparseable', reason: 'x' } },
            },
          ],
          stage: 'run',
          catalog: publicOrders,
          closed: () => false,
        }),
      );
    logs.cached.close();
    logs.fresh.close();

    const a = readFileSync(cached.file, 'utf8');
    const b = readFileSync(fresh.file, 'utf8');
    expect(a.split('\n').length).to.be.greaterThan(100);
    expect(a).to.equal(b);
    // The masked text really changed with the rules (the corpus exercises what the cache must not keep).
    expect(a).to.include('EMP-123456').and.to.include('[redacted:emp]');
    expect(observed.cached).to.deep.equal(observed.fresh);
  });

  it('masks a prepared statement’s text once, not once per Execute; again after a policy change', async () => {
    let rt = runtime(spec());
    const { audit } = fileAuditLog('agentgate-perfcpu-c-');
    const gate = new Gate({ runtime: () => rt, audit });
    const scope = audit.scope({ session: { id: 's' }, target: target.name });
    const [c] = (await sqlOps(TEXTS[0]!, publicOrders)).map((o) => o.classification);
    let masked = 0;
    const count = (r: PolicyRuntime) => {
      const mask = r.masker.maskText.bind(r.masker);
      r.masker.maskText = (s: string) => (masked++, mask(s));
    };
    count(rt);
    const execute = () =>
      gate.check(
        sqlRequest({
          target,
          principal,
          audit: scope,
          protocol: 'extended',
          operations: [{ classification: c!, kept: true }],
          stage: 'run',
          catalog: publicOrders,
          closed: () => false,
        }),
      );
    for (let i = 0; i < 40; i++) execute();
    expect(masked).to.equal(1);
    rt = runtime(empMasked());
    count(rt);
    for (let i = 0; i < 40; i++) execute();
    expect(masked).to.equal(2);
    audit.close();
  });
});
