/**
 * Review 10 neighbours against a real PostgreSQL server: a table a migration creates in the "$user"
 * schema (ahead of public on the default search_path) is matched by rules on that schema from its first
 * use, and maxRowsAffected refuses what the command tag does not count: triggers, rules, ON UPDATE
 * cascades and SET NULL foreign keys added out of band after the proxy loaded its catalog (also on a
 * partition reached through its parent, and views), large-object writes, EXPLAIN ANALYZE of a writable CTE.
 */
import { expect } from 'chai';
import type pg from 'pg';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { pgError } from '../support/pg-error.js';

describe('review10: a "$user" schema created after the proxy started', function () {
  let s: LocalStack;
  let c: pg.Client;
  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => {
        p.spec.rules = [
          { name: 'agent-schema', when: { sql: { tables: ['agent.*'] } }, action: 'Deny' },
          ...(p.spec.rules ?? []),
        ];
      },
    });
    c = await s.connect();
    // Matched through every schema of the path whether it exists or not: denied even before the migration.
    expect((await pgError(c.query('SELECT count(*)::int AS n FROM orders'))).message).to.contain('"agent-schema"');
    const d = await s.direct();
    await d.query(
      "CREATE SCHEMA agent; CREATE TABLE agent.orders (id int, note text); INSERT INTO agent.orders VALUES (1, 'shadow')",
    );
    await d.end();
  });
  after(async () => {
    await c?.end();
    await s?.stop();
  });

  it('the unqualified name now resolving to agent.orders is denied by the agent.* rule (no catalog refresh needed)', async () => {
    const e = await pgError(c.query('SELECT * FROM orders'));
    expect(e.code).to.equal('42501');
    expect(e.message).to.contain('"agent-schema"');
    // Qualified, the public table is still reachable.
    expect((await c.query('SELECT count(*)::int AS n FROM public.orders')).rows[0].n).to.be.greaterThan(0);
  });
});

describe('review10: maxRowsAffected and writes the tag does not count (added out of band)', function () {
  let s: LocalStack;
  let d: pg.Client;
  let c: pg.Client;
  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => {
        p.spec.runtimeLimits = { maxRowsAffected: 2 };
      },
    });
    c = await s.connect();
    d = await s.direct();
    await d.query(`
      CREATE TABLE parents (id int PRIMARY KEY, v int);
      CREATE TABLE kids (id serial PRIMARY KEY, parent int REFERENCES parents(id) ON UPDATE CASCADE);
      CREATE TABLE wards (id serial PRIMARY KEY, parent int REFERENCES parents(id) ON DELETE SET NULL);
      CREATE TABLE plain (id int PRIMARY KEY, v int);
      CREATE TABLE journal (id serial PRIMARY KEY, v int);
      INSERT INTO parents VALUES (1, 0), (2, 0); INSERT INTO kids (parent) SELECT 1 FROM generate_series(1, 20);
      INSERT INTO wards (parent) SELECT 2 FROM generate_series(1, 20); INSERT INTO plain VALUES (1, 0), (2, 0);
      INSERT INTO journal (v) SELECT g FROM generate_series(1, 20) g;
      SELECT lo_from_bytea(424243, '\\x01');`);
  });
  after(async () => {
    await c?.end();
    await d?.end();
    await s?.stop();
  });

  it('a plain table is written under the cap', async () => {
    expect((await c.query('UPDATE plain SET v = 1 WHERE id = 1')).rowCount).to.equal(1);
  });

  it('ON UPDATE CASCADE and ON DELETE SET NULL foreign keys: refused, nothing changed', async () => {
    const up = await pgError(c.query('UPDATE parents SET id = 10 WHERE id = 1'));
    expect(up.message).to.contain('limits-max-rows-affected').and.contain('public.parents');
    expect((await pgError(c.query('DELETE FROM parents WHERE id = 2'))).message).to.contain(
      'on delete set null foreign key',
    );
    expect((await d.query('SELECT count(*)::int AS n FROM kids WHERE parent = 1')).rows[0].n).to.equal(20);
    expect((await d.query('SELECT count(*)::int AS n FROM wards WHERE parent = 2')).rows[0].n).to.equal(20);
  });

  it('a trigger added after the table was written through the proxy: the next write is refused', async () => {
    expect((await c.query('UPDATE plain SET v = 2 WHERE id = 2')).rowCount).to.equal(1);
    await d.query(`CREATE FUNCTION wipe() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN DELETE FROM journal; RETURN NEW; END$$;
      CREATE TRIGGER plain_wipe AFTER UPDATE ON plain FOR EACH ROW EXECUTE FUNCTION wipe()`);
    expect((await pgError(c.query('UPDATE plain SET v = 3 WHERE id = 2'))).message).to.contain('trigger plain_wipe');
    expect((await d.query('SELECT count(*)::int AS n FROM journal')).rows[0].n).to.equal(20);
  });

  it('a rule added out of band: refused', async () => {
    await d.query('CREATE RULE journal_also AS ON DELETE TO journal DO ALSO DELETE FROM parents');
    expect((await pgError(c.query('DELETE FROM journal WHERE id = 1'))).message).to.contain('rule journal_also');
    expect((await d.query('SELECT count(*)::int AS n FROM journal')).rows[0].n).to.equal(20);
  });

  it('large-object writes from a SELECT are refused; nextval is not', async () => {
    expect((await pgError(c.query('SELECT lo_unlink(oid) FROM pg_largeobject_metadata'))).message).to.contain(
      'limits-max-rows-affected',
    );
    expect(
      (await d.query('SELECT count(*)::int AS n FROM pg_largeobject_metadata WHERE oid = 424243')).rows[0].n,
    ).to.equal(1);
    expect((await c.query("SELECT nextval('journal_id_seq') > 0 AS ok")).rows[0].ok).to.equal(true);
  });

  it('the session those reads go over is killed: the next capped writes are still decided on a fresh one', async () => {
    await d.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'agentgate-catalog'",
    );
    expect((await pgError(c.query('DELETE FROM parents WHERE id = 2'))).message).to.contain(
      'on delete set null foreign key',
    );
    expect((await c.query('DELETE FROM kids WHERE id = 1')).rowCount).to.equal(1);
  });

  it('a trigger on one partition: a write to the partitioned table is refused; a view is refused too', async () => {
    await d.query(`CREATE TABLE events (id int, region text) PARTITION BY LIST (region);
      CREATE TABLE events_eu PARTITION OF events FOR VALUES IN ('eu'); CREATE TABLE events_us PARTITION OF events FOR VALUES IN ('us');
      INSERT INTO events VALUES (1, 'eu'), (2, 'us');
      CREATE TRIGGER eu_wipe AFTER DELETE ON events_eu FOR EACH ROW EXECUTE FUNCTION wipe();
      CREATE VIEW plain_view AS SELECT id, v FROM plain`);
    expect((await pgError(c.query("DELETE FROM events WHERE region = 'eu'"))).message).to.contain(
      'trigger eu_wipe on public.events_eu',
    );
    expect((await c.query("DELETE FROM events_us WHERE region = 'us'")).rowCount).to.equal(1);
    expect((await pgError(c.query('UPDATE plain_view SET v = 9 WHERE id = 1'))).message).to.contain('a view');
    expect((await d.query('SELECT count(*)::int AS n FROM journal')).rows[0].n).to.equal(20);
  });

  it('EXPLAIN ANALYZE of a writable CTE is refused, nothing deleted', async () => {
    expect(
      (await pgError(c.query('EXPLAIN ANALYZE WITH x AS (DELETE FROM plain WHERE id > 0 RETURNING 1) SELECT * FROM x')))
        .message,
    ).to.contain('limits-max-rows-affected');
    expect((await d.query('SELECT count(*)::int AS n FROM plain')).rows[0].n).to.equal(2);
  });
});
