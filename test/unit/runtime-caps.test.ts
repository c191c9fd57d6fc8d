/** spec.runtimeLimits: the schema, which writes can be held to maxRowsAffected, and the row counter. */
import { expect } from 'chai';
import { parsePolicyText } from '../../proxy/policy/load.js';
import { PolicyValidationError } from '../../shared/contract/validate-policy.js';
import { limitsGuard as capDecision } from '../../proxy/gate/guards.js';
import { newRowCap } from '../../proxy/postgres/runtime-caps.js';
import { catalogWith } from '../support/caps-catalog.js';
import { explainSql } from '../../proxy/sql/explain.js';
import type { Classification } from '../../proxy/sql/types.js';

/** The built-in functions, plus the tables these statements write (none with triggers, rules or cascades). */
const catalog = catalogWith({
  relations: [
    { schema: 'public', name: 'orders' },
    { schema: 'public', name: 'customers' },
  ],
  searchPath: ['pg_catalog', 'public'],
  hiddenWrites: [],
});

async function one(sql: string): Promise<Classification> {
  const r = await explainSql(sql, catalog);
  if (!r.ok) throw new Error(r.error);
  return r.statements[0]!;
}

const policy = (limits: string): string => `apiVersion: agentgate.dev/v1alpha1
kind: AgentAccessPolicy
metadata: {name: caps}
spec:
  identity: {issuers: [{issuer: i, audiences: [a], jwksFile: j.json}]}
  targets: [{name: db, protocol: postgres, listen: 127.0.0.1:1, upstream: {host: h, port: 5432, database: d, user: u}, credentials: {passwordEnv: P}}]
  runtimeLimits: ${limits}
`;

describe('runtime caps', () => {
  describe('policy schema', () => {
    it('accepts the three limits', () => {
      const { policy: p } = parsePolicyText(
        policy('{maxRowsAffected: 0, maxRowsReturned: 100, maxStatementSeconds: 30}'),
        'inline',
        '/tmp',
      );
      expect(p.spec.runtimeLimits).to.deep.equal({ maxRowsAffected: 0, maxRowsReturned: 100, maxStatementSeconds: 30 });
    });
    for (const [limits, path] of [
      ['{maxRowsAffected: -1}', 'spec.runtimeLimits.maxRowsAffected'],
      ['{maxStatementSeconds: 0}', 'spec.runtimeLimits.maxStatementSeconds'],
      ['{maxRowsReturned: 1.5}', 'spec.runtimeLimits.maxRowsReturned'],
      ['{maxRows: 5}', 'spec.runtimeLimits.maxRows'],
    ] as const) {
      it(`refuses ${limits}`, () => {
        let err: PolicyValidationError | undefined;
        try {
          parsePolicyText(policy(limits), 'inline', '/tmp');
        } catch (e) {
          err = e as PolicyValidationError;
        }
        expect(err).to.be.instanceOf(PolicyValidationError);
        expect(err!.errors.map((e) => e.path)).to.include(path);
      });
    }
  });

  describe('maxRowsAffected: which writes the command tag counts', () => {
    const limits = { maxRowsAffected: 10 };
    for (const sql of [
      'DELETE FROM orders WHERE id IS NOT NULL',
      "UPDATE orders SET status = 'x' WHERE id IN (SELECT id FROM orders WHERE amount_cents > 0)",
      'INSERT INTO orders (customer_id, amount_cents) SELECT customer_id, amount_cents FROM orders',
      "INSERT INTO orders (id, customer_id, amount_cents) VALUES (1, 1, 1) ON CONFLICT (id) DO UPDATE SET status = 'y'",
      "MERGE INTO orders o USING (SELECT 1 AS id) s ON o.id = s.id WHEN MATCHED THEN UPDATE SET status = 'm' WHEN NOT MATCHED THEN INSERT (customer_id, amount_cents) VALUES (1, 1)",
      "SELECT nextval('orders_id_seq')",
      'SELECT * FROM orders',
    ]) {
      it(`checked on its tag: ${sql}`, async () => {
        expect(capDecision(await one(sql), limits)).to.equal(undefined);
      });
    }
    for (const sql of [
      'WITH d AS (DELETE FROM orders RETURNING *) SELECT * FROM d',
      'WITH d AS (DELETE FROM orders WHERE id > 1 RETURNING id) DELETE FROM orders WHERE id = 1',
      'WITH d AS ( /* /* nested */ */ UPDATE orders SET status = 1 RETURNING id) INSERT INTO customers (name, email) SELECT 1, 2 FROM d',
      'SELECT * FROM orders FOR UPDATE',
      'TRUNCATE orders',
      'COPY orders FROM STDIN',
      'EXPLAIN ANALYZE DELETE FROM orders WHERE id = 1',
      'PREPARE p AS DELETE FROM orders WHERE id > $1',
      'DO $$ BEGIN DELETE FROM orders; END $$',
      'CALL archive_orders()',
    ]) {
      it(`refused (uncountable): ${sql}`, async () => {
        expect(capDecision(await one(sql), limits)).to.deep.include({
          action: 'Deny',
          rule: 'limits-max-rows-affected',
          blocked: true,
        });
      });
    }
  });

  it('maxStatementSeconds: changing statement_timeout is refused whatever the rules say', async () => {
    for (const sql of [
      'SET statement_timeout = 0',
      'RESET statement_timeout',
      "SELECT set_config('statement_timeout', '0', true)",
      'SET LOCAL "statement_timeout" TO 0',
    ]) {
      expect(capDecision(await one(sql), { maxStatementSeconds: 5 }), sql).to.deep.include({
        rule: 'limits-statement-timeout',
      });
    }
    expect(capDecision(await one('SET work_mem = 1024'), { maxStatementSeconds: 5 })).to.equal(undefined);
  });

  it('counts rows: the row past maxRowsReturned is not forwarded, and the hit names limit and count', async () => {
    const cap = newRowCap(await one('SELECT * FROM orders'), { maxRowsReturned: 2 });
    expect([cap.row(), cap.row(), cap.row(), cap.row()]).to.deep.equal([true, true, false, false]);
    expect(cap.complete({ tag: 'SELECT', rows: 4 })).to.deep.equal({ limit: 'maxRowsReturned', cap: 2, count: 4 });
    const write = newRowCap(await one('DELETE FROM orders WHERE id > 0'), { maxRowsAffected: 3 });
    expect(write.complete({ tag: 'DELETE', rows: 3 })).to.equal(undefined);
    const over = newRowCap(await one('DELETE FROM orders WHERE id > 0'), { maxRowsAffected: 3 });
    expect(over.complete({ tag: 'DELETE', rows: 4 })).to.deep.equal({ limit: 'maxRowsAffected', cap: 3, count: 4 });
  });
});
