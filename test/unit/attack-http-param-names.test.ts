/**
 * Review of HTTP targets (issue #12): parameter and header names as other frameworks fold them. ASP.NET
 * binds query keys without case; WSGI servers (gunicorn, Werkzeug) and nginx's CGI variables fold `_`
 * and `-` in header names into one HTTP_X_DRY_RUN. Rules collect every value such a server could read.
 */
import { expect } from 'chai';
import { HttpPolicyEngine } from '../../proxy/http/decide-http.js';
import { parseRequestPath } from '../../shared/policy-language/path-template.js';
import { buildFacts } from '../../proxy/http/request-facts.js';
import type { PolicySpec } from '../../shared/contract/policy-types.js';

const facts = (method: string, target: string, headers: Record<string, string[]> = {}): ReturnType<typeof buildFacts> =>
  buildFacts('api', method, parseRequestPath(target), headers, Buffer.alloc(0));
const engine = (rules: unknown[]): HttpPolicyEngine =>
  new HttpPolicyEngine({ mode: 'Enforce', defaultAction: 'Deny', rules } as PolicySpec);
const t = { name: 'api', protocol: 'http', access: 'ReadWrite' } as never;
const who = { sub: 'agent', iss: 'i' };

describe('rev12: parameter and header names folded as servers fold them', () => {
  it('query names without case: a Deny on force is not dodged by FORCE; an Allow on dryRun=true fails on DRYRUN=false', () => {
    const e = engine([
      { name: 'no-force', when: { http: { query: [{ name: 'force', values: ['true'] }] } }, action: 'Deny' },
      {
        name: 'dry-runs',
        when: { http: { methods: ['POST'], query: [{ name: 'dryRun', values: ['true'] }] } },
        action: 'Allow',
      },
    ]);
    expect(e.decide(facts('GET', '/x?FORCE=true'), t, who).rule).to.equal('no-force');
    expect(e.decide(facts('GET', '/x?Force[]=true'), t, who).rule).to.equal('no-force');
    expect(e.decide(facts('POST', '/x?dryRun=true'), t, who).rule).to.equal('dry-runs');
    expect(e.decide(facts('POST', '/x?dryRun=true&DRYRUN=false'), t, who).rule).to.equal('defaultAction');
  });

  it('header names with _ for - : a Deny on X-Debug sees X_Debug; an Allow on X-Dry-Run=true fails on X-Dry_Run: false', () => {
    const e = engine([
      { name: 'no-debug', when: { http: { headers: [{ name: 'X-Debug', present: true }] } }, action: 'Deny' },
      {
        name: 'dry-runs',
        when: { http: { methods: ['POST'], headers: [{ name: 'X-Dry-Run', values: ['true'] }] } },
        action: 'Allow',
      },
    ]);
    expect(e.decide(facts('GET', '/x', { x_debug: ['1'] }), t, who).rule).to.equal('no-debug');
    expect(e.decide(facts('POST', '/x', { 'x-dry-run': ['true'] }), t, who).rule).to.equal('dry-runs');
    expect(e.decide(facts('POST', '/x', { 'x-dry-run': ['true'], x_dry_run: ['false'] }), t, who).rule).to.equal(
      'defaultAction',
    );
  });
});
