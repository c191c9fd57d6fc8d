/**
 * Review of spec.protocolLimits.maxPreparedBytes: a policy the validator accepts must not make legal
 * statements impossible to run through the extended protocol (node-postgres sends every parameterized
 * query as an unnamed Parse and Bind). The validator requires maxPreparedBytes to hold two statements of
 * maxStatementBytes and their portals at their counted cost (held-bytes.ts): an unnamed statement and the
 * one replacing it are both held until the server confirms the replacement.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { PolicyValidationError, validatePolicy } from '../../shared/contract/validate-policy.js';

const STATEMENT = 65536;

describe('review maxPreparedBytes: a validated policy still runs every statement it allows', function () {
  let s: LocalStack;
  // 2 x (1 KiB + 2 x the bytes) + two 512-byte portals.
  const SMALLEST = 2 * (1024 + 2 * STATEMENT) + 1024;
  const limits = { maxMessageBytes: 1048576, maxStatementBytes: STATEMENT, maxPreparedBytes: SMALLEST };

  before(async () => {
    s = await startLocalStack({ editPolicy: (p) => void (p.spec.protocolLimits = limits) });
  });
  after(async () => s?.stop());

  it('maxPreparedBytes below two statements of maxStatementBytes and their portals (one, or one byte short) is refused by the validator', () => {
    for (const maxPreparedBytes of [STATEMENT * 2 + 2048, SMALLEST - 1]) {
      const p = structuredClone(s.policy);
      p.spec.protocolLimits = { ...limits, maxPreparedBytes };
      expect(() => validatePolicy(p))
        .to.throw(PolicyValidationError)
        .with.property('message')
        .that.matches(/maxPreparedBytes: must be at least \d+: two statements of maxStatementBytes/);
    }
  });

  it('at the smallest accepted maxPreparedBytes, parameterized queries of maxStatementBytes run, one after another', async () => {
    expect(() => validatePolicy(structuredClone(s.policy))).to.not.throw();
    const head = 'SELECT $1::int AS v /* ';
    const text = `${head}${'x'.repeat(STATEMENT - head.length - 3)} */`;
    expect(Buffer.byteLength(text)).to.equal(STATEMENT);
    const c = await s.connect();
    try {
      for (const v of [7, 8, 9]) {
        const r = await c.query({ text, values: [v] }).then(
          (res) => `ran ${res.rows[0].v}`,
          (e: { code?: string }) => `refused ${e.code}`,
        );
        expect(r).to.equal(`ran ${v}`);
      }
    } finally {
      await c.end();
    }
  });
});
