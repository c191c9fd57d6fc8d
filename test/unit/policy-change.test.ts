/** Change management stamps (pure admission function) and how the proxy picks them up. */
import { expect } from 'chai';
import { CHANGED_AT, CHANGED_BY, SPEC_SHA256 } from '../../shared/contract/labels.js';
import { specSha256 } from '../../shared/contract/spec-sha256.js';
import { stampPolicyChange } from '../../operator/webhook/policy-change.js';
import { loadPolicyFile } from '../../proxy/policy/load.js';
import { compilePolicy } from '../../proxy/policy/runtime.js';
import { validatePolicy } from '../../shared/contract/validate-policy.js';
import { EXAMPLE_POLICY } from '../../proxy/local/stack.js';

describe('policy change stamps', () => {
  const now = new Date('2026-11-26T10:00:00Z');
  const base = () => ({
    metadata: { name: 'p', annotations: { team: 'billing' } as Record<string, string> },
    spec: { mode: 'Enforce', rules: [{ name: 'a' }] },
  });

  it('stamps who, when and the spec hash on create and on a spec change', () => {
    const created = stampPolicyChange('CREATE', undefined, base(), { username: 'alice' }, now)!;
    expect(created.metadata.annotations).to.deep.equal({
      team: 'billing',
      [CHANGED_BY]: 'alice',
      [CHANGED_AT]: now.toISOString(),
      [SPEC_SHA256]: specSha256(base().spec),
    });
    const edited = structuredClone(created);
    edited.spec.mode = 'Audit';
    const stamped = stampPolicyChange(
      'UPDATE',
      created,
      edited,
      { username: 'bob' },
      new Date('2026-11-26T11:00:00Z'),
    )!;
    expect(stamped.metadata.annotations[CHANGED_BY]).to.equal('bob');
    expect(stamped.metadata.annotations[SPEC_SHA256])
      .to.equal(specSha256(edited.spec))
      .and.not.equal(created.metadata.annotations[SPEC_SHA256]);
  });

  it('restores forged stamps when the spec did not change, and leaves other edits alone', () => {
    const created = stampPolicyChange('CREATE', undefined, base(), { username: 'alice' }, now)!;
    const forged = structuredClone(created);
    forged.metadata.annotations[CHANGED_BY] = 'mallory';
    forged.metadata.annotations.team = 'payments';
    const fixed = stampPolicyChange('UPDATE', created, forged, { username: 'mallory' }, now)!;
    expect(fixed.metadata.annotations).to.deep.include({ [CHANGED_BY]: 'alice', team: 'payments' });
    const removed = structuredClone(created);
    delete (removed.metadata.annotations as Record<string, string | undefined>)[SPEC_SHA256];
    expect(
      stampPolicyChange('UPDATE', created, removed, { username: 'mallory' }, now)!.metadata.annotations[SPEC_SHA256],
    ).to.equal(created.metadata.annotations[SPEC_SHA256]);
    expect(stampPolicyChange('UPDATE', created, structuredClone(created), { username: 'x' }, now)).to.equal(undefined); // nothing to change
  });

  it('the spec hash ignores key order', () => {
    expect(specSha256({ a: 1, b: { c: [1, { d: 2, e: 3 }] } })).to.equal(
      specSha256({ b: { c: [1, { e: 3, d: 2 }] }, a: 1 }),
    );
    expect(specSha256({ a: 1 })).to.not.equal(specSha256({ a: 2 }));
  });

  it('the proxy carries the stamp of the compiled policy into its policy records', () => {
    const { policy } = loadPolicyFile(EXAMPLE_POLICY);
    policy.metadata.annotations = {
      [CHANGED_BY]: 'alice',
      [CHANGED_AT]: now.toISOString(),
      [SPEC_SHA256]: 'a'.repeat(64),
    };
    const validated = validatePolicy(JSON.parse(JSON.stringify(policy)));
    expect(compilePolicy(validated).change).to.deep.equal({
      changedBy: 'alice',
      changedAt: now.toISOString(),
      specSha256: 'a'.repeat(64),
    });
    delete policy.metadata.annotations;
    expect(compilePolicy(policy).change).to.equal(undefined);
  });
});
