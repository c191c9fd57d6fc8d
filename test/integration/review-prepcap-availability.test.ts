/**
 * Review of spec.protocolLimits.maxPreparedBytes: a policy the validator accepts must not make legal
 * statements impossible to run through the extended protocol (node-postgres sends every parameterized
 * query as an unnamed Parse).
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { validatePolicy } from '../../shared/contract/validate-policy.js';

describe('review maxPreparedBytes: a validated policy still runs every statement it allows', function () {
  let s: LocalStack;
  const limits = { maxMessageBytes: 1048576, maxStatementBytes: 65536, maxPreparedBytes: 65536 };

  before(async () => {
    s = await startLocalStack({ editPolicy: (p) => void (p.spec.protocolLimits = limits) });
  });
  after(async () => s?.stop());

  it('maxPreparedBytes equal to maxStatementBytes (accepted): a parameterized query within maxStatementBytes is refused with 54000', async () => {
    expect(() => validatePolicy(structuredClone(s.policy))).to.not.throw();
    // 40 KB of text: within maxStatementBytes, and nothing else held by the session.
    const text = `SELECT $1::int AS v /* ${'x'.repeat(40_000)} */`;
    const c = await s.connect();
    try {
      const r = await c.query({ text, values: [7] }).then(
        (res) => `ran ${res.rows[0].v}`,
        (e: { code?: string }) => `refused ${e.code}`,
      );
      expect(r).to.equal('ran 7');
    } finally {
      await c.end();
    }
  });
});
