/**
 * Red team (review10b): a WITH HOLD cursor's query runs to completion at COMMIT (PostgreSQL materializes
 * it then), so an evaluation error of a ruled column surfaces on the COMMIT, a statement that reads
 * nothing: its error text is not withheld and quotes the ruled value. Asserts the secure behaviour.
 */
import { expect } from 'chai';
import type pg from 'pg';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { RawClient } from '../support/raw-client.js';
import { serialize } from 'pg-protocol';

const NOTES = 'prefers invoices by mail';

describe('review10b: WITH HOLD cursor errors at COMMIT quote ruled values', function () {
  this.timeout(120_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => p.spec.masking!.columns!.push({ name: 'notes', strategy: 'redact' }),
    });
  });
  after(async () => s?.stop());

  const text = (e: any): string => `${e?.message} ${e?.detail ?? ''} ${e?.where ?? ''} ${e?.hint ?? ''}`;

  it('BEGIN; DECLARE … WITH HOLD FOR SELECT notes::int; COMMIT (separate statements)', async () => {
    const c: pg.Client = await s.connect();
    await c.query('BEGIN');
    await c.query('DECLARE c CURSOR WITH HOLD FOR SELECT notes::int FROM customers WHERE id = 2');
    const e = await c.query('COMMIT').catch((x) => x);
    await c.end();
    expect(text(e)).to.not.contain(NOTES); // today: 22P02 invalid input syntax for type integer: "prefers invoices by mail"
  });

  it('the same in one simple Query message', async () => {
    const c: pg.Client = await s.connect();
    const e = await c
      .query('BEGIN; DECLARE c CURSOR WITH HOLD FOR SELECT notes::int FROM customers WHERE id = 2; COMMIT')
      .catch((x) => x);
    await c.end();
    expect(text(e)).to.not.contain(NOTES);
  });

  it('implicit transaction: DECLARE … WITH HOLD; SELECT 1 in one Query (commit at the end of the message)', async () => {
    const c: pg.Client = await s.connect();
    const e = await c
      .query('DECLARE c CURSOR WITH HOLD FOR SELECT notes::int FROM customers WHERE id = 2; SELECT 1')
      .catch((x) => x);
    await c.end();
    expect(text(e)).to.not.contain(NOTES);
  });

  it('extended protocol: DECLARE … WITH HOLD executed, error at Sync (implicit commit)', async () => {
    const r = await RawClient.connect(s.host, s.port, await s.token('raw'));
    r.send(
      serialize.parse({ text: 'DECLARE c CURSOR WITH HOLD FOR SELECT notes::int FROM customers WHERE id = 2' }),
      serialize.bind({}),
      serialize.execute({}),
      serialize.sync(),
    );
    const got = await r.until('Z');
    r.end();
    const msgs = got.filter((m) => m.type === 'E' || m.type === 'N').map((m) => m.body.toString('utf8'));
    expect(msgs.join(' ')).to.not.contain(NOTES);
  });
});
