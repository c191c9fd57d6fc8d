/**
 * HTTP targets against a real REST API nobody here wrote: json-server (npm) over a nested JSON database.
 * Real clients: curl, fetch (undici), node:http, Python requests; reverse and forward-proxy modes.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { renderSession } from '../../proxy/audit/sessions.js';
import { verifyAuditFile } from '../../proxy/audit/verify.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import { freePort, run, waitHttp } from '../support/http-tools.js';

const JSON_SERVER = new URL('../../node_modules/json-server/lib/cli/bin.js', import.meta.url).pathname;
const UPSTREAM_TOKEN = 'crm-upstream-secret-7f3a';

function customers(): unknown[] {
  return Array.from({ length: 20 }, (_, i) => ({
    id: i + 1,
    name: `Customer ${i + 1}`,
    email: `customer${i + 1}@example.com`,
    card_number: '4111 1111 1111 1111',
    // eslint-disable-next-line no-loss-of-precision -- a number JavaScript cannot hold exactly, as upstream JSON may carry
    big_id: 12345678901234567890,
    address: { city: 'London', iban: 'GB82 WEST 1234 5698 7654 32' },
    orders: [{ id: 100 + i, total: 12.5, note: `call back on ${`bob${i}@example.org`}` }],
  }));
}

/** GET through node:http, raw (no decompression): status, headers and the bytes as sent. */
function rawGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

describe('HTTP targets: json-server as the internal API', function () {
  this.timeout(60_000);
  let js: ChildProcess;
  let jsPort: number;
  let s: HttpStack;
  let token: string;
  const direct = (path: string): string => `http://127.0.0.1:${jsPort}${path}`;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'json-server-'));
    writeFileSync(join(dir, 'db.json'), JSON.stringify({ customers: customers(), refunds: [] }));
    jsPort = await freePort();
    js = spawn(
      process.execPath,
      [JSON_SERVER, '--host', '127.0.0.1', '--port', String(jsPort), '--quiet', join(dir, 'db.json')],
      { stdio: 'ignore' },
    );
    await waitHttp(direct('/customers/1'));
    s = await startHttpStack(
      {
        targets: [
          {
            name: 'crm',
            protocol: 'http',
            listen: '127.0.0.1:18080',
            upstream: { url: `http://127.0.0.1:${jsPort}` },
            credentials: { passwordEnv: 'CRM_TOKEN', scheme: 'bearer' },
            forwardProxy: { listen: '127.0.0.1:18081' },
            maskFields: [
              { path: 'card_number' },
              { path: '$.address.city', strategy: 'partial' },
              { path: '$[*].address.city', strategy: 'partial' },
            ],
          },
        ],
        masking: { detectors: ['email', 'creditCard', 'iban'], defaultStrategy: 'redact' },
        approval: { approvers: { users: ['alice'] } } as never,
        rules: [
          {
            name: 'no-deletes',
            when: { http: { methods: ['DELETE'] } },
            action: 'Deny',
            message: 'customers are never deleted by agents',
          },
          {
            name: 'big-refunds',
            when: { http: { methods: ['POST'], paths: ['/refunds'], cel: 'request.body.amount > 100' } },
            action: 'RequireApproval',
          },
          {
            name: 'refunds',
            when: { http: { methods: ['POST'], paths: ['/refunds'], body: [{ path: '$.customerId', present: true }] } },
            action: 'Allow',
          },
          {
            name: 'read-customers',
            when: {
              http: { methods: ['GET', 'HEAD'], paths: ['/customers', '/customers/{id}', '/customers/{id}/**'] },
            },
            action: 'Allow',
          },
        ],
      },
      { env: { CRM_TOKEN: UPSTREAM_TOKEN } },
    );
    token = await s.token('agent-crm');
  });

  after(async () => {
    await s?.stop();
    js?.kill();
  });

  it('curl: a read is allowed; nested JSON is masked value by value; Content-Length is the masked length', async () => {
    const r = await run('curl', [
      '-sS',
      '-D',
      '-',
      '-H',
      `Authorization: Bearer ${token}`,
      `${s.url('crm')}/customers/3`,
    ]);
    expect(r.code).to.equal(0);
    const [head, body] = r.stdout.split('\r\n\r\n');
    expect(head).to.match(/^HTTP\/1.1 200/);
    const len = Number(/content-length: (\d+)/i.exec(head!)![1]);
    expect(len).to.equal(Buffer.byteLength(body!));
    const c = JSON.parse(body!);
    expect(c.email).to.equal('[redacted:email]');
    expect(c.card_number).to.equal('[redacted:card_number]');
    expect(c.address.iban).to.equal('[redacted:iban]');
    expect(c.address.city).to.equal('**ndon');
    expect(c.orders[0].note).to.equal('call back on [redacted:email]');
    expect(c.name).to.equal('Customer 3');
    // Numbers are looked at too: a card-shaped window inside a long id is masked (as in SQL results).
    expect(c.big_id).to.match(/redacted:creditCard/);
    expect(body).to.contain('"total":12.5');
  });

  it('fetch (undici): the list, gzip-compressed by json-server, is decompressed, masked and compressed again', async () => {
    const raw = await rawGet(`${s.url('crm')}/customers`, {
      authorization: `Bearer ${token}`,
      'accept-encoding': 'gzip',
    });
    expect(raw.status).to.equal(200);
    expect(raw.headers['content-encoding']).to.equal('gzip');
    // json-server compresses on the fly (chunked): the masked body is streamed chunked too, never with a stale length.
    if (raw.headers['content-length'] !== undefined)
      expect(Number(raw.headers['content-length'])).to.equal(raw.body.length);
    else expect(raw.headers['transfer-encoding']).to.equal('chunked');
    const list = JSON.parse(zlib.gunzipSync(raw.body).toString('utf8'));
    expect(list).to.have.length(20);
    expect(list.every((c: { email: string }) => c.email === '[redacted:email]')).to.equal(true);
    const f = await fetch(`${s.url('crm')}/customers?_limit=2`, { headers: { authorization: `Bearer ${token}` } });
    expect(f.status).to.equal(200);
    const two = (await f.json()) as { card_number: string }[];
    expect(two.map((c) => c.card_number)).to.deep.equal(['[redacted:card_number]', '[redacted:card_number]']);
  });

  it('refuses a missing or bad token with 401 problem+json; nothing reaches the API', async () => {
    const none = await fetch(`${s.url('crm')}/customers/1`);
    expect(none.status).to.equal(401);
    expect(none.headers.get('content-type')).to.equal('application/problem+json');
    expect(none.headers.get('www-authenticate')).to.match(/^Bearer/);
    const bad = await fetch(`${s.url('crm')}/customers/1`, {
      headers: { authorization: `Bearer ${token.slice(0, -4)}AAAA` },
    });
    expect(bad.status).to.equal(401);
    expect(((await bad.json()) as { detail: string }).detail).to.match(/authentication failed/);
    // The upstream's own secret is not a token the proxy accepts.
    const up = await fetch(`${s.url('crm')}/customers/1`, { headers: { authorization: `Bearer ${UPSTREAM_TOKEN}` } });
    expect(up.status).to.equal(401);
  });

  it('Deny: DELETE is 403 application/problem+json naming the rule, and the record stays', async () => {
    const r = await fetch(`${s.url('crm')}/customers/2`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(r.status).to.equal(403);
    expect(r.headers.get('content-type')).to.equal('application/problem+json');
    const p = (await r.json()) as { title: string; status: number; detail: string; rule: string; type: string };
    expect(p).to.include({ status: 403, rule: 'no-deletes' });
    expect(p.detail).to.contain('customers are never deleted by agents');
    expect((await fetch(direct('/customers/2'))).status).to.equal(200);
  });

  it('a path no rule allows falls to defaultAction (Deny); a JSON body field and CEL decide refunds', async () => {
    const other = await fetch(`${s.url('crm')}/refunds`, { headers: { authorization: `Bearer ${token}` } });
    expect(other.status).to.equal(403);
    expect(((await other.json()) as { rule: string }).rule).to.equal('defaultAction');
    const small = await fetch(`${s.url('crm')}/refunds`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ customerId: 4, amount: 40, memo: 'refund-marker-5521' }),
    });
    expect(small.status).to.equal(201);
    const big = await fetch(`${s.url('crm')}/refunds`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ customerId: 4, amount: 4000 }),
    });
    expect(big.status).to.equal(403);
    const p = (await big.json()) as { rule: string; detail: string };
    expect(p.rule).to.equal('big-refunds');
    expect(p.detail).to.match(/requires approval/);
    const stored = (await (await fetch(direct('/refunds'))).json()) as { amount: number }[];
    expect(stored.map((x) => x.amount)).to.deep.equal([40]);
  });

  it('Python requests, reverse and through the forward proxy (token as the proxy password)', async function () {
    if ((await run('python3', ['-c', 'import requests'])).code !== 0) this.skip();
    const script = `
import json, requests, sys
base, fwd, tok, direct = sys.argv[1:5]
r = requests.get(base + '/customers/5', headers={'Authorization': 'Bearer ' + tok})
f = requests.get(direct + '/customers/6', proxies={'http': 'http://agent:' + tok + '@' + fwd})
print(json.dumps([r.status_code, r.json()['email'], f.status_code, f.json()['email'], f.json()['card_number']]))
`;
    const r = await run('python3', ['-c', script, s.url('crm'), s.forward('crm'), token, direct('')]);
    expect(r.stderr).to.equal('');
    expect(JSON.parse(r.stdout)).to.deep.equal([
      200,
      '[redacted:email]',
      200,
      '[redacted:email]',
      '[redacted:card_number]',
    ]);
  });

  it('forward proxy with unmodified curl (-x, and http_proxy in the environment); CONNECT is refused', async () => {
    const viaX = await run('curl', [
      '-sS',
      '-x',
      `http://${s.forward('crm')}`,
      '--proxy-user',
      `agent:${token}`,
      direct('/customers/7'),
    ]);
    expect(JSON.parse(viaX.stdout).email).to.equal('[redacted:email]');
    const viaEnv = await run('curl', ['-sS', direct('/customers/8')], {
      http_proxy: `http://agent:${token}@${s.forward('crm')}`,
      NO_PROXY: '',
      no_proxy: '',
    });
    expect(JSON.parse(viaEnv.stdout).card_number).to.equal('[redacted:card_number]');
    const noAuth = await run('curl', [
      '-sS',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '-x',
      `http://${s.forward('crm')}`,
      direct('/customers/7'),
    ]);
    expect(noAuth.stdout).to.equal('407');
    const elsewhere = await run('curl', [
      '-sS',
      '-w',
      '\n%{http_code}',
      '-x',
      `http://${s.forward('crm')}`,
      '--proxy-user',
      `agent:${token}`,
      'http://127.0.0.2:9/x',
    ]);
    expect(elsewhere.stdout.trim().split('\n').pop()).to.equal('403');
    const tunnel = await run('curl', [
      '-sS',
      '-p',
      '-o',
      '/dev/null',
      '-w',
      '%{http_connect}',
      '-x',
      `http://${s.forward('crm')}`,
      '--proxy-user',
      `agent:${token}`,
      direct('/customers/7'),
    ]);
    expect(tunnel.stdout).to.equal('403');
  });

  it('evidence: chained records name method, path template, path, status, bytes, masked count, rule and principal; bodies never appear', async () => {
    const recs = s.records();
    const decisions = recs.filter((r) => r.event.action === 'statement.decision' && r.protocol === 'http');
    const read = decisions.find((r) => r.http.path === '/customers/3')!;
    expect(read).to.deep.include({
      decision: 'Allow',
      enforced: false,
      target: 'crm',
      rule: { name: 'read-customers' },
    });
    expect(read.http).to.include({ method: 'GET', pathTemplate: '/customers/{id}' });
    expect(read.principal.sub).to.equal('agent-crm');
    const done = recs.find((r) => r.event.action === 'statement.completion' && r.decisionSeq === read.seq)!;
    expect(done.http).to.include({ status: 200 });
    expect(done.http.responseBytes).to.be.greaterThan(100);
    expect(done.maskedValues).to.be.greaterThan(3);
    const denied = decisions.find((r) => r.rule.name === 'no-deletes')!;
    expect(denied).to.deep.include({ decision: 'Deny', enforced: true });
    expect(recs.some((r) => r.event.action === 'identity.rejected' && r.target === 'crm')).to.equal(true);
    const text = readFileSync(s.auditFile, 'utf8');
    expect(text).not.to.contain('refund-marker-5521');
    expect(text).not.to.contain(token);
    expect(text).not.to.contain(UPSTREAM_TOKEN);
    expect(verifyAuditFile(s.auditFile).ok).to.equal(true);
    const replay = renderSession(recs as never, read.session.id);
    expect(replay).to.contain('allowed  []  GET /customers/3');
    expect(replay).to.match(/→ HTTP 200 \d+ bytes, \d+ masked/);
  });
});
