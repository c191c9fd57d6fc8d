/**
 * MCP gating completeness (#13), the pure parts: which resource templates are shown (a witness the
 * policy reads, else hidden), what an approval binds (`_meta` and every forwarded parameter except
 * progressToken), what a tool's fingerprint covers (the whole definition), listing masking, and the
 * baseline file (first writer wins across sidecars, damage stops the start).
 */
import { expect } from 'chai';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { callFacts } from '../../proxy/mcp/mcp-facts.js';
import { ListingMasker } from '../../proxy/mcp/listing-masker.js';
import { FileBaselines } from '../../proxy/mcp/tool-baselines.js';
import { toolFingerprint, ToolFingerprints } from '../../proxy/mcp/tool-fingerprints.js';
import { templateReadable } from '../../proxy/mcp/uri-template.js';
import { McpPolicyEngine } from '../../proxy/mcp/decide-mcp.js';
import { Masker } from '../../proxy/masking/masker.js';
import type { McpTargetSpec, PolicySpec } from '../../shared/contract/policy-types.js';

const target = { name: 'files', protocol: 'mcp', listen: '127.0.0.1:1', upstream: { command: 'x' } } as McpTargetSpec;

function shown(template: string, spec: Partial<PolicySpec>): boolean {
  const full = { targets: [target], defaultAction: 'Deny', ...spec } as PolicySpec;
  const engine = new McpPolicyEngine(full);
  return templateReadable(
    template,
    full,
    (uri) => !engine.decide(callFacts('files', 'resources/read', { uri }), target, { sub: 'a', iss: 'i' }).blocked,
  );
}

describe('MCP resource templates: shown only when some read would pass', () => {
  it('a template under a denied prefix is hidden, one beside it shown', () => {
    const spec = {
      defaultAction: 'Allow' as const,
      rules: [{ name: 'no-private', when: { mcp: { resources: ['note://private/*'] } }, action: 'Deny' as const }],
    };
    expect(shown('note://private/{id}', spec)).to.equal(false);
    expect(shown('note://public/{id}', spec)).to.equal(true);
  });

  it('an Allow glob narrower than the template is found as a witness', () => {
    const spec = {
      rules: [{ name: 'one', when: { mcp: { resources: ['note://public/1*'] } }, action: 'Allow' as const }],
    };
    expect(shown('note://public/{id}', spec)).to.equal(true);
    expect(shown('note://private/{id}', spec)).to.equal(false);
  });

  it('a simple variable cannot produce a slash: a glob needing one is no witness; a reserved expansion can', () => {
    const spec = {
      rules: [{ name: 'deep', when: { mcp: { resources: ['file:///data/x/*'] } }, action: 'Allow' as const }],
    };
    expect(shown('file:///data/{name}', spec)).to.equal(false);
    expect(shown('file:///data/{+path}', spec)).to.equal(true);
  });

  it('a hostile template cannot make the check backtrack: many adjacent expressions are judged in linear time', () => {
    const spec = {
      rules: [{ name: 'one', when: { mcp: { resources: [`note://${'x'.repeat(200)}*!`] } }, action: 'Allow' as const }],
    };
    // A backtracking matcher would not finish within the test's timeout here.
    expect(shown(`note://${'{a}x'.repeat(300)}`, spec)).to.equal(false);
  });

  it('malformed templates and reserved operators are hidden', () => {
    const spec = { defaultAction: 'Allow' as const };
    expect(shown('note://{id', spec)).to.equal(false);
    expect(shown('note://}{id}', spec)).to.equal(false);
    expect(shown('note://{=id}', spec)).to.equal(false);
    expect(shown('note://public/{id}{?q}', spec)).to.equal(true);
  });
});

describe('MCP approval binding covers what is forwarded', () => {
  const base = { name: 'write', arguments: { text: 'x' } };
  const sha = (p: Record<string, unknown>): string => callFacts('files', 'tools/call', p).sha256;

  it('_meta and task are bound; progressToken alone is not', () => {
    expect(sha({ ...base, _meta: { a: 1 } })).to.not.equal(sha(base));
    expect(sha({ ...base, _meta: { a: 1 } })).to.not.equal(sha({ ...base, _meta: { a: 2 } }));
    expect(sha({ ...base, task: { ttl: 1 } })).to.not.equal(sha(base));
    expect(sha({ ...base, _meta: { progressToken: 7 } })).to.equal(sha(base));
    expect(sha({ ...base, _meta: { progressToken: 7, a: 1 } })).to.equal(sha({ ...base, _meta: { a: 1 } }));
  });
});

describe('MCP tool fingerprint covers the whole definition', () => {
  const tool: Tool = { name: 't', description: 'd', inputSchema: { type: 'object' } };

  it('_meta, icons and execution change it', () => {
    const fp = toolFingerprint(tool);
    expect(toolFingerprint({ ...tool, _meta: { x: 1 } })).to.not.equal(fp);
    expect(toolFingerprint({ ...tool, icons: [{ src: 'https://e.example/i.png' }] })).to.not.equal(fp);
    expect(toolFingerprint({ ...tool, execution: { taskSupport: 'optional' } } as Tool)).to.not.equal(fp);
    expect(toolFingerprint({ inputSchema: { type: 'object' }, description: 'd', name: 't' })).to.equal(fp);
  });
});

describe('MCP listing masking', () => {
  const masker = new Masker({ detectors: ['email'], defaultStrategy: 'redact' } as never);

  it('masks every string and number of an entry; hides one whose id or a key carries a finding', () => {
    const m = new ListingMasker(masker);
    const out = m.entries(
      [
        { name: 'ok', description: 'mail bob@example.com', inputSchema: { default: 'bob@example.com' } },
        { name: 'bob@example.com', description: 'x' },
        { name: 'keyed', inputSchema: { properties: { 'bob@example.com': {} } } },
      ],
      ['name'],
    );
    expect(out.map((x) => x.name)).to.deep.equal(['ok']);
    expect(JSON.stringify(out)).to.not.include('bob@example.com');
    expect(m.count).to.be.greaterThan(2);
  });
});

describe('MCP tool baselines in a file', () => {
  it('first writer wins across two sidecars; a restarted one keeps the baseline', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'agentgate-baselines-')), 'b.jsonl');
    const a = new FileBaselines(file);
    const b = new FileBaselines(file);
    expect(a.claim('files', 't', '1'.repeat(64))).to.equal('1'.repeat(64));
    expect(b.claim('files', 't', '2'.repeat(64))).to.equal('1'.repeat(64));
    const restarted = new ToolFingerprints(new FileBaselines(file));
    expect(restarted.check(target, 't', '2'.repeat(64)).ok).to.equal(false);
    expect(restarted.check(target, 't', '1'.repeat(64)).ok).to.equal(true);
    expect(restarted.check({ ...target, name: 'other' }, 't', '2'.repeat(64)).ok).to.equal(true);
  });

  it('a damaged file stops the start; a baseline that cannot be written blocks its tool', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentgate-baselines-'));
    const torn = join(dir, 'torn.jsonl');
    writeFileSync(torn, '{"target":"files","tool":"t","sha256":"');
    expect(() => new FileBaselines(torn)).to.throw(/incomplete/);
    const bad = join(dir, 'bad.jsonl');
    appendFileSync(bad, 'not json\n');
    expect(() => new FileBaselines(bad)).to.throw(/line 1/);
    const unwritable = new ToolFingerprints(new FileBaselines(join(dir, 'missing-dir', 'b.jsonl')));
    const c = unwritable.check(target, 't', '1'.repeat(64));
    expect(c.ok).to.equal(false);
    expect(c.ok === false && c.unrecorded).to.be.a('string');
  });
});
