/**
 * The fixes to the second hostile review of MCP gating (#13), unit by unit: relative and `~` paths
 * under CEL and non-absolute patterns, credential encodings, embedded resources in structuredContent.
 */
import { expect } from 'chai';
import { McpPolicyEngine } from '../../proxy/mcp/decide-mcp.js';
import { callFacts } from '../../proxy/mcp/mcp-facts.js';
import { credentialForms } from '../../proxy/mcp/credential-forms.js';
import { Masker } from '../../proxy/masking/masker.js';
import { withholdEmbedded } from '../../proxy/mcp/embedded-resources.js';
import { MemoryBaselines, ReportedBaselines } from '../../proxy/mcp/tool-baselines.js';
import { ToolFingerprints } from '../../proxy/mcp/tool-fingerprints.js';
import { candidateRoots, resolvedAgainst } from '../../proxy/mcp/path-forms.js';
import type { McpTargetSpec, PolicySpec, RuleSpec } from '../../shared/contract/policy-types.js';

const target = { name: 'files', protocol: 'mcp', listen: '127.0.0.1:1', upstream: { command: 'x' } } as McpTargetSpec;
const who = { sub: 'agent', iss: 'test' };
const engine = (rule: Omit<RuleSpec, 'name'>, defaultAction: 'Allow' | 'Deny'): McpPolicyEngine =>
  new McpPolicyEngine({ targets: [target], rules: [{ name: 'r', ...rule }], defaultAction } as unknown as PolicySpec);
const call = (args: Record<string, unknown>): ReturnType<typeof callFacts> =>
  callFacts('files', 'tools/call', { name: 'read_text_file', arguments: args });

describe('mcpfix2: relative and ~ paths', () => {
  it('a relative or ~ path is tried against every directory a CEL rule names', () => {
    expect(candidateRoots('request.arguments.path.startsWith("/srv/data/secret/")')).to.deep.equal([
      '/',
      '/srv',
      '/srv/data',
      '/srv/data/secret',
    ]);
    expect(resolvedAgainst('secret/key.txt', '/srv/data')).to.equal('/srv/data/secret/key.txt');
    expect(resolvedAgainst('~/srv/data/x', '/')).to.equal('/srv/data/x');
    expect(resolvedAgainst('https://x/y', '/srv')).to.equal('https://x/y');
    expect(resolvedAgainst('/abs', '/srv')).to.equal('/abs');
  });

  it('a CEL Deny on an absolute prefix holds for relative and ~ forms of it', () => {
    const e = engine(
      { when: { mcp: { tools: ['*'], cel: 'request.arguments.path.startsWith("/srv/d/secret/")' } }, action: 'Deny' },
      'Allow',
    );
    for (const path of [
      'secret/key.txt',
      './x/../secret/key.txt',
      '~/srv/d/secret/k',
      'd/secret/k',
      'key.txt/../secret/k',
    ])
      expect(e.decide(call({ path }), target, who).rule, path).to.equal('r');
    // The server's directory may be the denied one itself: every relative path may land in it.
    expect(e.decide(call({ path: 'public/key.txt' }), target, who).rule).to.equal('r');
    expect(e.decide(call({ path: '/srv/d/public/key.txt' }), target, who).rule).to.equal('defaultAction');
  });

  it('a relative path never satisfies a CEL Allow on an absolute prefix, nor a negated one', () => {
    const allow = engine(
      { when: { mcp: { tools: ['*'], cel: '!request.arguments.path.startsWith("/srv/secret")' } }, action: 'Allow' },
      'Deny',
    );
    expect(allow.decide(call({ path: 'secret/x' }), target, who).rule).to.equal('defaultAction');
    expect(allow.decide(call({ path: '/srv/public/x' }), target, who).rule).to.equal('r');
  });

  it('a CEL rule that does not look at paths is not changed by path-like text', () => {
    const e = engine(
      { when: { mcp: { tools: ['*'], cel: 'request.arguments.amount > 1000' } }, action: 'Deny' },
      'Allow',
    );
    expect(e.decide(call({ amount: 5, note: 'and/or ~maybe' }), target, who).rule).to.equal('defaultAction');
    const a = engine(
      { when: { mcp: { tools: ['*'], cel: 'request.arguments.amount < 1000' } }, action: 'Allow' },
      'Deny',
    );
    expect(a.decide(call({ amount: 5, note: 'and/or ~maybe' }), target, who).rule).to.equal('r');
  });

  it('a relative or ~ value against a non-absolute path pattern is undecidable (Deny matches, Allow never)', () => {
    const deny = engine(
      { when: { mcp: { tools: ['*'], arguments: [{ path: '$.path', pattern: '*/.env' }] } }, action: 'Deny' },
      'Allow',
    );
    for (const path of ['.env', 'config/.env', '~/.env'])
      expect(deny.decide(call({ path }), target, who).rule, path).to.equal('r');
    const allow = engine(
      { when: { mcp: { tools: ['*'], arguments: [{ path: '$.path', pattern: 'docs/*' }] } }, action: 'Allow' },
      'Deny',
    );
    expect(allow.decide(call({ path: 'docs/a.md' }), target, who).rule).to.equal('defaultAction');
    // A pattern without a `/` (not a path) and URL patterns are as before.
    const plain = engine(
      { when: { mcp: { tools: ['*'], arguments: [{ path: '$.env', values: ['prod'] }] } }, action: 'Allow' },
      'Deny',
    );
    expect(plain.decide(call({ env: 'prod' }), target, who).rule).to.equal('r');
    const url = engine(
      {
        when: { mcp: { tools: ['*'], arguments: [{ path: '$.url', pattern: 'https://api.example.com/*' }] } },
        action: 'Allow',
      },
      'Deny',
    );
    expect(url.decide(call({ url: 'https://api.example.com/x' }), target, who).rule).to.equal('r');
  });
});

describe('mcpfix2: embedded resources in structuredContent', () => {
  const read = (uri: string): { blocked: boolean; rule: string } => ({
    blocked: uri.includes('secret'),
    rule: 'no-secret',
  });

  it('withholds a blocked resource anywhere in structuredContent, in either shape', () => {
    const r = withholdEmbedded(
      {
        content: [],
        structuredContent: {
          a: { type: 'resource', resource: { uri: 'x://secret/1', text: 'S1' } },
          list: [
            { uri: 'x://secret/2', blob: 'UzI=' },
            { uri: 'x://public/3', text: 'ok' },
          ],
        },
      },
      read,
    );
    const text = JSON.stringify(r.result);
    expect(text).to.not.contain('S1');
    expect(text).to.not.contain('UzI=');
    expect(text).to.contain('"ok"').and.contain('no-secret');
    expect(r.withheld).to.equal(2);
  });

  it('drops structuredContent nested deeper than a message may be', () => {
    let deep: unknown = { uri: 'x://secret/9', text: 'S9' };
    for (let i = 0; i < 80; i++) deep = { d: deep };
    const r = withholdEmbedded({ content: [], structuredContent: deep }, read);
    expect(JSON.stringify(r.result)).to.not.contain('S9');
    expect(r.withheld).to.equal(1);
  });
});

describe('mcpfix2: what the baseline store knows of a target', () => {
  it('a pinned tool is kept as a baseline too, so the store knows the target after a restart', () => {
    const store = new MemoryBaselines();
    const pinned = { ...target, mcp: { acceptedTools: [{ tool: 'lookup', sha256: 'a'.repeat(64) }] } } as McpTargetSpec;
    expect(new ToolFingerprints(store).known('files')).to.equal(false);
    expect(new ToolFingerprints(store).check(pinned, 'lookup', 'a'.repeat(64)).ok).to.equal(true);
    const restarted = new ToolFingerprints(store);
    expect(restarted.known('files')).to.equal(true);
    expect(restarted.hasBaseline('files', 'lookup')).to.equal(true);
    expect(restarted.hasBaseline('files', 'helper')).to.equal(false);
    expect(restarted.known('other')).to.equal(false);
  });

  it('a target is known from the baselines on the policy status (a new pod)', () => {
    const store = new ReportedBaselines({
      compiled: () => new Map([['files\nlookup', 'b'.repeat(64)]]),
      local: new MemoryBaselines(),
      report: () => undefined,
    });
    expect(store.knows('files')).to.equal(true);
    expect(store.knows('fil')).to.equal(false);
  });
});

describe("mcpfix2: the server's credential in the forms a server quotes it", () => {
  it('is redacted as is, percent-encoded (either hex case), form-encoded and double-encoded', () => {
    const secret = 'Zx9+Qm/Tk4 Lw7=="';
    const m = new Masker(undefined).withLiterals(credentialForms(secret));
    const quoted = [
      secret,
      JSON.stringify(secret),
      encodeURIComponent(secret),
      encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
      encodeURI(secret),
      encodeURIComponent(secret).replace(/%20/g, '+'),
      new URLSearchParams({ k: secret }).toString(),
      encodeURIComponent(encodeURIComponent(secret)),
    ];
    for (const q of quoted) expect(m.maskText(`GET https://x/?key=${q} returned 401`).text, q).to.not.contain('Tk4');
  });
});
