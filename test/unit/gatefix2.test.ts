/**
 * Round-2 gate fixes (issue #12), the pure parts: CSV cells that cannot start a spreadsheet formula,
 * which forwarded headers an HTTP approval binds and shows, a Secret's stringData under field rules on
 * data (only a Secret's), and one approval's summary for several statements.
 */
import { expect } from 'chai';
import { approvalSummary } from '../../proxy/approvals/summary.js';
import { csvCell } from '../../proxy/audit/csv-cell.js';
import { boundHeaders, headerLines, headersRulesRead } from '../../proxy/http/header-binding.js';
import { JsonMasker } from '../../proxy/http/json-masker.js';
import { buildFacts } from '../../proxy/http/request-facts.js';
import { compilePolicy } from '../../proxy/policy/runtime.js';
import { parseRequestPath } from '../../shared/policy-language/path-template.js';
import type { AgentAccessPolicy, PolicySpec } from '../../shared/contract/policy-types.js';

function runtime(rules: PolicySpec['rules'] = []) {
  return compilePolicy({
    apiVersion: 'agentgate.dev/v1alpha1',
    kind: 'AgentAccessPolicy',
    metadata: { name: 'p', namespace: 'agents' },
    spec: {
      mode: 'Enforce',
      defaultAction: 'Allow',
      identity: { issuers: [], maxTokenLifetimeSeconds: 900 },
      targets: [],
      rules,
      masking: { detectors: ['email'], defaultStrategy: 'redact' },
    },
  } as unknown as AgentAccessPolicy);
}

describe('gatefix2: evidence CSV cells', () => {
  it('a cell that would start a formula gets a leading apostrophe; others are only quoted', () => {
    for (const s of ['=1+1', '+1', '-1', '@SUM(A1)', '\t=1', '\r=1'])
      expect(csvCell(s)).to.equal(`"'${s.replace(/"/g, '""')}"`);
    expect(csvCell('SELECT "a"')).to.equal('"SELECT ""a"""');
    expect(csvCell(undefined)).to.equal('""');
    expect(csvCell(12)).to.equal('"12"');
  });
});

describe('gatefix2: the headers an HTTP approval binds', () => {
  const facts = (headers: Record<string, string[]>, rulesRead = new Set<string>()) =>
    buildFacts('api', 'POST', parseRequestPath('/transfers'), headers, Buffer.from('{"a":1}'), rulesRead);

  it('binds an account header, not content negotiation or tracing; another account is another hash', () => {
    const common = { accept: ['*/*'], 'user-agent': ['curl/8'], traceparent: ['00-ab-cd-01'] };
    const sandbox = facts({ ...common, 'x-account': ['sandbox'] });
    const production = facts({ ...common, 'x-account': ['production'] });
    expect(sandbox.boundHeaders).to.deep.equal([['x-account', ['sandbox']]]);
    expect(sandbox.sha256).not.to.equal(production.sha256);
    expect(facts({ ...common, 'user-agent': ['other'] }).sha256).to.equal(facts(common).sha256);
  });

  it('a header on the not-bound list is bound once a rule reads it (by name, or CEL over headers)', () => {
    const byName = headersRulesRead(
      runtime([
        { name: 'ua', when: { http: { headers: [{ name: 'User-Agent', values: ['bot'] }] } }, action: 'Deny' },
      ] as PolicySpec['rules']),
    );
    expect(boundHeaders(new Map([['user-agent', ['x']]]), true, byName)).to.deep.equal([['user-agent', ['x']]]);
    const byCel = headersRulesRead(
      runtime([
        { name: 'c', when: { http: { cel: 'request.headers["accept"] == "x"' } }, action: 'Deny' },
      ] as PolicySpec['rules']),
    );
    expect(boundHeaders(new Map([['accept', ['x']]]), true, byCel)).to.deep.equal([['accept', ['x']]]);
  });

  it('Content-Type is bound when the body is not bound as parsed JSON', () => {
    const form = buildFacts(
      'api',
      'POST',
      parseRequestPath('/t'),
      { 'content-type': ['application/x-www-form-urlencoded'] },
      Buffer.from('a=1'),
    );
    expect(form.boundHeaders.map(([n]) => n)).to.deep.equal(['content-type']);
    expect(facts({ 'content-type': ['application/json'] }).boundHeaders).to.deep.equal([]);
  });

  it('approvers read a credential header as sent, never its value', () => {
    expect(
      headerLines([
        ['x-api-key', ['k-123']],
        ['x-account', ['a', 'b']],
      ]),
    ).to.equal('x-api-key: [not shown: credential]\nx-account: a\nx-account: b');
  });
});

describe("gatefix2: a Secret's stringData under field rules on data", () => {
  const m = new JsonMasker(runtime().masker, [{ path: '$.data.*' }], 'redact');
  it('is masked in a Secret (also inside last-applied-configuration), not in other kinds', () => {
    const applied = JSON.stringify({ apiVersion: 'v1', kind: 'Secret', stringData: { token: 'tok-9' } });
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': applied } },
      data: { token: 'dG9rLTk=' },
    };
    const out = m.maskText(JSON.stringify(secret)).text;
    expect(out).not.to.contain('tok-9');
    expect(out).not.to.contain('dG9rLTk=');
    const other = m.maskText(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', stringData: { k: 'v-1' } })).text;
    expect(other).to.contain('v-1');
  });
});

describe('gatefix2: one approval of several statements', () => {
  it('the summary names every verb', () => {
    const s = approvalSummary(
      {
        kind: ['SelectStmt', 'DeleteStmt'],
        effects: ['read', 'write'],
        tables: [{ schema: 'payroll', name: 'salaries' }],
      },
      'SELECT * FROM payroll.salaries; DELETE FROM payroll.salaries',
    );
    expect(s).to.match(/^SELECT \+ DELETE payroll\.salaries \(read, write\)/);
  });
});
