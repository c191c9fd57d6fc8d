/** The settings table gives one verdict per setting whatever the route; the session guard's pinned values. */
import { expect } from 'chai';
import { checkStartupParams } from '../../proxy/postgres/handshake.js';
import { SessionInvariants } from '../../proxy/postgres/session-invariants.js';
import { builtinCatalog, CatalogSnapshot } from '../../proxy/sql/catalog.js';
import { explainSql } from '../../proxy/sql/explain.js';
import { settingVerdict } from '../../proxy/sql/settings.js';
import type { Classification } from '../../proxy/sql/types.js';

async function one(sql: string): Promise<Classification> {
  const r = await explainSql(sql, builtinCatalog());
  if (!r.ok) throw new Error(r.error);
  return r.statements[0]!;
}

const ROUTES = (name: string): string[] => [
  `SET ${name} = 'x'`,
  `SET LOCAL ${name} = 'x'`,
  `SET ${name} TO DEFAULT`,
  `RESET ${name}`,
  `SELECT set_config('${name}', 'x', false)`,
  `SELECT set_config('${name}', 'x', true)`,
  `SELECT pg_catalog.set_config('${name.toUpperCase()}', 'x', false)`,
];

describe('session settings table', () => {
  const cases: [string, string[], boolean][] = [
    ['client_encoding', ['admin'], true],
    ['standard_conforming_strings', ['admin'], true],
    ['default_transaction_read_only', ['admin'], true],
    ['transaction_read_only', ['admin'], true],
    ['role', ['privilege'], false],
    ['session_authorization', ['privilege'], false],
    ['log_min_messages', ['admin'], false],
    ['log_min_duration_statement', ['admin'], false],
    ['log_duration', ['admin'], false],
    ['session_replication_role', ['admin'], false],
    ['row_security', ['admin'], false],
    ['pgaudit.log', ['unknown'], false],
    ['no_such_setting', ['unknown'], false],
    ['search_path', ['admin'], false],
    ['statement_timeout', ['session'], false],
    ['client_min_messages', ['session'], false],
    ['application_name', ['session'], false],
    ['agentgate.reason', ['session'], false],
  ];
  for (const [name, effects, lifts] of cases) {
    it(`${name}: the same verdict by every route`, async () => {
      for (const sql of ROUTES(name)) {
        const c = await one(sql);
        const own = c.effects.filter((e) => e !== 'read');
        expect(own, sql).to.deep.equal(effects);
        expect(c.liftsReadOnly, sql).to.equal(lifts);
      }
    });
  }

  it('SET clauses of functions, procedures, roles and databases get the same verdict', async () => {
    for (const sql of [
      "CREATE FUNCTION f() RETURNS int LANGUAGE sql SET client_encoding = 'SJIS' AS 'SELECT 1'",
      "CREATE PROCEDURE p() LANGUAGE sql SET standard_conforming_strings = off AS 'SELECT 1'",
      "ALTER FUNCTION f() SET client_encoding = 'SJIS'",
      'ALTER ROLE agent SET default_transaction_read_only = off',
      "ALTER DATABASE billing SET client_encoding = 'SJIS'",
    ]) {
      const c = await one(sql);
      expect(c.effects, sql).to.include('admin');
      expect(c.liftsReadOnly, sql).to.equal(true);
      expect(c.reasons.join(' '), sql).to.match(
        /client_encoding|standard_conforming_strings|default_transaction_read_only/,
      );
    }
    expect((await one("ALTER FUNCTION f() SET work_mem = '8MB'")).effects).to.not.include('admin');
    expect((await one('ALTER FUNCTION f() SET search_path = public')).settings).to.include('search_path');
    expect(
      (await one("CREATE FUNCTION g() RETURNS int LANGUAGE sql SET log_statement = 'none' AS 'SELECT 1'")).effects,
    ).to.include('admin');
  });

  it('calling a function with a SET clause gets the verdict of its settings', async () => {
    const catalog = new CatalogSnapshot({
      functions: [
        { schema: 'public', name: 'enc', volatility: 's', settings: ['client_encoding'] },
        { schema: 'public', name: 'quiet', volatility: 'i', settings: ['log_statement'] },
        { schema: 'public', name: 'plain', volatility: 's', settings: ['work_mem'] },
        { schema: 'public', name: 'pathy', volatility: 's', settings: ['search_path'] },
      ],
      relations: [],
    });
    const cls = async (sql: string): Promise<Classification> => {
      const r = await explainSql(sql, catalog);
      if (!r.ok) throw new Error(r.error);
      return r.statements[0]!;
    };
    const enc = await cls('SELECT enc()');
    expect(enc.effects).to.include('admin');
    expect(enc.liftsReadOnly).to.equal(true);
    expect((await cls('SELECT public.quiet()')).effects).to.include('admin');
    expect((await cls('SELECT plain()')).effects).to.deep.equal(['read']);
    expect((await cls('SELECT pathy()')).settings).to.include('search_path');
    // With a user function named set_config, an unqualified call may reach it (search_path): the catalog decides.
    const shadow = new CatalogSnapshot({
      functions: [
        { schema: 'pg_catalog', name: 'set_config', volatility: 'v' },
        { schema: 'public', name: 'set_config', volatility: 'v' },
      ],
      relations: [],
    });
    const r = await explainSql("SELECT set_config('application_name', 'x', false)", shadow);
    expect(r.ok && r.statements[0]!.effects).to.include('unknown');
  });

  it('a non-literal setting name and writes to pg_settings fail closed', async () => {
    for (const sql of [
      "SELECT set_config(lower('X'), 'y', false)",
      "SELECT set_config(new_value => 'SJIS', setting_name => 'client_encoding', is_local => false)",
      'SELECT set_config($1, $2, false)',
      "UPDATE pg_settings SET setting = 'SJIS' WHERE name = 'client_encoding'",
      "UPDATE pg_catalog.pg_settings SET setting = 'off' WHERE name = 'standard_conforming_strings'",
    ]) {
      const c = await one(sql);
      expect(c.effects, sql).to.include('admin');
      expect(c.liftsReadOnly, sql).to.equal(true);
    }
  });

  it('RESET ALL, SET SESSION CHARACTERISTICS ... READ WRITE and SET TRANSACTION READ WRITE lift the read-only guard', async () => {
    for (const sql of [
      'RESET ALL',
      'SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE',
      'SET TRANSACTION READ WRITE',
      'BEGIN READ WRITE',
    ]) {
      expect((await one(sql)).liftsReadOnly, sql).to.equal(true);
    }
    expect((await one('SET TRANSACTION ISOLATION LEVEL SERIALIZABLE')).liftsReadOnly).to.equal(false);
  });

  it('verdicts are case-insensitive; agentgate. alone is not a placeholder', () => {
    expect(settingVerdict('Client_Encoding')).to.equal('pinned');
    expect(settingVerdict('DateStyle')).to.equal('harmless');
    expect(settingVerdict('agentgate.')).to.equal('unknown');
  });

  it('startup parameters: harmless ones are forwarded, anything else is refused', () => {
    expect(
      checkStartupParams({
        user: 'a',
        database: 'b',
        DateStyle: 'ISO',
        extra_float_digits: '3',
        client_encoding: 'SJIS',
      }).forward,
    ).to.deep.equal({ DateStyle: 'ISO', extra_float_digits: '3' });
    for (const k of [
      'log_min_messages',
      'session_authorization',
      'role',
      'standard_conforming_strings',
      'pgaudit.log',
      'whatever',
    ]) {
      expect(() => checkStartupParams({ user: 'a', [k]: 'x' }), k).to.throw(/not allowed/);
    }
  });
});

describe('session invariants', () => {
  const startup: [string, string][] = [
    ['client_encoding', 'UTF8'],
    ['standard_conforming_strings', 'on'],
    ['session_authorization', 'agent'],
    ['is_superuser', 'off'],
    ['default_transaction_read_only', 'off'],
    ['application_name', 'x'],
  ];

  it('pins the encoding, string conformance, and who the session is as the server reported at startup', () => {
    const inv = new SessionInvariants({ access: 'ReadWrite' }, startup);
    expect(inv.checkAll(startup)).to.equal(undefined);
    expect(inv.check('client_encoding', 'UTF8')).to.equal(undefined);
    expect(inv.check('client_encoding', 'utf-8')).to.equal(undefined);
    expect(inv.check('client_encoding', 'SJIS')).to.deep.equal({
      setting: 'client_encoding',
      expected: 'UTF8',
      actual: 'SJIS',
    });
    expect(inv.check('standard_conforming_strings', 'off')?.setting).to.equal('standard_conforming_strings');
    expect(inv.check('session_authorization', 'postgres')?.expected).to.equal('agent');
    expect(inv.check('is_superuser', 'on')?.expected).to.equal('off');
    expect(inv.check('default_transaction_read_only', 'on')).to.equal(undefined);
    expect(inv.check('application_name', 'anything')).to.equal(undefined);
    expect(inv.check('TimeZone', 'UTC')).to.equal(undefined);
  });

  it('a ReadOnly target also pins default_transaction_read_only = on', () => {
    const inv = new SessionInvariants({ access: 'ReadOnly' }, startup);
    expect(inv.check('default_transaction_read_only', 'off')?.expected).to.equal('on');
    expect(inv.checkAll(startup)?.setting).to.equal('default_transaction_read_only');
  });
});
