/**
 * Red team (review10b): neighbour of review10 finding 5 (objects whose definition reads a ruled column).
 * Views over `notes` are masked now (pg_depend), but a generated column computed from `notes` (STORED, or
 * PostgreSQL 18's VIRTUAL, created by a migration) is a plain table column under another name: the
 * server reports it as a table origin, so neither the column rule nor lineage applies.
 */
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';

const NOTES = 'prefers invoices by mail';

describe('review10b: generated columns over a ruled column', function () {
  this.timeout(120_000);
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => p.spec.masking!.columns!.push({ name: 'notes', strategy: 'redact' }),
    });
    const d = await s.direct();
    await d.query('ALTER TABLE customers ADD COLUMN notes_search text GENERATED ALWAYS AS (lower(notes)) STORED');
    await d.query('ALTER TABLE customers ADD COLUMN notes_shown text GENERATED ALWAYS AS (notes) VIRTUAL');
    await d.end();
  });
  after(async () => s?.stop());

  it('SELECT notes_search, notes_shown is masked like notes', async () => {
    const c = await s.connect();
    await c.query('SELECT 1 FROM a_relation_nobody_created').catch(() => undefined); // catalog reload
    const r = await c.query('SELECT notes_search, notes_shown FROM customers WHERE id = 2').catch((x) => x);
    await c.end();
    console.log('      ', JSON.stringify(r.rows ?? r.message));
    expect(JSON.stringify(r.rows ?? r.message)).to.not.contain(NOTES);
  });
});
