/**
 * Oversized and slow-to-scan input against a real PostgreSQL: a statement over
 * spec.protocolLimits.maxStatementBytes is refused (54000, naming the limit, audited) and the session
 * stays usable; a message over maxMessageBytes — from the agent or as a result row — closes only that
 * session (FATAL 54000); a 60 KB comment of repeated `eyJ` (masked for the audit record) does not
 * stall a concurrent session. And the token lifetime cap counts from now: a token minted with a future
 * iat is refused at login (28P01).
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import * as jose from 'jose';
import pg from 'pg';
import { verifyAuditFile } from '../../proxy/audit/verify.js';
import { ensureDevKey } from '../../proxy/identity/dev-issuer.js';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { pgError } from '../support/pg-error.js';
import { fe, RawClient } from '../support/raw-client.js';
import { auditRecords } from '../support/audit-records.js';

const STATEMENT_LIMIT = 64 * 1024;
const MESSAGE_LIMIT = 256 * 1024;

describe('attack: oversized and slow-to-scan input (real PostgreSQL)', function () {
  let s: LocalStack;
  let other: pg.Client;

  before(async () => {
    s = await startLocalStack({
      editPolicy: (p) =>
        void (p.spec.protocolLimits = { maxMessageBytes: MESSAGE_LIMIT, maxStatementBytes: STATEMENT_LIMIT }),
    });
    other = await s.connect('bystander');
  });
  after(async () => {
    await other?.end().catch(() => undefined);
    await s?.stop();
  });

  const bystanderWorks = async (): Promise<void> => {
    expect((await other.query('SELECT 41 + 1 AS answer')).rows[0].answer).to.equal(42);
  };

  it('a statement over maxStatementBytes is refused with 54000 naming the limit; the session stays usable', async () => {
    const c = await s.connect();
    const big = `SELECT 1 /* ${'x'.repeat(STATEMENT_LIMIT)} */`;
    const e = await pgError(c.query(big));
    expect(e.code).to.equal('54000');
    expect(e.message).to.match(
      /statement of \d+ bytes exceeds the limit of 65536 bytes \(spec\.protocolLimits\.maxStatementBytes\)/,
    );
    expect((await c.query('SELECT 1 AS one')).rows[0].one).to.equal(1);
    // Extended protocol (Parse): refused, then the pipeline resynchronizes at Sync.
    const ext = await pgError(c.query({ text: `${big} /* $1 */ WHERE $1::int = 1`, values: [1] }));
    expect(ext.code).to.equal('54000');
    expect((await c.query({ text: 'SELECT $1::int AS v', values: [7] })).rows[0].v).to.equal(7);
    await c.end();
    const refusals = auditRecords(s).filter(
      (r) => r.event.action === 'statement.decision' && r.rule?.name === 'statement-size-limit',
    );
    expect(refusals).to.have.length(2);
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(
      JSON.parse(readFileSync(new URL('../../docs/audit-schema.json', import.meta.url), 'utf8')),
    );
    expect(verifyAuditFile(s.auditFile).ok).to.equal(true);
    for (const r of refusals) {
      expect(validate(r), JSON.stringify(validate.errors)).to.equal(true);
      expect(r.decision).to.equal('Deny');
      expect(r.detail).to.include({ limit: STATEMENT_LIMIT });
      expect(r.detail.sha256).to.match(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(r)).to.not.include('xxxxxxxx'); // the text itself is not recorded
    }
    await bystanderWorks();
  });

  it('a message over maxMessageBytes closes that session with FATAL 54000; other sessions keep working', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(fe.query(`SELECT 1 /* ${'x'.repeat(MESSAGE_LIMIT)} */`));
    const msgs = await raw.drain();
    const fatal = msgs.find((m) => m.type === 'E');
    expect(fatal?.error?.code).to.equal('54000');
    expect(fatal?.error?.message).to.match(
      /exceeds the limit of 262144 bytes \(spec\.protocolLimits\.maxMessageBytes\)/,
    );
    expect(raw.closed).to.equal(true);
    await bystanderWorks();
  });

  it('a result row over maxMessageBytes closes that session with FATAL 54000 instead of being buffered', async () => {
    const c = await s.connect();
    c.on('error', () => undefined);
    const e = await pgError(c.query(`SELECT repeat('x', ${MESSAGE_LIMIT + 1000}) AS big`));
    expect(e.code).to.equal('54000');
    expect(e.message).to.match(/a result message "D" of \d+ bytes exceeds the limit/);
    await bystanderWorks();
  });

  it('a 60 KB comment of repeated eyJ (masked for the audit record) does not stall a concurrent session', async () => {
    const c = await s.connect();
    const hostile = `SELECT 1 AS one /* ${'eyJ'.repeat(20_000)} */`;
    await other.query('SELECT 1');
    let done = false;
    const hostileRuns = (async () => {
      for (let i = 0; i < 2; i++) expect((await c.query(hostile)).rows[0].one).to.equal(1);
    })().finally(() => (done = true));
    // A stall guard, not a benchmark: the quadratic scan blocked the proxy for seconds per statement.
    // The proxy runs in this process: its stall is this event loop's longest delay, which a stalled
    // PostgreSQL (the bystander's round trips) does not add to.
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    do await bystanderWorks();
    while (!done);
    await hostileRuns;
    loop.disable();
    expect(loop.max / 1e6, 'longest stall of the proxy while the eyJ statements ran (ms)').to.be.lessThan(2_000);
    const rec = auditRecords(s).findLast(
      (x) => x.event.action === 'statement.decision' && x.db?.query?.text?.startsWith('SELECT 1 AS one'),
    );
    expect(rec?.db.query.text.length).to.be.greaterThan(60_000);
    await c.end();
  });

  it('a token minted with iat in the future is refused (28P01), though exp − iat is within the cap', async () => {
    const key = await ensureDevKey(s.dir);
    const now = Math.floor(Date.now() / 1000);
    const token = await new jose.SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
      .setIssuer(s.policy.spec.identity.issuers[0]!.issuer)
      .setSubject('agent-1')
      .setAudience('agentgate')
      .setIssuedAt(now + 24 * 3600) // a day ahead, no nbf: valid for a day from now with a "10-minute" lifetime
      .setExpirationTime(now + 24 * 3600 + 600)
      .setJti(randomUUID())
      .sign(key.privateKey);
    const c = new pg.Client({ host: s.host, port: s.port, user: 'agent', database: 'billing', password: token });
    const e = await pgError(c.connect());
    expect(e.code).to.equal('28P01');
    expect(e.message).to.match(/iat is 864\d\ds in the future/);
    const rejected = auditRecords(s).filter((r) => r.event.action === 'identity.rejected');
    expect(rejected.at(-1)?.message).to.match(/iat is \d+s in the future/);
  });
});
