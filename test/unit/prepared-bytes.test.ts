/**
 * spec.protocolLimits.maxPreparedBytes: its validation and default, and how the server objects count
 * what a session holds (held-bytes.ts): pending creates count at once, confirmed ones until the server
 * forgets them (Close, DEALLOCATE, DISCARD ALL, a refused unnamed Parse, the transaction's end for portals).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { emptyClassification } from '../../proxy/gate/guards.js';
import { overHeld, portalBytes, statementBytes } from '../../proxy/postgres/held-bytes.js';
import { protocolLimits } from '../../proxy/postgres/limits.js';
import { ServerObjects, type Portal, type Prepared } from '../../proxy/postgres/server-objects.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { PolicyValidationError, validatePolicy } from '../../shared/contract/validate-policy.js';

const EXAMPLE = new URL('../../examples/local/policy.yaml', import.meta.url);
const example = (): AgentAccessPolicy => parseYaml(readFileSync(EXAMPLE, 'utf8')) as AgentAccessPolicy;
const errorsOf = (limits: NonNullable<AgentAccessPolicy['spec']['protocolLimits']>): string[] => {
  const p = example();
  p.spec.protocolLimits = limits;
  try {
    validatePolicy(p);
    return [];
  } catch (e) {
    return (e as PolicyValidationError).errors.map((x) => `${x.path}: ${x.message}`);
  }
};

const stmt = (sql: string): Prepared => ({ sql, classes: [emptyClassification(sql)] });

describe('maxPreparedBytes (spec.protocolLimits)', () => {
  it('validates: an integer of at least 128 KiB, holding two statements of maxStatementBytes and their portals (defaults included); default 32 MiB', () => {
    // Two statements at their counted cost (1 KiB + 2x the bytes, 8x for texts up to 4096 characters) and two portals.
    const needed = (s: number): number => 2 * (1024 + Math.max(2 * s, 8 * Math.min(s, 12288))) + 1024;
    expect(needed(1 << 20)).to.equal(4197376);
    expect(needed(4096)).to.equal(68608);
    expect(errorsOf({ maxPreparedBytes: needed(1 << 20) })).to.deep.equal([]);
    expect(errorsOf({ maxPreparedBytes: 1000 }).join('\n')).to.match(
      /spec\.protocolLimits\.maxPreparedBytes: must be >= 131072/,
    );
    expect(errorsOf({ maxPreparedBytes: 65536, maxStatementBytes: 1024 }).join('\n')).to.match(
      /spec\.protocolLimits\.maxPreparedBytes: must be >= 131072/,
    );
    const below = /^spec\.protocolLimits\.maxPreparedBytes: must be at least \d+: two statements of maxStatementBytes/;
    const one = (e: string[]): string => (expect(e).to.have.length(1), e[0]!);
    expect(one(errorsOf({ maxPreparedBytes: 1 << 18, maxStatementBytes: 1 << 17, maxMessageBytes: 1 << 20 }))).to.match(
      below,
    );
    expect(
      one(errorsOf({ maxPreparedBytes: needed(1 << 17) - 1, maxStatementBytes: 1 << 17, maxMessageBytes: 1 << 20 })),
    ).to.match(below);
    expect(errorsOf({ maxPreparedBytes: needed(1 << 17), maxStatementBytes: 1 << 17 })).to.deep.equal([]);
    // Short texts count 8x: 12288 bytes of statement (4096 three-byte characters) need more than 4x.
    expect(one(errorsOf({ maxPreparedBytes: 131072, maxStatementBytes: 12288 }))).to.match(below);
    expect(errorsOf({ maxPreparedBytes: needed(12288), maxStatementBytes: 12288 })).to.deep.equal([]);
    // Against the default statement limit (1 MiB) when maxStatementBytes is not set.
    expect(one(errorsOf({ maxPreparedBytes: needed(1 << 20) - 1 }))).to.match(below);
    // The default maxPreparedBytes (32 MiB) against a large maxStatementBytes.
    expect(one(errorsOf({ maxStatementBytes: 8 << 20, maxMessageBytes: 64 << 20 }))).to.match(below);
    expect(errorsOf({ maxStatementBytes: (8 << 20) - 2048, maxMessageBytes: 64 << 20 })).to.deep.equal([]);
    expect(errorsOf({ maxPreparedBytes: 'big' as unknown as number }).join('\n')).to.match(/maxPreparedBytes/);
    expect(protocolLimits(example().spec).maxPreparedBytes).to.equal(32 * 1024 * 1024);
    const crd = readFileSync(new URL('../../crds/agentaccesspolicy.yaml', import.meta.url), 'utf8');
    expect(crd).to.match(/maxPreparedBytes:\n\s+type: integer\n\s+description:/);
  });

  it('counts pending creates at once and confirmed ones until the server forgets them', () => {
    const o = new ServerObjects();
    const a = stmt('SELECT 1');
    const b = stmt(`SELECT 2 /* ${'é'.repeat(5000)} */`);
    const parseA = {};
    const parseB = {};
    o.expect(parseA, { ns: 'statement', name: 'a', value: a });
    o.expect(parseB, { ns: 'statement', name: 'b', value: b });
    expect(o.heldBytes()).to.equal(statementBytes(a) + statementBytes(b));
    // A UTF-8 text counts its bytes; a long one has no kept record (2x, not 8x).
    expect(statementBytes(b)).to.equal(1024 + 2 * Buffer.byteLength(b.sql));
    expect(statementBytes(a)).to.equal(1024 + 8 * 8);
    o.settle(parseA, 'confirmed');
    o.settle(parseB, 'failed'); // 42P05 or skipped: never held
    expect(o.heldBytes()).to.equal(statementBytes(a));
    const bind = {};
    const portal: Portal = { stmt: a, described: false };
    o.expect(bind, { ns: 'portal', name: 'c', value: portal, dropOnFailure: true });
    o.settle(bind, 'confirmed');
    expect(o.heldBytes()).to.equal(statementBytes(a) + portalBytes(portal));
    o.transactionEnded();
    expect(o.heldBytes()).to.equal(statementBytes(a));
    const close = {};
    o.expect(close, { ns: 'statement', name: 'a' });
    expect(o.heldBytes(), 'a drop frees room once the server confirms it').to.equal(statementBytes(a));
    o.settle(close, 'confirmed');
    expect(o.heldBytes()).to.equal(0);
    const p1 = {};
    o.expect(p1, { ns: 'statement', name: 'x', value: a }, { ns: 'statement', name: 'y', value: b });
    o.settle(p1, 'confirmed');
    const discard = {};
    o.expect(discard, { ns: 'statement' });
    o.settle(discard, 'confirmed');
    expect(o.heldBytes()).to.equal(0);
    // The unnamed statement is replaced, not added; a failed unnamed Parse drops it.
    for (const v of [a, b, a]) {
      const p = {};
      o.expect(p, { ns: 'statement', name: '', value: v, dropOnFailure: true });
      o.settle(p, 'confirmed');
    }
    expect(o.heldBytes()).to.equal(statementBytes(a));
    const bad = {};
    o.expect(bad, { ns: 'statement', name: '', value: b, dropOnFailure: true });
    o.settle(bad, 'failed');
    expect(o.heldBytes()).to.equal(0);
  });

  it('refuses only what would go over, naming the limit and what frees room', () => {
    const c = emptyClassification('PREPARE p AS SELECT 1');
    expect(overHeld(c, 65536, 60000, 5536)).to.equal(undefined);
    expect(overHeld(c, 65536, 70000, 0), 'nothing new: never refused').to.equal(undefined);
    const o = overHeld(c, 65536, 60000, 5537)!;
    expect(o.detail).to.deep.equal({
      limit: 'maxPreparedBytes',
      cap: 65536,
      count: 65537,
      held: 60000,
      requested: 5537,
    });
    const r = o.operation.refused!;
    expect(r.refusal).to.include({ code: 'too-large', rule: 'prepared-bytes-limit' });
    expect(r.refusal.reason).to.contain('spec.protocolLimits.maxPreparedBytes');
    expect(r.refusal.hint).to.match(/DEALLOCATE/);
    expect(r.decision).to.include({ action: 'Deny', blocked: true });
  });
});
