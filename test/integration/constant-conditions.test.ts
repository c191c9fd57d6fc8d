/**
 * A write's WHERE that reads no column is bounded only when the classifier knows it is false
 * (proxy/sql/shape.ts `constValue`): a wrong "false" would let `DELETE ... WHERE <always true>` pass a
 * rule against unbounded writes. Differential against the real server: for every constant condition
 * below that the classifier calls bounded, PostgreSQL must not find it true. The cases the first
 * evaluator got wrong (casts that change values, numerics JavaScript rounds, collation-dependent string
 * comparisons) are among them, and must now be unbounded.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { explainSql } from '../../proxy/sql/explain.js';

/** Whether the classifier calls `DELETE FROM orders WHERE <cond>` an unbounded write. */
async function unbounded(cond: string): Promise<boolean> {
  const r = await explainSql(`DELETE FROM orders WHERE ${cond}`);
  if (!r.ok || r.statements.length !== 1) throw new Error(`${cond}: ${JSON.stringify(r)}`);
  return r.statements[0]!.unboundedWrite;
}

const WRONGLY_FALSE_BEFORE = [
  '9007199254740993 <> 9007199254740992',
  'NOT (9007199254740993 = 9007199254740992)',
  '1 < 1.00000000000000001',
  '1::boolean = 2::boolean',
  '1.4::int = 1',
  "'a'::bpchar = 'a '",
  "'1'::int = '01'",
  "'a' < 'B' OR 'B' < 'a'",
  "'0'::int::boolean IS NOT TRUE",
  "NOT 'nonsense'::char(1)::boolean",
];

const CONDITIONS = [
  ...WRONGLY_FALSE_BEFORE,
  '1 = 0',
  '1 = 1',
  '1 <> 1',
  '2 < 1',
  '2147483647 < 2147483648',
  '2147483648 = 2147483648',
  '2147483648 <> 2147483648',
  '3000000001 = 3000000002',
  '5 = 3000000000',
  '3000000000 > 5',
  '00003000000000 = 3000000000',
  '1.5 = 1.5',
  '1.0 = 1.00',
  '1.0 <> 1.00',
  "'a' = 'a'",
  "'a' <> 'a'",
  "'a' = 'A'",
  "'a' <> 'b'",
  "'a ' = 'a'",
  'true = false',
  'true <> false',
  'false < true',
  "'f'",
  "'off'::boolean",
  "'no'::pg_catalog.bool",
  "'fa'",
  "'f'::boolean::text::boolean",
  'NOT true',
  'NOT (1 = 1)',
  '1 = 0 OR 2 = 2',
  '1 = 0 AND 2 = 2',
  'NOT (1 = 0 OR 1 = 0)',
  "'1' = 1",
  "1 = '01'",
  '0 = -0',
  '-1 < 0',
  'NULL = NULL',
  'NOT (NULL = NULL) IS NULL',
];

describe('constant conditions: bounded only when PostgreSQL agrees they are false (real PostgreSQL)', function () {
  this.timeout(60_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack();
  });
  after(async () => s?.stop());

  it('every constant condition the classifier calls bounded is not true on the server', async () => {
    const d = await s.direct();
    try {
      for (const cond of CONDITIONS) {
        if (await unbounded(cond)) continue;
        const r = await d.query(`SELECT (${cond}) IS TRUE AS t`);
        expect(r.rows[0].t, `${cond}: called bounded, but the server finds it true`).to.equal(false);
      }
    } finally {
      await d.end();
    }
  });

  it('the conditions the first evaluator called false, true on the server, are unbounded', async () => {
    const d = await s.direct();
    try {
      for (const cond of WRONGLY_FALSE_BEFORE) {
        const r = await d.query(`SELECT (${cond}) IS TRUE AS t`);
        expect(r.rows[0].t, `${cond} is true on the server`).to.equal(true);
        expect(await unbounded(cond), cond).to.equal(true);
      }
    } finally {
      await d.end();
    }
  });

  it('what stays known: integer and identical-text comparisons, boolean literals', async () => {
    for (const [cond, expected] of [
      ['1 = 0', false],
      ['1 = 1', true],
      ['2147483648 <> 2147483648', false],
      ['3000000001 = 3000000002', false],
      ['9007199254740993 = 9007199254740993', true],
      ["'a' <> 'a'", false],
      ['true = false', false],
      ["'off'::boolean", false],
      ['NOT (1 = 1)', false],
    ] as const)
      expect(await unbounded(cond), cond).to.equal(expected);
  });
});
