/**
 * Red-team reproduction (review10): the proxy records a prepared statement (SQL PREPARE or a named
 * Parse) before the server has accepted it. When the server refuses the new one ("prepared statement
 * already exists", 42P05) it keeps the OLD statement, while the proxy now classifies the name as the NEW
 * text. EXECUTE / Bind+Execute then run the old statement under the new statement's classification:
 * - derived-column masking is computed from the wrong statement -> a column-rule value in clear;
 * - maxRowsAffected counts only statements the proxy believes write -> a 10-row DELETE with a cap of 2 commits.
 * Each `it` asserts the secure behaviour, so each FAILS on the reviewed code.
 * Run: npx mocha test/integration/review-prepared-desync.test.ts
 */
import { expect } from 'chai';
import type pg from 'pg';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { fe, RawClient, type RawMessage } from '../support/raw-client.js';

const NOTES = 'prefers invoices by mail';
const show = (ms: RawMessage[]): string =>
  ms
    .map(
      (m) =>
        m.type +
        (m.error
          ? `(${m.error.code} ${m.error.message})`
          : m.type === 'C'
            ? `(${m.body.toString().replace(/\0/g, '')})`
            : m.type === 'D'
              ? `(${m.body.toString('latin1').replace(/[^\x20-\x7e]/g, '.')})`
              : ''),
    )
    .join(' ');

describe('review10: prepared-statement desync between proxy and server', function () {
  let s: LocalStack;
  let c: pg.Client;
  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => {
        p.spec.masking!.columns!.push({ name: 'notes', strategy: 'redact' });
        (p.spec as any).runtimeLimits = { maxRowsAffected: 2 };
      },
    });
    c = await s.connect();
  });
  after(async () => {
    await c?.end();
    await s?.stop();
  });

  it('sanity: the derived output is masked when the proxy knows the statement', async () => {
    const r = await c.query('SELECT upper(notes) AS u FROM customers WHERE id = 2');
    expect(r.rows[0].u).to.equal('[redacted:notes]');
  });

  it('SQL PREPARE twice under one name: EXECUTE returns upper(notes) in clear', async () => {
    await c.query('PREPARE p AS SELECT upper(notes) AS u FROM customers WHERE id = 2');
    const dup = await c.query(`PREPARE p AS SELECT 'nothing here'::text AS u`).catch((e) => e);
    expect(dup.code).to.equal('42P05'); // the server kept the first p
    const r = await c.query('EXECUTE p');
    expect(r.rows[0].u).to.not.equal(NOTES.toUpperCase()); // FAILS: 'PREFERS INVOICES BY MAIL'
  });

  it('named Parse twice: a 10-row DELETE runs and commits under maxRowsAffected 2', async () => {
    const d = await s.direct();
    await d.query('INSERT INTO orders (customer_id, amount_cents) SELECT 1, g FROM generate_series(1, 10) g');
    const before = (await d.query('SELECT count(*)::int n FROM orders')).rows[0].n;
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    // 1. the write the proxy allows at Parse (its tag would be counted at Execute)
    raw.send(fe.parse({ name: 'w', text: 'DELETE FROM orders WHERE id > 0' }), fe.sync());
    console.log('      parse 1:', show(await raw.until('Z')));
    // 2. same name, harmless text: the server refuses (42P05) and keeps the DELETE; the proxy now says "SELECT"
    raw.send(fe.parse({ name: 'w', text: 'SELECT 1' }), fe.sync());
    console.log('      parse 2:', show(await raw.until('Z')));
    // 3. execute it
    raw.send(fe.bind({ statement: 'w' }), fe.execute({}), fe.sync());
    console.log('      execute:', show(await raw.until('Z')));
    raw.end();
    const after = (await d.query('SELECT count(*)::int n FROM orders')).rows[0].n;
    await d.end();
    console.log(`      orders: ${before} -> ${after}`);
    expect(before - after).to.be.at.most(2); // FAILS: every row deleted
  });

  it('portal desync: Bind onto an existing SQL cursor name, ROLLBACK TO SAVEPOINT, Execute the cursor', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    const q = async (sql: string): Promise<string> => {
      raw.send(fe.query(sql));
      return show(await raw.until('Z'));
    };
    console.log('      ', await q('BEGIN'));
    console.log('      ', await q('DECLARE c CURSOR FOR SELECT upper(notes) AS u FROM customers WHERE id = 2'));
    console.log('      ', await q('SAVEPOINT s'));
    // The server refuses the portal name (42P03: cursor "c" already exists); the proxy now maps portal c to SELECT 'x'.
    raw.send(
      fe.parse({ name: 'h', text: `SELECT 'x'::text AS u` }),
      fe.bind({ portal: 'c', statement: 'h' }),
      fe.sync(),
    );
    console.log('      bind c     :', show(await raw.until('Z')));
    console.log('      ', await q('ROLLBACK TO SAVEPOINT s')); // the cursor was declared before the savepoint: it survives
    raw.send(fe.execute({ portal: 'c' }), fe.sync());
    const out = await raw.until('Z');
    console.log('      execute c  :', show(out));
    await q('ROLLBACK');
    raw.end();
    const rows = out.filter((m) => m.type === 'D').map((m) => m.body.toString('latin1'));
    expect(rows.join()).to.not.contain(NOTES.toUpperCase()); // FAILS: the cursor's upper(notes) arrives in clear
  });
});
