/**
 * Review of HTTP targets (issue #12), the request side: where the proxy and a real API (json-server on
 * express, and a recording node:http server) could read one request differently. Each case is sent as
 * raw bytes by an agent holding a valid token for a restricted policy.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import { freePort, waitHttp } from '../support/http-tools.js';

const JSON_SERVER = new URL('../../node_modules/json-server/lib/cli/bin.js', import.meta.url).pathname;

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Sends raw bytes, returns everything answered until the connection closed (or the timeout). */
function raw(port: number, bytes: string | Buffer, waitMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve(text);
    }, waitMs);
    s.on('data', (d) => (text += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
    s.write(bytes);
  });
}

const statuses = (text: string): number[] => [...text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));

describe('rev12: HTTP request differentials (json-server, recording API)', function () {
  this.timeout(60_000);
  let js: ChildProcess;
  let jsPort: number;
  let upstream: http.Server;
  const seen: Seen[] = [];
  let s: HttpStack;
  let token: string;
  let recPort: number;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rev12-json-server-'));
    writeFileSync(
      join(dir, 'db.json'),
      JSON.stringify({ customers: [{ id: 1, name: 'A' }], refunds: [], admin: [{ id: 1 }] }),
    );
    jsPort = await freePort();
    js = spawn(
      process.execPath,
      [JSON_SERVER, '--host', '127.0.0.1', '--port', String(jsPort), '--quiet', join(dir, 'db.json')],
      { stdio: 'ignore' },
    );
    upstream = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          method: req.method!,
          url: req.url!,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    await waitHttp(`http://127.0.0.1:${jsPort}/customers/1`);
    s = await startHttpStack(
      {
        targets: [
          { name: 'crm', protocol: 'http', listen: '127.0.0.1:1', upstream: { url: `http://127.0.0.1:${jsPort}` } },
          {
            name: 'rec',
            protocol: 'http',
            listen: '127.0.0.1:2',
            upstream: { url: `http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}` },
            credentials: { passwordEnv: 'REC_KEY', scheme: 'header', header: 'X-Api-Key' },
          },
        ],
        rules: [
          { name: 'no-admin', when: { http: { paths: ['/admin/**'] } }, action: 'Deny' },
          {
            name: 'big-refunds',
            when: { http: { methods: ['POST'], paths: ['/refunds'], cel: 'request.body.amount > 100' } },
            action: 'Deny',
          },
          {
            name: 'refunds',
            when: { http: { methods: ['POST'], paths: ['/refunds'], body: [{ path: '$.customerId', present: true }] } },
            action: 'Allow',
          },
          {
            name: 'dry-run-jobs',
            when: { http: { methods: ['POST'], paths: ['/jobs'], headers: [{ name: 'X-Dry-Run', values: ['true'] }] } },
            action: 'Allow',
          },
          { name: 'reads', when: { http: { methods: ['GET', 'HEAD'] } }, action: 'Allow' },
        ],
      },
      { env: { REC_KEY: 'rec-key-9' } },
    );
    token = await s.token('agent-rev12');

    recPort = Number(new URL(s.url('rec')).port);
  });

  after(async () => {
    await s?.stop();
    js?.kill();
    upstream?.close();
  });

  const refunds = async (): Promise<{ amount: unknown }[]> =>
    (await (await fetch(`http://127.0.0.1:${jsPort}/refunds`)).json()) as { amount: unknown }[];

  it('a JSON/form polyglot labelled application/x-www-form-urlencoded is not decided as JSON (json-server reads it as a form)', async () => {
    const before = (await refunds()).length;
    // As JSON: amount 1 (allowed). As a form (what body-parser.urlencoded reads): amount 999999.
    const body = '{"customerId":1,"amount":1,"memo":"&amount=999999&customerId=1&x="}';
    const r = await fetch(`${s.url('crm')}/refunds`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    expect(r.status).to.equal(403);
    expect((await refunds()).length).to.equal(before);
    // The same body as JSON is the allowed refund it says it is.
    const ok = await fetch(`${s.url('crm')}/refunds`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    });
    expect(ok.status).to.equal(201);
    expect((await refunds()).map((x) => x.amount)).to.include(1);
  });

  it("a form body's parameters are decided like query parameters: a Deny on amount sees amount=999999 in a form", async () => {
    const before = (await refunds()).length;
    const r = await fetch(`${s.url('crm')}/refunds`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
      body: 'customerId=1&amount=999999',
    });
    expect(r.status).to.equal(403);
    expect((await refunds()).length).to.equal(before);
  });

  it('a header named in Connection is not forwarded, so a rule cannot be matched on it (X-Dry-Run: true, Connection: X-Dry-Run)', async () => {
    seen.length = 0;
    const sent = await raw(
      recPort,
      `POST /jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nX-Dry-Run: true\r\nConnection: X-Dry-Run, close\r\nContent-Length: 0\r\n\r\n`,
    );
    // Either the request is refused, or the API gets the header the rule was decided on.
    if (statuses(sent)[0] === 200) expect(seen[0]?.headers['x-dry-run']).to.equal('true');
    else expect(seen).to.deep.equal([]);
    const plain = await raw(
      recPort,
      `POST /jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nX-Dry-Run: true\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
    );
    expect(statuses(plain)).to.deep.equal([200]);
  });

  it('Connection cannot strip the injected credential; a second Authorization header is not forwarded', async () => {
    seen.length = 0;
    const r = await raw(
      recPort,
      `GET /x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nAuthorization: Basic YTpi\r\nX-Api-Key: agent-made\r\nConnection: X-Api-Key, close\r\n\r\n`,
    );
    expect(statuses(r)).to.deep.equal([200]);
    expect(seen[0]!.headers['x-api-key']).to.equal('rec-key-9');
    expect(seen[0]!.headers.authorization).to.equal(undefined);
  });

  it('pipelining: a denied request in the same packet after an allowed one is decided on its own', async () => {
    seen.length = 0;
    const r = await raw(
      recPort,
      `GET /a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\nGET /admin/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\nGET /admin/y HTTP/1.1\r\nHost: x\r\n\r\nDELETE /b HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
    );
    expect(statuses(r)).to.deep.equal([200, 403, 401, 403]);
    expect(seen.map((x) => `${x.method} ${x.url}`)).to.deep.equal(['GET /a']);
  });

  it('HTTP/1.0, lower-case methods, obs-fold and absolute-form on the reverse listener do not pass a rule', async () => {
    seen.length = 0;
    expect(
      statuses(await raw(recPort, `GET /admin/x HTTP/1.0\r\nAuthorization: Bearer ${token}\r\n\r\n`)),
    ).to.deep.equal([403]);
    expect(
      statuses(await raw(recPort, `get /a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`)),
    ).to.deep.equal([400]);
    expect(
      statuses(
        await raw(
          recPort,
          `GET /a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nX-Dry-Run: false\r\n true\r\n\r\n`,
        ),
      ),
    ).to.deep.equal([400]);
    expect(
      statuses(
        await raw(
          recPort,
          `GET http://127.0.0.1/admin/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`,
        ),
      ),
    ).to.deep.equal([400]);
    expect(
      statuses(
        await raw(
          recPort,
          `TRACE /a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
        ),
      ),
    ).to.deep.equal([403]);
    expect(seen).to.deep.equal([]);
  });

  it('path spellings: percent-encoded slashes, dots, NUL in any case, overlong UTF-8, ";", trailing dots, doubled and back slashes', async () => {
    seen.length = 0;
    for (const p of [
      '/admin%2Fx',
      '/admin%2fx',
      '/a/%2E%2e/admin/x',
      '/a/%2e./admin/x',
      '/a/.%2E/admin/x',
      '/admin%5Cx',
      '/admin%5cx',
      '/admin%00',
      '/a/%c0%ae%c0%ae/admin',
      '/a/%c0%af',
      '/a/%e0%80%ae',
      '//admin/x',
      '/a//admin',
      '/a\\..\\admin',
      '/admin/%0d%0ax',
    ]) {
      expect(
        statuses(await raw(recPort, `GET ${p} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`)),
        p,
      ).to.deep.equal([400]);
    }
    for (const p of ['/ADMIN/x', '/%41dmin/x', '/%61DMIN/x', '/admin/', '/admin']) {
      expect(
        statuses(
          await raw(
            recPort,
            `GET ${p} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
          ),
        ),
        p,
      ).to.deep.equal([403]);
    }
    expect(seen).to.deep.equal([]);
    // json-server (express) routes these elsewhere than /admin: no express reading reaches the collection.
    for (const p of ['/admin;x/1', '/admin./1', '/admin%20/1']) {
      const r = await fetch(`${s.url('crm')}${p}`, { headers: { authorization: `Bearer ${token}` } });
      const body = await r.text();
      expect(body, p).not.to.match(/"id":\s*1/);
    }
  });

  it('chunked bodies with trailers (an Authorization trailer) and Expect: 100-continue are decided on the body and forwarded without them', async () => {
    seen.length = 0;
    const body = '{"customerId":1,"amount":2}';
    const chunked = await raw(
      recPort,
      `POST /refunds HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nTrailer: X-Api-Key\r\nConnection: close\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\nX-Api-Key: agent-made\r\nAuthorization: Bearer other\r\n\r\n`,
    );
    expect(statuses(chunked)).to.deep.equal([200]);
    expect(seen[0]!.body).to.equal(body);
    expect(seen[0]!.headers['x-api-key']).to.equal('rec-key-9');
    expect(seen[0]!.headers['content-length']).to.equal(String(body.length));
    expect(seen[0]!.headers['transfer-encoding']).to.equal(undefined);
    expect(seen[0]!.headers.trailer).to.equal(undefined);
    const big = '{"customerId":1,"amount":5000}';
    const expect100 = await raw(
      recPort,
      `POST /refunds HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nConnection: close\r\nContent-Length: ${big.length}\r\n\r\n${big}`,
    );
    expect(statuses(expect100).filter((x) => x !== 100)).to.deep.equal([403]);
    expect(seen).to.have.length(1);
  });
});
