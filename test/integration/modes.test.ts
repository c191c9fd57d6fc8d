/** Target access modes and policy modes against a real PostgreSQL server. */
import { expect } from 'chai';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { pgError } from '../support/pg-error.js';
import { GuardProxy } from '../../proxy/server.js';

describe('ReadOnly target (real PostgreSQL)', () => {
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => {
        p.spec.targets[0]!.access = 'ReadOnly';
        p.spec.rules = [{ name: 'allow-everything', action: 'Allow' }];
      },
    });
  });
  after(() => s?.stop());

  it('reads work; writes and backstop lifters are refused whatever the rules say', async () => {
    const c = await s.connect();
    expect((await c.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).to.equal(4);
    for (const sql of [
      'INSERT INTO orders (customer_id, amount_cents) VALUES (1, 1)',
      'SET default_transaction_read_only = off',
      'BEGIN READ WRITE',
      'SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE',
      "SELECT set_config('transaction_read_only', 'off', false)",
      'RESET ALL',
    ]) {
      const e = await pgError(c.query(sql));
      expect(e.message, sql).to.contain('read-only-target');
    }
    await c.end();
  });

  it('the upstream session itself is read-only (backstop)', async () => {
    const c = await s.connect();
    expect((await c.query('SHOW default_transaction_read_only')).rows[0].default_transaction_read_only).to.equal('on');
    expect((await c.query('SHOW standard_conforming_strings')).rows[0].standard_conforming_strings).to.equal('on');
    await c.end();
  });
});

describe('mode: Audit (real PostgreSQL)', () => {
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) => {
        p.spec.mode = 'Audit';
      },
    });
  });
  after(() => s?.stop());

  it('records would-be denials and runs the statement', async () => {
    const c = await s.connect();
    await c.query('CREATE TABLE audit_mode_probe (a int)');
    await c.end();
    s.proxy.audit.flush();
    const recs = readFileSync(s.auditFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const d = recs.find((r) => r.event.action === 'statement.decision' && r.kind === 'CreateStmt');
    expect(d).to.deep.include({ decision: 'Deny', rule: { name: 'no-ddl' }, enforced: false });
    expect(d.event.outcome).to.equal('success'); // it ran: Audit mode never blocks
    const done = recs.find((r) => r.event.action === 'statement.completion' && r.decisionSeq === d.seq);
    expect(done.db.operation.name).to.equal('CREATE TABLE');
  });
});

describe('audit log unavailable', () => {
  it('the proxy refuses to start when the audit file cannot be written', async () => {
    const s = await startLocalStack();
    try {
      const err = await GuardProxy.start({
        policy: s.policy,
        auditFile: '/dev/full',
        env: { BILLING_DB_PASSWORD: 'x' },
        listenOverride: { 'billing-db': '127.0.0.1:0' },
      }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).to.match(/audit log/);
      const dir = mkdtempSync(join(tmpdir(), 'agentgate-'));
      const missingEnv = await GuardProxy.start({
        policy: s.policy,
        auditFile: join(dir, 'a.log'),
        env: {},
        listenOverride: { 'billing-db': '127.0.0.1:0' },
      }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(missingEnv?.message).to.contain('BILLING_DB_PASSWORD');
    } finally {
      await s.stop();
    }
  });
});
