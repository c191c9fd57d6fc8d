/**
 * Red-team reproduction (review10), class 5 ("masking-lineage": a statement that reads a ruled column may
 * not carry its values elsewhere): the laundering check knows only pg_notify/set_config and INSERT/UPDATE/
 * MERGE/CTAS/SELECT INTO. A large-object write function stores the value at an OID the agent chooses; a
 * second statement reads it back as plain bytea, which no column rule covers.
 * The test asserts the secure behaviour, it failed on the reviewed code.
 */
import { expect } from 'chai';
import type pg from 'pg';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';

const NOTES = 'prefers invoices by mail';

describe('review10: ruled values laundered through a large object', function () {
  let s: LocalStack;
  let c: pg.Client;
  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => p.spec.masking!.columns!.push({ name: 'notes', strategy: 'redact' }),
    });
    c = await s.connect();
  });
  after(async () => {
    await c?.end();
    await s?.stop();
  });

  it('lo_from_bytea(<chosen oid>, notes) then lo_get(<oid>)', async () => {
    const w = await c
      .query("SELECT lo_from_bytea(424242, convert_to(notes, 'UTF8')) AS o FROM customers WHERE id = 2")
      .catch((e) => e);
    console.log('      store:', w.rows?.[0]?.o ?? w.message);
    const r = await c.query("SELECT convert_from(lo_get(424242), 'UTF8') AS v").catch((e) => e);
    console.log('      read :', r.rows?.[0]?.v ?? r.message);
    expect(r.rows?.[0]?.v).to.not.equal(NOTES); // leaked on the reviewed code
  });
});
