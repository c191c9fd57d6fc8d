/**
 * Session invariants against a hostile agent (real PostgreSQL): one verdict per setting for every route
 * that changes it (SET, SET LOCAL, RESET, set_config(), SET clauses, startup parameters, pg_settings),
 * and the session guard that ends the session when a pinned value moves anyway.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import pg from 'pg';
import { verifyAuditFile } from '../../proxy/audit/verify.js';
import { EXAMPLE_SEED, startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { pgError } from '../support/pg-error.js';
import { fe, RawClient, type RawMessage } from '../support/raw-client.js';
import { auditRecords } from '../support/audit-records.js';

const run = promisify(execFile);

/**
 * UTF-8 'Á' is C3 81; in Shift-JIS C3 is a katakana and 81 the lead byte of a two-byte character that
 * swallows the backslash. Read as UTF-8 this is one string literal; read as SJIS it ends early and the
 * DROP TABLE runs.
 */
const HIDDEN_DROP = "SELECT E'\u00C1\\' ; DROP TABLE victim; --'";
const SJIS = "SELECT set_config('client_encoding', 'SJIS', false)";

async function victimExists(s: LocalStack): Promise<boolean> {
  const d = await s.direct();
  try {
    return (await d.query("SELECT to_regclass('public.victim') IS NOT NULL AS t")).rows[0].t;
  } finally {
    await d.end();
  }
}

/** The example data, a victim table, and functions the agent did not create whose bodies change pinned settings. */
const SEED = `${readFileSync(EXAMPLE_SEED, 'utf8')}
CREATE TABLE victim (a int);
CREATE FUNCTION sneaky_encoding() RETURNS text STABLE LANGUAGE sql AS $$ SELECT set_config('client_encoding', 'SJIS', false) $$;
CREATE FUNCTION sneaky_strings() RETURNS text STABLE LANGUAGE sql AS $$ SELECT set_config('standard_conforming_strings', 'off', true) $$;
CREATE FUNCTION encoding_clause() RETURNS int STABLE LANGUAGE sql SET client_encoding = 'SJIS' AS 'SELECT 1';
CREATE FUNCTION sneaky_read_write() RETURNS text STABLE LANGUAGE sql AS $$ SELECT set_config('default_transaction_read_only', 'off', false) $$;
`;

const pinnedRoutes = (name: string, value: string): string[] => [
  `SELECT set_config('${name}', '${value}', false)`,
  `SELECT set_config('${name}', '${value}', true)`,
  `SELECT pg_catalog.set_config('${name.toUpperCase()}', '${value}', false)`,
  `SET ${name} = '${value}'`,
  `SET LOCAL ${name} = '${value}'`,
  `RESET ${name}`,
];

describe('attack: session settings (Enforce, example policy)', () => {
  let s: LocalStack;
  let c: pg.Client;
  before(async () => {
    s = await startLocalStack({ seedSql: SEED });
    c = await s.connect();
  });
  after(async () => {
    await c?.end().catch(() => undefined);
    await s?.stop();
  });

  it('set_config(client_encoding, SJIS) is refused, so the hidden DROP TABLE stays a string (pipelined raw client)', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(fe.query(SJIS), fe.query(HIDDEN_DROP));
    const first = await raw.until('Z');
    expect(first.find((m) => m.type === 'E')?.error?.message).to.match(/no-ddl/);
    const second = await raw.until('Z');
    expect(
      second.find((m) => m.type === 'E'),
      'the second query runs as a plain string',
    ).to.equal(undefined);
    expect(second.find((m) => m.type === 'C')?.body.toString()).to.contain('SELECT 1');
    raw.end();
    expect(await victimExists(s)).to.equal(true);
  });

  for (const [name, value] of [
    ['client_encoding', 'SJIS'],
    ['standard_conforming_strings', 'off'],
    ['backslash_quote', 'on'],
    ['default_transaction_read_only', 'off'],
    ['transaction_read_only', 'off'],
    ['session_authorization', 'postgres'],
    ['role', 'postgres'],
  ] as const) {
    it(`every route to change ${name} is refused`, async () => {
      for (const sql of pinnedRoutes(name, value)) {
        const e = await pgError(c.query(sql));
        expect(e.code, sql).to.equal('42501');
        expect(e.message + (e.detail ?? ''), sql).to.contain(name);
      }
      expect((await c.query('SHOW client_encoding')).rows[0].client_encoding).to.equal('UTF8');
    });
  }

  it('SET LOCAL of a pinned setting inside BEGIN is refused; the transaction is rolled back by the client as usual', async () => {
    await c.query('BEGIN');
    const e = await pgError(c.query("SET LOCAL client_encoding = 'SJIS'"));
    expect(e.code).to.equal('42501');
    await c.query('ROLLBACK');
    expect((await c.query('SHOW client_encoding')).rows[0].client_encoding).to.equal('UTF8');
  });

  it('settings that hide activity from the server log are refused by set_config() as by SET, with the same reason', async () => {
    for (const name of ['log_min_messages', 'log_min_duration_statement', 'log_duration', 'log_statement']) {
      const viaSet = await pgError(c.query(`SET ${name} = '-1'`));
      const viaFn = await pgError(c.query(`SELECT set_config('${name}', '-1', false)`));
      expect(viaSet.message, name).to.contain('no-ddl');
      expect(viaFn.message, name).to.contain('no-ddl');
      expect(viaFn.detail, name).to.contain(`${name} controls enforcement`);
      expect(viaSet.detail, name).to.contain(`${name} controls enforcement`);
    }
  });

  it('a setting not known to be harmless is refused (fail closed); known harmless ones and agentgate.* work', async () => {
    for (const sql of [
      "SET pgaudit.log = 'none'",
      "SELECT set_config('pgaudit.log', 'none', false)",
      "SELECT set_config(lower('CLIENT_ENCODING'), 'SJIS', false)",
      "UPDATE pg_settings SET setting = 'SJIS' WHERE name = 'client_encoding'",
    ]) {
      expect((await pgError(c.query(sql))).code, sql).to.equal('42501');
    }
    for (const sql of [
      "SELECT set_config('statement_timeout', '5s', false)",
      "SET LOCAL work_mem = '8MB'",
      "SET agentgate.reason = 'ticket 42'",
      "SET TimeZone = 'UTC'",
      'RESET statement_timeout',
    ]) {
      await c.query(sql);
    }
  });

  it('CREATE FUNCTION ... SET client_encoding is refused as a change of a pinned setting', async () => {
    const e = await pgError(
      c.query("CREATE FUNCTION enc() RETURNS int LANGUAGE sql SET client_encoding = 'SJIS' AS 'SELECT 1'"),
    );
    expect(e.detail).to.contain('client_encoding');
    expect(e.detail).to.contain('pins');
  });

  it('calling a function whose SET clause changes a pinned setting is refused like the SET itself', async () => {
    const e = await pgError(c.query('SELECT encoding_clause()'));
    expect(e.code).to.equal('42501');
    expect(e.detail).to.contain('its SET clause');
    expect(e.detail).to.contain('client_encoding');
  });

  it('startup parameters: only settings known to be harmless pass', async () => {
    const ok = await RawClient.connect(s.host, s.port, await s.token(), { DateStyle: 'ISO' });
    ok.end();
    // search_path is pinned: the proxy resolves unqualified names with the role's default.
    for (const [k, v] of [
      ['search_path', 'payroll, public'],
      ['log_min_messages', 'panic'],
      ['session_authorization', 'postgres'],
      ['pgaudit.log', 'none'],
      ['client_encoding', 'SJIS'],
    ] as const) {
      if (k === 'client_encoding') {
        // Consumed, never forwarded: the upstream session stays UTF8 whatever the agent asks for.
        const raw = await RawClient.connect(s.host, s.port, await s.token(), { [k]: v });
        raw.send(fe.query('SHOW client_encoding'));
        const row = (await raw.until('Z')).find((m) => m.type === 'D')!;
        expect(row.body.toString()).to.contain('UTF8');
        raw.end();
        continue;
      }
      const raw = await RawClient.connect(s.host, s.port, undefined, { [k]: v });
      const m = await raw.next();
      expect(m.type, k).to.equal('E');
      expect(m.error?.code, k).to.equal('42501');
      expect(m.error?.message, k).to.contain(k);
    }
  });

  it('a card number put into application_name is masked in the ParameterStatus the agent sees', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(fe.query("SELECT set_config('application_name', 'card 4111111111111111', false) IS NOT NULL AS ok"));
    const msgs = await raw.until('Z');
    const status = msgs.filter((m) => m.type === 'S').map((m) => m.body.toString());
    expect(status.join('|')).to.contain('application_name');
    expect(status.join('|')).to.not.contain('4111111111111111');
    expect(status.join('|')).to.contain('[redacted:creditCard]');
    raw.end();
  });

  it('psql: set_config of client_encoding is refused', async () => {
    const env = { ...process.env, PGPASSWORD: await s.token('psql-agent') };
    const conn = `host=${s.host} port=${s.port} dbname=billing user=agent sslmode=disable`;
    const r = await run('psql', [conn, '-At', '-c', SJIS], { env }).then(
      () => '',
      (e: { stderr: string }) => e.stderr,
    );
    expect(r).to.contain('no-ddl');
  });

  it('backstop: a stable function whose body flips client_encoding passes the classifier, and the session ends before the next statement', async () => {
    const hiddenDecisions = (): number =>
      auditRecords(s).filter(
        (r) => r.event.action === 'statement.decision' && r.db?.query?.text?.includes('DROP TABLE victim'),
      ).length;
    const before = hiddenDecisions();
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(fe.query('SELECT sneaky_encoding()'), fe.query(HIDDEN_DROP));
    const got = await raw.drain(5000);
    const fatal = got.find((m) => m.type === 'E');
    expect(fatal?.error?.message).to.contain('client_encoding');
    expect(
      got.filter((m) => m.type === 'Z'),
      'no ReadyForQuery after the change',
    ).to.have.length(0);
    expect(raw.closed).to.equal(true);
    expect(await victimExists(s)).to.equal(true);
    const rec = auditRecords(s).find((r) => r.event.action === 'session.invariant-violated');
    expect(rec).to.deep.include({ detail: { setting: 'client_encoding', expected: 'UTF8' } });
    expect(rec?.event.outcome).to.equal('failure');
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(
      JSON.parse(readFileSync(new URL('../../docs/audit-schema.json', import.meta.url), 'utf8')),
    );
    expect(validate(rec), JSON.stringify(validate.errors)).to.equal(true);
    expect(verifyAuditFile(s.auditFile).ok).to.equal(true);
    // The hidden statement was never even classified: nothing after the change was considered.
    expect(hiddenDecisions()).to.equal(before);
  });

  it('backstop: a local change inside a transaction ends the session and the transaction is rolled back', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(
      fe.query('BEGIN'),
      fe.query('INSERT INTO victim VALUES (4242)'),
      fe.query('SELECT sneaky_strings()'),
      fe.query('INSERT INTO victim VALUES (4343)'),
    );
    const got = await raw.drain(5000);
    expect(got.find((m) => m.type === 'E' && m.error?.message?.includes('standard_conforming_strings'))).to.not.equal(
      undefined,
    );
    const d = await s.direct();
    expect((await d.query('SELECT count(*)::int AS n FROM victim WHERE a IN (4242, 4343)')).rows[0].n).to.equal(0);
    await d.end();
  });

  it('backstop: an extended-protocol batch that flips the encoding ends the session before a pipelined Query is forwarded', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(
      fe.parse({ text: 'SELECT sneaky_encoding()' }),
      fe.bind({}),
      fe.execute({}),
      fe.sync(),
      fe.query(HIDDEN_DROP),
    );
    const got = await raw.drain(5000);
    expect(got.find((m) => m.type === 'E')?.error?.message).to.contain('client_encoding');
    expect(got.filter((m) => m.type === 'Z')).to.have.length(0);
    expect(await victimExists(s)).to.equal(true);
  });

  it('backstop through the extended protocol (node-postgres): the query fails with FATAL naming the setting', async () => {
    const c2 = await s.connect();
    c2.on('error', () => undefined);
    const e = await pgError(c2.query({ text: 'SELECT sneaky_encoding() AS x', values: [] }));
    expect(e.message).to.contain('client_encoding');
    expect((await pgError(c2.query('SELECT 1'))).message).to.match(/not queryable|closed|terminated/i);
  });
});

describe('attack: session settings (mode: Audit, rules never block)', () => {
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({
      seedSql: SEED,
      editPolicy: (p) => {
        p.spec.mode = 'Audit';
      },
    });
  });
  after(() => s?.stop());

  it('the SJIS attack runs its set_config, and the session guard ends the session before the hidden DROP TABLE is forwarded', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(fe.query(SJIS), fe.query(HIDDEN_DROP));
    const got: RawMessage[] = await raw.drain(5000);
    expect(got.find((m) => m.type === 'E')?.error?.message).to.contain('client_encoding');
    expect(raw.closed).to.equal(true);
    expect(await victimExists(s)).to.equal(true);
  });

  for (const [name, value] of [
    ['client_encoding', 'LATIN1'],
    ['standard_conforming_strings', 'off'],
  ] as const) {
    for (const local of [false, true]) {
      it(`set_config('${name}', '${value}', ${local}) in Audit mode: the session ends with a FATAL naming the setting`, async () => {
        const c = await s.connect();
        c.on('error', () => undefined);
        const sql = local
          ? `BEGIN; SELECT set_config('${name}', '${value}', true)`
          : `SELECT set_config('${name}', '${value}', false)`;
        const e = await pgError(c.query(sql));
        expect(e.message).to.contain(name);
        expect(e.message).to.contain('session was closed');
        const recs = auditRecords(s).filter(
          (r) => r.event.action === 'session.invariant-violated' && r.detail.setting === name,
        );
        expect(recs.length).to.be.greaterThan(0);
      });
    }
  }
});

describe('attack: session settings (ReadOnly target, mode: Audit)', () => {
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({
      seedSql: SEED,
      editPolicy: (p) => {
        p.spec.mode = 'Audit';
        p.spec.targets[0]!.access = 'ReadOnly';
      },
    });
  });
  after(() => s?.stop());

  it('RESET ALL and every pinned-setting route are refused even in Audit mode', async () => {
    const c = await s.connect();
    for (const sql of [
      'RESET ALL',
      ...pinnedRoutes('default_transaction_read_only', 'off'),
      ...pinnedRoutes('client_encoding', 'SJIS'),
    ]) {
      const e = await pgError(c.query(sql));
      expect(e.message, sql).to.contain('read-only-target');
    }
    await c.end();
  });

  it('backstop: a function body that turns default_transaction_read_only off ends the session', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(fe.query('SELECT sneaky_read_write()'), fe.query('DROP TABLE victim'));
    const got = await raw.drain(5000);
    expect(got.find((m) => m.type === 'E')?.error?.message).to.contain('default_transaction_read_only');
    expect(await victimExists(s)).to.equal(true);
  });
});
