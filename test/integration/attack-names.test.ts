/**
 * Names resolve as PostgreSQL resolves them, against a real server through the proxy: a CTE named like
 * a protected table does not hide the table, and a table a migration creates after the proxy started
 * (by a direct admin connection, so the proxy sees no DDL) is covered by `tables` and column rules
 * from its first use.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { EXAMPLE_SEED, startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { eventually } from '../support/eventually.js';
import { pgError } from '../support/pg-error.js';

const SEED = `${readFileSync(EXAMPLE_SEED, 'utf8')}
CREATE TABLE public.payroll (id int PRIMARY KEY, salary int);
INSERT INTO public.payroll VALUES (1, 100), (2, 200);
CREATE SCHEMA hr;
`;

describe('attack: relation names (CTEs, tables created after start)', function () {
  let s: LocalStack;
  let c: pg.Client;
  let admin: pg.Client;

  before(async () => {
    s = await startLocalStack({
      seedSql: SEED,
      editPolicy: (p) => {
        p.spec.rules!.splice(
          0,
          0,
          { name: 'no-payroll-table', when: { sql: { tables: ['payroll'] } }, action: 'Deny' },
          { name: 'no-hr', when: { sql: { tables: ['hr.*'] } }, action: 'Deny' },
        );
      },
    });
    c = await s.connect();
    admin = await s.direct();
  });
  after(async () => {
    await c?.end().catch(() => undefined);
    await admin?.end().catch(() => undefined);
    await s?.stop();
  });

  const salaries = async (): Promise<number[]> =>
    (await admin.query('SELECT salary FROM public.payroll ORDER BY id')).rows.map((r) => r.salary);

  it('a CTE named like the table, reading the table, is denied', async () => {
    const e = await pgError(c.query('WITH payroll AS (SELECT * FROM payroll) SELECT * FROM payroll'));
    expect(e.code).to.equal('42501');
    expect(e.message).to.contain('no-payroll-table');
  });

  it('a DML target is the real table even when a CTE has its name', async () => {
    for (const sql of [
      'WITH payroll AS (SELECT 1) UPDATE payroll SET salary = 0 WHERE id = 1',
      'WITH payroll AS (SELECT 1) DELETE FROM payroll WHERE id = 1',
      'WITH payroll AS (SELECT 1 AS id, 0 AS salary) INSERT INTO payroll SELECT id + 10, salary FROM payroll',
      'WITH payroll AS (SELECT 1) SELECT 1 FROM (SELECT 1) x; UPDATE payroll SET salary = 0 WHERE id = 2',
    ]) {
      const e = await pgError(c.query(sql));
      expect(e.message, sql).to.contain('no-payroll-table');
    }
    expect(await salaries()).to.deep.equal([100, 200]);
  });

  it('DROP and COMMENT ON name the table for tables rules', async () => {
    for (const sql of [
      'DROP TABLE payroll',
      'DROP TABLE IF EXISTS orders_archive, public.payroll',
      "COMMENT ON COLUMN payroll.salary IS 'x'",
    ]) {
      expect((await pgError(c.query(sql))).message, sql).to.contain('no-payroll-table');
    }
  });

  it('a later CTE does not hide the table from an earlier one', async () => {
    const e = await pgError(c.query('WITH a AS (SELECT * FROM payroll), payroll AS (SELECT 1) SELECT * FROM a'));
    expect(e.message).to.contain('no-payroll-table');
  });

  it('a CTE that shadows the table is allowed where PostgreSQL reads the CTE', async () => {
    const r = await c.query('WITH payroll AS (SELECT 7 AS salary) SELECT salary FROM payroll');
    expect(r.rows).to.deep.equal([{ salary: 7 }]);
  });

  it('a table created after start in a protected schema is denied on first use; search_path cannot be pointed at it', async () => {
    await admin.query("CREATE TABLE hr.staff (id int, name text); INSERT INTO hr.staff VALUES (1, 'Grace')");
    expect((await pgError(c.query('SET search_path = hr, public'))).message).to.contain('pinned-search-path');
    const e = await pgError(c.query('SELECT * FROM staff'));
    expect(e.code).to.equal('42501');
    expect(e.message).to.contain('no-hr');
  });

  it('column rules cover a table created after start, through an alias (simple and extended protocol)', async () => {
    await admin.query(
      "CREATE TABLE public.late_hires (id int, ssn text); INSERT INTO public.late_hires VALUES (1, 'plain-value-42')",
    );
    const r = await c.query('SELECT ssn AS x FROM late_hires');
    expect(r.rows).to.deep.equal([{ x: '[redacted:ssn]' }]);
    await admin.query(
      "CREATE TABLE public.later_hires (id int, ssn text); INSERT INTO public.later_hires VALUES (1, 'plain-value-43')",
    );
    const p = await c.query({ text: 'SELECT ssn AS y FROM later_hires WHERE id = $1', values: [1] });
    expect(p.rows).to.deep.equal([{ y: '[redacted:ssn]' }]);
  });

  it('a column a migration adds to a known table is masked (fail closed) before the catalog knows it', async () => {
    await admin.query("ALTER TABLE orders ADD COLUMN ssn text; UPDATE orders SET ssn = 'plain-value-7'");
    const first = await c.query('SELECT ssn AS z FROM orders WHERE id = 1');
    expect(first.rows[0].z).to.match(/^\[redacted:/);
    // The unknown column set off a catalog load (at most one per interval): until it has landed the value
    // is masked as unknown, and then by the column rule.
    await eventually(
      'the catalog to know the new column',
      async () => {
        const later = await c.query('SELECT ssn AS z FROM orders WHERE id = 1');
        expect(later.rows).to.have.length(1);
        expect(later.rows[0].z).to.match(/^\[redacted:/);
        return later.rows[0].z === '[redacted:ssn]';
      },
      { everyMs: 100 },
    );
    expect((await c.query('SELECT id FROM orders WHERE id = 1')).rows).to.deep.equal([{ id: 1 }]);
  });
});
