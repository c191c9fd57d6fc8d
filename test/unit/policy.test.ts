import { expect } from 'chai';
import { PolicyEngine, tableMatches } from '../../proxy/gate/decide.js';
import { globMatch } from '../../shared/policy-language/glob.js';
import { parsePolicyText } from '../../proxy/policy/load.js';
import type { PolicySpec, TargetSpec } from '../../shared/contract/policy-types.js';
import { PolicyValidationError, validatePolicy } from '../../shared/contract/validate-policy.js';
import type { Classification } from '../../proxy/sql/types.js';
import { invalidPolicies, validPolicies } from '../fixtures/policies/cases.js';

describe('policy validation', () => {
  for (const v of validPolicies) {
    it(`accepts ${v.name}`, () => {
      const p = validatePolicy(structuredClone(v.doc));
      expect(p.spec.defaultAction).to.be.a('string');
    });
  }
  for (const c of invalidPolicies) {
    it(`refuses ${c.name} with the path and reason`, () => {
      let err: PolicyValidationError | undefined;
      try {
        validatePolicy(structuredClone(c.doc));
      } catch (e) {
        err = e as PolicyValidationError;
      }
      expect(err, 'no error').to.be.instanceOf(PolicyValidationError);
      const hit = err!.errors.find((e) => e.path === c.path);
      expect(hit, `errors were: ${err!.message}`).to.not.equal(undefined);
      expect(hit!.message).to.contain(c.reason);
    });
  }
  it('applies schema defaults (mode, defaultAction, sslMode, access)', () => {
    const { policy } = parsePolicyText(
      `apiVersion: agentgate.dev/v1alpha1
kind: AgentAccessPolicy
metadata: {name: minimal}
spec:
  identity: {issuers: [{issuer: i, audiences: [a], jwksFile: j.json}]}
  targets: [{name: db, protocol: postgres, listen: 127.0.0.1:1, upstream: {host: h, port: 5432, database: d, user: u}, credentials: {passwordEnv: P}}]
`,
      'inline',
      '/tmp',
    );
    expect(policy.spec.mode).to.equal('Enforce');
    expect(policy.spec.defaultAction).to.equal('Deny');
    expect(policy.spec.identity.maxTokenLifetimeSeconds).to.equal(900);
    expect((policy.spec.targets[0] as TargetSpec).upstream.sslMode).to.equal('prefer');
    expect(policy.spec.targets[0]!.access).to.equal('ReadWrite');
  });
  it('refuses YAML that is not one document', () => {
    expect(() => parsePolicyText('a: 1\n---\nb: 2\n', 'x', '/tmp')).to.throw(
      PolicyValidationError,
      /exactly one YAML document/,
    );
  });
});

describe('policy engine', () => {
  const target: TargetSpec = {
    name: 'db',
    protocol: 'postgres',
    listen: '127.0.0.1:1',
    access: 'ReadWrite',
    upstream: { host: 'h', port: 1, database: 'd', user: 'u', sslMode: 'disable' },
    credentials: { passwordEnv: 'P' },
  };
  const cls = (over: Partial<Classification>): Classification => ({
    text: 'x',
    kind: 'SelectStmt',
    effects: ['read'],
    tables: [],
    functions: [],
    unboundedWrite: false,
    liftsReadOnly: false,
    reasons: [],
    ...over,
  });
  const spec = (over: Partial<PolicySpec> = {}): PolicySpec => ({
    mode: 'Enforce',
    identity: { issuers: [], maxTokenLifetimeSeconds: 900 },
    targets: [target],
    rules: [
      { name: 'no-ddl', when: { sql: { effects: ['ddl'] } }, action: 'Deny' },
      { name: 'payroll', when: { sql: { tables: ['payroll.*'] } }, action: 'Deny' },
      { name: 'unbounded', when: { sql: { unboundedWrite: true } }, action: 'RequireApproval' },
    ],
    defaultAction: 'Allow',
    ...over,
  });

  it('first matching rule decides; default otherwise', () => {
    const e = new PolicyEngine(spec());
    expect(
      e.decide(cls({ effects: ['ddl'], tables: [{ schema: 'payroll', name: 'x', access: ['write'] }] }), target).rule,
    ).to.equal('no-ddl');
    expect(e.decide(cls({ tables: [{ schema: 'payroll', name: 'x', access: ['read'] }] }), target).rule).to.equal(
      'payroll',
    );
    const d = e.decide(cls({}), target);
    expect(d).to.include({ action: 'Allow', rule: 'defaultAction', blocked: false });
  });
  it('RequireApproval blocks (approvals come later)', () => {
    expect(new PolicyEngine(spec()).decide(cls({ effects: ['write'], unboundedWrite: true }), target)).to.include({
      action: 'RequireApproval',
      blocked: true,
    });
  });
  it('Audit mode records the would-be denial but does not block', () => {
    expect(new PolicyEngine(spec({ mode: 'Audit' })).decide(cls({ effects: ['ddl'] }), target)).to.include({
      action: 'Deny',
      rule: 'no-ddl',
      blocked: false,
    });
  });
  it('a ReadOnly target denies writes and anything lifting the backstop, whatever the rules', () => {
    const ro = { ...target, access: 'ReadOnly' as const };
    const e = new PolicyEngine(spec({ rules: [{ name: 'allow-all', action: 'Allow' }] }));
    expect(e.decide(cls({ effects: ['write'] }), ro)).to.include({ rule: 'read-only-target', blocked: true });
    expect(
      new PolicyEngine(spec({ mode: 'Audit' })).decide(cls({ effects: ['transaction'], liftsReadOnly: true }), ro),
    ).to.include({ rule: 'read-only-target', blocked: true });
    expect(e.decide(cls({ effects: ['read'] }), ro).blocked).to.equal(false);
  });
  it('rules scoped to other targets do not match', () => {
    const e = new PolicyEngine(spec({ rules: [{ name: 'other', when: { targets: ['elsewhere'] }, action: 'Deny' }] }));
    expect(e.decide(cls({}), target).rule).to.equal('defaultAction');
  });
  it('table patterns: qualified, unqualified through catalog candidates, bare names', () => {
    expect(tableMatches('payroll.*', { schema: 'payroll', name: 'salaries', access: ['read'] })).to.equal(true);
    expect(
      tableMatches('payroll.*', { name: 'salaries', access: ['read'], candidates: ['payroll.salaries'] }),
    ).to.equal(true);
    expect(tableMatches('payroll.*', { name: 'salaries', access: ['read'] })).to.equal(false);
    expect(tableMatches('public.orders', { name: 'orders', access: ['read'] })).to.equal(true);
    expect(tableMatches('sal*', { schema: 'payroll', name: 'salaries', access: ['read'] })).to.equal(true);
  });
  it('glob matching', () => {
    expect(globMatch('a*b*c', 'axxbyyc')).to.equal(true);
    expect(globMatch('a*b*c', 'axxbyy')).to.equal(false);
    expect(globMatch('*', '')).to.equal(true);
    expect(globMatch('pg_*', 'pg_read_file')).to.equal(true);
    expect(globMatch('a.b', 'axb')).to.equal(false);
  });
});
