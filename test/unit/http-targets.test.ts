/** HTTP targets without sockets: policy validation, paths and templates, rule conditions, CEL, JSON masking, approval binding. */
import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import { injectSidecar } from '../../operator/webhook/inject.js';
import { PolicyEngine } from '../../proxy/gate/decide.js';
import { Masker } from '../../proxy/masking/masker.js';
import type { HttpTargetSpec, PolicySpec, TargetSpec } from '../../shared/contract/policy-types.js';
import { PolicyValidationError, validatePolicy } from '../../shared/contract/validate-policy.js';
import { HttpPolicyEngine } from '../../proxy/http/decide-http.js';
import { JsonMasker } from '../../proxy/http/json-masker.js';
import { compileTemplate, matchTemplate, parseRequestPath } from '../../shared/policy-language/path-template.js';
import { buildFacts, canonicalJson, hasDuplicateKeys } from '../../proxy/http/request-facts.js';
import { celError } from '../../shared/policy-language/cel.js';

const base = (targets: unknown[], rules: unknown[] = []): unknown => ({
  apiVersion: 'agentgate.dev/v1alpha1',
  kind: 'AgentAccessPolicy',
  metadata: { name: 'p' },
  spec: { identity: { issuers: [{ issuer: 'https://i', audiences: ['a'], jwksFile: 'k.json' }] }, targets, rules },
});
const httpTarget = {
  name: 'api',
  protocol: 'http',
  listen: '127.0.0.1:8080',
  upstream: { url: 'https://api.internal/v1' },
};
const pgTarget = {
  name: 'db',
  protocol: 'postgres',
  listen: '127.0.0.1:5432',
  upstream: { host: 'db', port: 5432, database: 'd', user: 'u' },
  credentials: { passwordEnv: 'PW' },
};

function errorsOf(doc: unknown): string[] {
  try {
    validatePolicy(doc);
    return [];
  } catch (e) {
    if (!(e instanceof PolicyValidationError)) throw e;
    return e.errors.map((x) => `${x.path}: ${x.message}`);
  }
}

describe('HTTP targets: policy validation', () => {
  it('accepts an http target next to a postgres one, with credentials optional', () => {
    expect(errorsOf(base([httpTarget, pgTarget]))).to.deep.equal([]);
    expect(
      errorsOf(
        base([
          {
            ...httpTarget,
            credentials: { passwordEnv: 'T', scheme: 'basic', username: 'svc' },
            forwardProxy: { listen: '127.0.0.1:3128', allowConnect: false },
          },
        ]),
      ),
    ).to.deep.equal([]);
  });

  it('refuses what does not fit the protocol, with the path', () => {
    expect(errorsOf(base([{ ...httpTarget, upstream: { url: 'ftp://x' } }]))[0]).to.match(/upstream.url/);
    expect(errorsOf(base([{ ...httpTarget, upstream: { url: 'https://user:pw@x/' } }]))[0]).to.match(/upstream.url/);
    expect(
      errorsOf(base([{ ...httpTarget, upstream: { host: 'x', port: 1, database: 'd', user: 'u' } }])).join(),
    ).to.match(/upstream.url: required/);
    expect(errorsOf(base([{ ...pgTarget, upstream: { url: 'http://x' } }])).join()).to.match(/upstream.host: required/);
    expect(errorsOf(base([{ ...pgTarget, credentials: undefined }])).join()).to.match(/credentials/);
    expect(errorsOf(base([{ ...pgTarget, forwardProxy: { listen: '127.0.0.1:1' } }])).join()).to.match(
      /forwardProxy: applies to http targets only/,
    );
    expect(errorsOf(base([{ ...httpTarget, credentials: { passwordEnv: 'T', scheme: 'header' } }])).join()).to.match(
      /credentials.header: required/,
    );
    expect(
      errorsOf(base([{ ...httpTarget, credentials: { passwordEnv: 'T', scheme: 'header', header: 'Host' } }])).join(),
    ).to.match(/cannot carry credentials/);
    expect(errorsOf(base([{ ...httpTarget, forwardProxy: { listen: '127.0.0.1:8080' } }])).join()).to.match(
      /forwardProxy.listen: address 127.0.0.1:8080 is used/,
    );
  });

  it('refuses bad http conditions: templates, CEL, sql and http together, names and paths', () => {
    const rule = (http: unknown, extra: object = {}): unknown =>
      base([httpTarget], [{ name: 'r', when: { http, ...extra }, action: 'Deny' }]);
    expect(errorsOf(rule({ paths: ['/a/b**'] })).join()).to.match(/paths\[0\]: segment "b\*\*"/);
    expect(errorsOf(rule({ cel: 'request.method ==' })).join()).to.match(/cel: not a valid CEL/);
    expect(errorsOf(rule({ cel: 'secrets.x == 1' })).join()).to.match(/cel: not a valid CEL/);
    expect(errorsOf(rule({ methods: ['GET'] }, { sql: { effects: ['read'] } })).join()).to.match(
      /sql or http conditions, not both/,
    );
    expect(errorsOf(rule({ query: [{ present: true }] })).join()).to.match(/query\[0\].name: required/);
    expect(errorsOf(rule({ body: [{ path: '$.a[' }] })).join()).to.match(/body\[0\].path/);
    expect(errorsOf(rule({ methods: ['get'] })).join()).to.match(/must match pattern/);
    expect(celError('request.method == "GET" && size(request.segments) > 1')).to.equal(undefined);
    // matches() would run agent input through a backtracking engine: refused; matchesRe2() is linear.
    expect(errorsOf(rule({ cel: 'request.path.matches("^(a+)+$")' })).join()).to.match(/matchesRe2/);
    expect(errorsOf(rule({ cel: 'matches(request.path, "a")' })).join()).to.match(/matchesRe2/);
    expect(celError('request.path.matchesRe2("^(a+)+$")')).to.equal(undefined);
  });
});

describe('HTTP targets: paths and templates', () => {
  it('refuses paths an upstream could read differently', () => {
    for (const p of [
      '/a/../b',
      '/a/%2E%2E/b',
      '/a/./b',
      '/a%2Fb',
      '/a%5cb',
      '/a//b',
      '/a\\b',
      '/a%00',
      '/%zz',
      'x',
      '/a%0a',
    ]) {
      expect(() => parseRequestPath(p), p).to.throw();
    }
    expect(parseRequestPath('/v1/a%20b/?x=1')).to.deep.equal({
      segments: ['v1', 'a b'],
      raw: '/v1/a%20b/',
      query: 'x=1',
    });
    expect(parseRequestPath('/').segments).to.deep.equal([]);
  });

  it('templates: {name} and * one segment, ** any number; Deny rules compare without case', () => {
    const t = compileTemplate('/v1/customers/{id}/refunds');
    expect(matchTemplate(t, ['v1', 'customers', '42', 'refunds'], false)).to.equal(true);
    expect(matchTemplate(t, ['v1', 'customers', '42', 'x', 'refunds'], false)).to.equal(false);
    expect(matchTemplate(t, ['V1', 'Customers', '42', 'REFUNDS'], false)).to.equal(false);
    expect(matchTemplate(t, ['V1', 'Customers', '42', 'REFUNDS'], true)).to.equal(true);
    const any = compileTemplate('/api/**/secrets/*');
    expect(matchTemplate(any, ['api', 'secrets', 'x'], false)).to.equal(true);
    expect(matchTemplate(any, ['api', 'a', 'b', 'secrets', 'x'], false)).to.equal(true);
    expect(matchTemplate(any, ['api', 'a', 'secrets'], false)).to.equal(false);
  });

  it('many ** against a long path stays fast (memoized)', () => {
    const t = compileTemplate(`/${Array(20).fill('**').join('/')}/z`);
    const segs = Array(200).fill('a');
    const start = process.hrtime.bigint();
    expect(matchTemplate(t, segs, false)).to.equal(false);
    expect(Number(process.hrtime.bigint() - start) / 1e6).to.be.lessThan(2000);
  });
});

describe('HTTP targets: rule conditions', () => {
  const target = { ...httpTarget, access: 'ReadWrite' } as HttpTargetSpec;
  const facts = (
    method: string,
    target: string,
    body = '',
    headers: Record<string, string[]> = {},
  ): ReturnType<typeof buildFacts> => buildFacts('api', method, parseRequestPath(target), headers, Buffer.from(body));
  const engine = (rules: unknown[], mode: 'Enforce' | 'Audit' = 'Enforce'): HttpPolicyEngine =>
    new HttpPolicyEngine({ mode, defaultAction: 'Deny', rules } as PolicySpec);
  const who = { sub: 'agent', iss: 'i' };

  it('headers: any value for Deny rules, every value for Allow rules; names without case', () => {
    const e = engine([
      { name: 'deny-debug', when: { http: { headers: [{ name: 'X-Debug', present: true }] } }, action: 'Deny' },
      {
        name: 'json-only',
        when: { http: { headers: [{ name: 'accept', pattern: 'application/json*' }] } },
        action: 'Allow',
      },
    ]);
    expect(e.decide(facts('GET', '/x', '', { 'x-debug': ['1'] }), target, who).rule).to.equal('deny-debug');
    expect(e.decide(facts('GET', '/x', '', { accept: ['application/json'] }), target, who).rule).to.equal('json-only');
    expect(e.decide(facts('GET', '/x', '', { accept: ['application/json', 'text/html'] }), target, who).rule).to.equal(
      'defaultAction',
    );
  });

  it('body paths with [*]: an Allow rule needs every element to match', () => {
    const e = engine([
      { name: 'eur', when: { http: { body: [{ path: '$.lines[*].currency', values: ['EUR'] }] } }, action: 'Allow' },
    ]);
    expect(
      e.decide(facts('POST', '/x', '{"lines":[{"currency":"EUR"},{"currency":"EUR"}]}'), target, who).rule,
    ).to.equal('eur');
    expect(
      e.decide(facts('POST', '/x', '{"lines":[{"currency":"EUR"},{"currency":"USD"}]}'), target, who).rule,
    ).to.equal('defaultAction');
  });

  it('CEL errors count for Deny rules and against Allow rules', () => {
    const e = engine([
      { name: 'deny-big', when: { http: { cel: 'request.body.amount > 100' } }, action: 'Deny' },
      { name: 'allow-small', when: { http: { cel: 'request.body.amount <= 100' } }, action: 'Allow' },
    ]);
    expect(e.decide(facts('POST', '/x', '{"amount":5}'), target, who).rule).to.equal('allow-small');
    expect(e.decide(facts('POST', '/x', '{"amount":500}'), target, who).rule).to.equal('deny-big');
    expect(e.decide(facts('POST', '/x', '{"other":1}'), target, who).rule).to.equal('deny-big');
    const allowOnly = engine([
      { name: 'allow-small', when: { http: { cel: 'request.body.amount <= 100' } }, action: 'Allow' },
    ]);
    expect(allowOnly.decide(facts('POST', '/x', '"text"'), target, who).rule).to.equal('defaultAction');
  });

  it('matchesRe2 runs in linear time on what the agent sends', () => {
    const e = engine([
      { name: 'deny-aaa', when: { http: { cel: 'request.path.matchesRe2("^/(a+)+$")' } }, action: 'Deny' },
    ]);
    const start = Date.now();
    expect(e.decide(facts('GET', `/${'a'.repeat(5000)}b`), target, who).rule).to.equal('defaultAction');
    expect(e.decide(facts('GET', '/aaaa'), target, who).rule).to.equal('deny-aaa');
    expect(Date.now() - start).to.be.lessThan(2000);
  });

  it('Audit mode decides but does not block', () => {
    const d = engine([{ name: 'no', when: { http: { methods: ['DELETE'] } }, action: 'Deny' }], 'Audit').decide(
      facts('DELETE', '/x'),
      target,
      who,
    );
    expect(d).to.include({ rule: 'no', action: 'Deny', blocked: false });
  });

  it('a rule with http conditions never matches a SQL statement (and sql rules never an HTTP request)', () => {
    const spec = {
      mode: 'Enforce',
      defaultAction: 'Deny',
      rules: [
        { name: 'allow-gets', when: { http: { methods: ['GET'] } }, action: 'Allow' },
        { name: 'reads', when: { sql: { effects: ['read'] } }, action: 'Allow' },
      ],
    } as PolicySpec;
    const pg = new PolicyEngine(spec).decide(
      {
        text: 'DELETE FROM t',
        kind: 'DeleteStmt',
        effects: ['write'],
        tables: [{ name: 't', access: 'write' } as never],
        functions: [],
        unboundedWrite: true,
        liftsReadOnly: false,
        reasons: [],
      },
      pgTarget as unknown as TargetSpec,
    );
    expect(pg.rule).to.equal('defaultAction');
    expect(new HttpPolicyEngine(spec).decide(facts('POST', '/x'), target, who).rule).to.equal('defaultAction');
  });
});

describe('HTTP targets: JSON bodies', () => {
  it('duplicate keys are found at any depth, not inside strings', () => {
    expect(hasDuplicateKeys('{"a":1,"b":{"c":1,"c":2}}')).to.equal(true);
    expect(hasDuplicateKeys('{"a":1,"b":[{"a":1},{"a":2}]}')).to.equal(false);
    expect(hasDuplicateKeys('{"a":"\\"a\\":1","b":"a"}')).to.equal(false);
    expect(hasDuplicateKeys('{"\\u0061":1,"a":2}')).to.equal(true);
  });

  it('the approval binding ignores key order and whitespace, not values', () => {
    const f = (body: string): string => buildFacts('api', 'POST', parseRequestPath('/r'), {}, Buffer.from(body)).sha256;
    expect(f('{"a":1,"b":[1,2]}')).to.equal(f('{ "b": [1, 2], "a": 1 }'));
    expect(f('{"a":1}')).not.to.equal(f('{"a":2}'));
    expect(buildFacts('api', 'POST', parseRequestPath('/r'), {}, Buffer.from('{}')).sha256).not.to.equal(
      buildFacts('api', 'PUT', parseRequestPath('/r'), {}, Buffer.from('{}')).sha256,
    );
    expect(canonicalJson({ b: 1, a: { d: 1, c: 2 } })).to.equal('{"a":{"c":2,"d":1},"b":1}');
  });

  it('masks value by value: strings, keys, number text; field rules by path or key; exact numbers; __proto__ stays a key', () => {
    const m = new Masker({ detectors: ['email', 'creditCard'], columns: [{ name: 'ssn' }], defaultStrategy: 'redact' });
    const j = new JsonMasker(
      m,
      [{ path: '$.customers[*].card_number' }, { path: 'secret', strategy: 'hash' }],
      'redact',
    );
    const r = j.maskText(
      '{"customers":[{"card_number":4111111111111111,"name":"a@example.com","ssn":"1"}],"big":123456789012345678901234567890.50,"n":{"secret":{"x":1}},"by-mail":{"bob@example.com":1},"__proto__":{"p":1}}',
    );
    const out = JSON.parse(r.text);
    expect(out.customers[0]).to.deep.equal({
      card_number: '[redacted:card_number]',
      name: '[redacted:email]',
      ssn: '[redacted:ssn]',
    });
    expect(r.text).to.contain('"big":123456789012345678901234567890.50');
    expect(out.n.secret).to.match(/^\[secret:/);
    expect(Object.keys(out['by-mail'])).to.deep.equal(['[redacted:email]']);
    expect(r.text).to.contain('"__proto__":{"p":1}');
    expect(r.count).to.equal(5);
  });
});

describe('HTTP targets: sidecar injection', () => {
  it('gives agent containers the HTTP target URL and forward proxy, and PGHOST only from a postgres target', () => {
    const policy = validatePolicy(
      base([
        { ...httpTarget, listen: '127.0.0.1:18080', forwardProxy: { listen: '127.0.0.1:3128' } },
        { ...pgTarget, listen: '127.0.0.1:15432' },
      ]) as never,
    );
    policy.metadata.namespace = 'agents';
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'a', namespace: 'agents', annotations: { 'agentgate.dev/inject': 'true' } },
      spec: { containers: [{ name: 'agent', image: 'x' }] },
    } as V1Pod;
    const env = Object.fromEntries(
      (
        injectSidecar(pod, policy, 'agents', { image: 'img' }).spec!.containers.find((c) => c.name === 'agent')!.env ??
        []
      ).map((e) => [e.name, e.value]),
    );
    expect(env).to.include({
      AGENTGATE_API_URL: 'http://127.0.0.1:18080',
      AGENTGATE_API_PROXY: 'http://127.0.0.1:3128',
      PGHOST: '127.0.0.1',
      PGPORT: '15432',
    });
  });
});

describe('HTTP targets: cost', () => {
  it('masking a JSON document and scanning a JSON stream grow linearly (N vs 8N)', () => {
    const m = new Masker({ detectors: ['email'], defaultStrategy: 'redact' });
    const j = new JsonMasker(m, [{ path: 'secret' }, { path: '$.items[*].card' }], 'redact');
    const doc = (n: number): string =>
      JSON.stringify({
        items: Array.from({ length: n }, (_, i) => ({
          id: i,
          a: { b: { c: { d: `x${i}@example.com`, secret: i } } },
          card: 'c',
        })),
      });
    // The least of three runs: a run the machine's load slowed down is not the cost.
    const time = (text: string): number => {
      let least = Infinity;
      for (let i = 0; i < 3; i++) {
        const t = process.hrtime.bigint();
        j.maskText(text);
        least = Math.min(least, Number(process.hrtime.bigint() - t));
      }
      return least;
    };
    const small = doc(2000);
    const big = doc(16000);
    time(small);
    const ratio = time(big) / time(small);
    expect(ratio).to.be.lessThan(16);
  });
});
