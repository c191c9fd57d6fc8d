/**
 * A hostile agent against an HTTP target: smuggling, malformed and oversized input, slow clients, path
 * and method tricks, ambiguous bodies and parameters, credential leaks, uninspectable responses. The
 * upstream is a small recording server (it shows what reached it); every refusal must leave it untouched
 * and other agents unaffected.
 */
import { expect } from 'chai';
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import type { AgentAccessPolicy, HttpTargetSpec } from '../../shared/contract/policy-types.js';
import { validatePolicy } from '../../shared/contract/validate-policy.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Sends raw bytes, returns everything the proxy answered until it closed (or the timeout). */
function raw(port: number, bytes: string, waitMs = 3000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let text = '';
    let closed = false;
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ text, closed });
    }, waitMs);
    s.on('data', (d) => (text += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve({ text, closed });
    });
    s.write(bytes);
  });
}

describe('attack: HTTP targets', function () {
  this.timeout(60_000);
  let upstream: http.Server;
  let upPort: number;
  const seen: Seen[] = [];
  let s: HttpStack;
  let token: string;
  let port: number;

  before(async () => {
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
        const u = new URL(req.url!, 'http://x');
        if (u.pathname === '/binary')
          return res
            .writeHead(200, { 'content-type': 'application/octet-stream' })
            .end(Buffer.from('card 4111111111111111'));
        if (u.pathname === '/zstd')
          return res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'zstd' }).end('xx');
        if (u.pathname === '/big')
          return res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ pad: 'x'.repeat(200_000) }));
        if (u.pathname === '/br')
          return res
            .writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'br' })
            .end(zlib.brotliCompressSync(JSON.stringify({ email: 'eve@example.com' })));
        if (u.pathname === '/sse') {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(`data: ${JSON.stringify({ email: 'first@example.com' })}\n\n`);
          // The second event comes only after the agent has seen the first, masked: nothing is buffered whole.
          const t = setTimeout(() => res.end('data: second mallory@example.com\n\n'), 800);
          res.on('close', () => clearTimeout(t));
          return;
        }
        if (u.pathname === '/long-sse') {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          const t = setInterval(() => res.write('data: tick\n\n'), 200);
          const end = setTimeout(() => res.end(), 30_000);
          res.on('close', () => (clearInterval(t), clearTimeout(end)));
          return;
        }
        if (u.pathname === '/ndjson') {
          res.writeHead(200, { 'content-type': 'application/x-ndjson' });
          for (let i = 0; i < 50; i++) res.write(`${JSON.stringify({ i, email: `u${i}@example.com` })}\n`);
          return res.end();
        }
        if (u.pathname === '/empty') return res.writeHead(204, { 'x-owner': 'eve@example.com' }).end();
        if (u.pathname === '/watch') {
          // Like a Kubernetes watch: chunked application/json, one event per line, open-ended.
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write(`${JSON.stringify({ type: 'ADDED', object: { owner: 'w1@example.com' } })}\n`);
          const t = setTimeout(
            () => res.end(`${JSON.stringify({ type: 'DELETED', object: { owner: 'w2@example.com' } })}\n`),
            800,
          );
          res.on('close', () => clearTimeout(t));
          return;
        }
        if (u.pathname === '/pretty-chunked') {
          res.writeHead(200, { 'content-type': 'application/json' });
          const text = JSON.stringify({ a: [{ email: 'p@example.com' }, 'q@example.com'], n: 1 }, null, 2);
          for (let i = 0; i < text.length; i += 7) res.write(text.slice(i, i + 7));
          return res.end();
        }
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ ok: true, echo: 'contact alice@example.com' }));
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    upPort = (upstream.address() as net.AddressInfo).port;
    const url = `http://127.0.0.1:${upPort}`;
    s = await startHttpStack(
      {
        targets: [
          {
            name: 'api',
            protocol: 'http',
            listen: '127.0.0.1:1',
            upstream: { url },
            credentials: { passwordEnv: 'API_TOKEN' },
            limits: {
              maxHeaderBytes: 4096,
              maxRequestBodyBytes: 1024,
              maxResponseBodyBytes: 65536,
              requestTimeoutSeconds: 2,
            },
          },
          {
            name: 'basic',
            protocol: 'http',
            listen: '127.0.0.1:2',
            upstream: { url: `${url}/base` },
            credentials: { passwordEnv: 'BASIC_PW', scheme: 'basic', username: 'svc' },
            forwardProxy: { listen: '127.0.0.1:4' },
          },
          {
            name: 'keyed',
            protocol: 'http',
            listen: '127.0.0.1:3',
            upstream: { url },
            access: 'ReadOnly',
            credentials: { passwordEnv: 'API_KEY', scheme: 'header', header: 'X-Api-Key' },
          },
        ],
        masking: { detectors: ['email', 'creditCard'], defaultStrategy: 'redact' },
        rules: [
          { name: 'no-admin', when: { http: { paths: ['/admin/**'] } }, action: 'Deny' },
          {
            name: 'no-wire-transfers',
            when: { http: { methods: ['POST'], body: [{ path: '$.kind', values: ['wire'] }] } },
            action: 'Deny',
          },
          {
            name: 'dry-runs',
            when: { http: { methods: ['POST'], paths: ['/jobs'], query: [{ name: 'dryRun', values: ['true'] }] } },
            action: 'Allow',
          },
          {
            name: 'small-payments',
            when: {
              http: { methods: ['POST'], paths: ['/payments'], body: [{ path: '$.amount', values: ['1', '2', '3'] }] },
            },
            action: 'Allow',
          },
          {
            name: 'cel-tenant',
            when: { http: { paths: ['/tenants/{id}'], cel: 'request.segments[1] == request.principal.sub' } },
            action: 'Allow',
          },
          { name: 'reads', when: { http: { methods: ['GET', 'HEAD'] } }, action: 'Allow' },
        ],
      },
      { env: { API_TOKEN: 'upstream-bearer-1', BASIC_PW: 'basic-pw-2', API_KEY: 'api-key-3' } },
    );
    token = await s.token('agent-x');
    port = Number(new URL(s.url('api')).port);
  });

  after(async () => {
    await s?.stop();
    upstream?.close();
  });

  const get = (target: string, path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${s.url(target)}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
    });

  it('never forwards the agent token; injects the target credential (bearer, basic, named header) in place of anything the agent sent', async () => {
    seen.length = 0;
    expect(
      (
        await get('api', '/x', {
          headers: { 'x-api-key': 'agent-made', 'x-forwarded-for': '10.0.0.1', forwarded: 'for=10.0.0.1' },
        })
      ).status,
    ).to.equal(200);
    expect((await get('basic', '/y')).status).to.equal(200);
    expect(
      (await get('keyed', '/z', { headers: { 'x-api-key': 'agent-made', 'proxy-authorization': 'Bearer nope' } }))
        .status,
    ).to.equal(200);
    expect(seen.map((r) => r.url)).to.deep.equal(['/x', '/base/y', '/z']);
    expect(seen[0]!.headers.authorization).to.equal('Bearer upstream-bearer-1');
    expect(seen[0]!.headers['x-api-key']).to.equal('agent-made');
    expect(seen[0]!.headers['x-forwarded-for']).to.equal(undefined);
    expect(seen[0]!.headers.forwarded).to.equal(undefined);
    expect(seen[1]!.headers.authorization).to.equal(`Basic ${Buffer.from('svc:basic-pw-2').toString('base64')}`);
    expect(seen[2]!.headers['x-api-key']).to.equal('api-key-3');
    expect(seen[2]!.headers.authorization).to.equal(undefined);
    expect(seen[2]!.headers['proxy-authorization']).to.equal(undefined);
    expect(JSON.stringify(seen)).not.to.contain(token);
    expect(seen[0]!.headers.host).to.equal(`127.0.0.1:${upPort}`);
  });

  it('request smuggling: Content-Length with Transfer-Encoding, or two Content-Lengths, is 400 and the connection closes', async () => {
    seen.length = 0;
    const both = await raw(
      port,
      `POST /jobs?dryRun=true HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin/x HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    expect(both.text).to.match(/^HTTP\/1.1 400/);
    expect(both.closed).to.equal(true);
    const twice = await raw(
      port,
      `POST /jobs?dryRun=true HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcd`,
    );
    expect(twice.text).to.match(/^HTTP\/1.1 400/);
    expect(twice.closed).to.equal(true);
    const obfuscated = await raw(
      port,
      `POST /jobs?dryRun=true HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`,
    );
    expect(obfuscated.text).to.match(/^HTTP\/1.1 (400|501)/);
    expect(seen).to.deep.equal([]);
  });

  it('malformed request lines and headers are 400 problem+json; the connection closes', async () => {
    const bad = await raw(port, 'GET /x HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n');
    expect(bad.text).to.match(/^HTTP\/1.1 400/);
    expect(bad.text).to.contain('application/problem+json');
    expect(bad.closed).to.equal(true);
    const junk = await raw(port, 'HELLO\r\n\r\n');
    expect(junk.text).to.match(/^HTTP\/1.1 400/);
    const noHost = await raw(port, `GET /x HTTP/1.1\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    expect(noHost.text).to.match(/^HTTP\/1.1 400/);
  });

  it('oversized heads are 431 and oversized bodies 413 (declared or chunked), before anything is forwarded', async () => {
    seen.length = 0;
    const head = await raw(
      port,
      `GET /x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nX-Pad: ${'a'.repeat(8000)}\r\n\r\n`,
    );
    expect(head.text).to.match(/^HTTP\/1.1 431/);
    expect(head.closed).to.equal(true);
    const declared = await raw(
      port,
      `POST /jobs?dryRun=true HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Length: 5000\r\n\r\n`,
    );
    expect(declared.text).to.match(/^HTTP\/1.1 413/);
    expect(declared.closed).to.equal(true);
    const chunk = 'z'.repeat(600);
    const chunked = await raw(
      port,
      `POST /jobs?dryRun=true HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nTransfer-Encoding: chunked\r\n\r\n${(600).toString(16)}\r\n${chunk}\r\n${(600).toString(16)}\r\n${chunk}\r\n0\r\n\r\n`,
    );
    expect(chunked.text).to.match(/^HTTP\/1.1 413/);
    expect(seen).to.deep.equal([]);
  });

  it('a slow client gets 408 and is closed, while another agent is served meanwhile', async () => {
    const slow = net.connect(port, '127.0.0.1');
    slow.on('error', () => undefined);
    let text = '';
    slow.on('data', (d) => (text += d.toString()));
    const closed = new Promise<void>((r) => slow.on('close', () => r()));
    slow.write(
      `POST /jobs?dryRun=true HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Length: 100\r\n\r\nab`,
    );
    const other = await get('api', '/fine');
    expect(other.status).to.equal(200);
    await closed;
    expect(text).to.match(/^HTTP\/1.1 408/);
  });

  it('paths an API could read differently are refused (400); case and trailing slashes cannot dodge a Deny rule', async () => {
    for (const p of [
      '/public/../admin/x',
      '/public/%2e%2e/admin/x',
      '/admin%2fx',
      '/a//b',
      '/a\\b',
      '/a/%00',
      '/a/%zz',
    ]) {
      const r = await raw(port, `GET ${p} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`);
      expect(r.text, p).to.match(/^HTTP\/1.1 400/);
    }
    for (const p of ['/admin/users', '/ADMIN/users', '/Admin/users/', '/admin', '/%61dmin/users', '/%41DMIN']) {
      const r = await get('api', p);
      expect(r.status, p).to.equal(403);
      expect(((await r.json()) as { rule: string }).rule, p).to.equal('no-admin');
    }
  });

  it('method override headers are refused; a ReadOnly target forwards only GET, HEAD and OPTIONS', async () => {
    const o = await get('api', '/jobs?dryRun=true', {
      method: 'POST',
      headers: { 'x-http-method-override': 'DELETE' },
    });
    expect(o.status).to.equal(400);
    const w = await get('keyed', '/anything', { method: 'PUT', body: '{}' });
    expect(w.status).to.equal(403);
    expect(((await w.json()) as { rule: string }).rule).to.equal('read-only-target');
  });

  it('forward proxy: only the target origin and its base path; the raw path is what rules and the API see', async () => {
    const fport = Number(s.forward('basic').split(':')[1]);
    const via = (target: string): Promise<{ text: string }> =>
      raw(
        fport,
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${upPort}\r\nProxy-Authorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
      );
    seen.length = 0;
    expect((await via(`http://127.0.0.1:${upPort}/base/y`)).text).to.match(/^HTTP\/1.1 200/);
    expect(seen.map((x) => x.url)).to.deep.equal(['/base/y']);
    expect((await via(`http://127.0.0.1:${upPort}?x=1`)).text).to.match(/^HTTP\/1.1 403/);
    expect((await via(`http://127.0.0.1:${upPort}/basement/y`)).text).to.match(/^HTTP\/1.1 403/);
    expect((await via(`http://127.0.0.1:${upPort}/base/../admin/x`)).text).to.match(/^HTTP\/1.1 400/);
    expect((await via(`http://127.0.0.1:${upPort}/base/%2e%2e/admin/x`)).text).to.match(/^HTTP\/1.1 400/);
    expect((await via(`http://127.0.0.1:${upPort}/base/admin/x`)).text).to.match(/^HTTP\/1.1 403/);
    expect((await via('/base/y')).text).to.match(/^HTTP\/1.1 400/);
    expect((await via(`http://user:pw@127.0.0.1:${upPort}/base/y`)).text).to.match(/^HTTP\/1.1 400/);
    expect(seen.map((x) => x.url)).to.deep.equal(['/base/y']);
  });

  it('an encoded request body (Content-Encoding) is refused: the rules could not see it', async () => {
    seen.length = 0;
    const r = await get('api', '/payments', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: zlib.gzipSync('{"amount":2000000}'),
    });
    expect(r.status).to.equal(415);
    expect(seen).to.deep.equal([]);
  });

  it('a streamed response is cut when the agent token expires', async () => {
    const short = await s.token('agent-x', 2);
    let failed = false;
    const started = Date.now();
    try {
      const r = await fetch(`${s.url('api')}/long-sse`, { headers: { authorization: `Bearer ${short}` } });
      const reader = r.body!.getReader();
      for (;;) if ((await reader.read()).done) break;
    } catch {
      failed = true;
    }
    // Cut at the token's exp (within 2 s), long before the 30 s stream would end, whatever the load.
    expect(Date.now() - started).to.be.lessThan(15_000);
    expect(failed).to.equal(true);
    const cut = s
      .records()
      .filter((x) => x.event.action === 'statement.completion' && /token expired/.test(x.error?.message ?? ''));
    expect(cut).to.have.length(1);
  });

  it('repeated query parameters: an Allow rule needs every value to match', async () => {
    expect((await get('api', '/jobs?dryRun=true', { method: 'POST' })).status).to.equal(200);
    expect((await get('api', '/jobs?dryRun=true&dryRun=false', { method: 'POST' })).status).to.equal(403);
    expect((await get('api', '/jobs?dryRun=false&dryRun=true', { method: 'POST' })).status).to.equal(403);
  });

  it('ambiguous JSON bodies (duplicate keys, not JSON) never match an Allow rule and always match a Deny rule', async () => {
    const post = (path: string, body: string): Promise<Response> =>
      get('api', path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect((await post('/payments', '{"amount":2}')).status).to.equal(200);
    expect((await post('/payments', '{"amount":2,"amount":2000000}')).status).to.equal(403);
    expect((await post('/payments', '{"amount":2000000,"amount":2}')).status).to.equal(403);
    expect((await post('/payments', '{"amount":2')).status).to.equal(403);
    const wire = await post('/transfers', '{"kind":"wire","kind":"internal"}');
    expect(((await wire.json()) as { rule: string }).rule).to.equal('no-wire-transfers');
    const notJson = await post('/transfers', 'kind=wire');
    expect(((await notJson.json()) as { rule: string }).rule).to.equal('no-wire-transfers');
  });

  it('CEL sees the request and the principal', async () => {
    expect((await get('api', '/tenants/agent-x', { method: 'PATCH', body: '{}' })).status).to.equal(200);
    expect((await get('api', '/tenants/agent-y', { method: 'PATCH', body: '{}' })).status).to.equal(403);
  });

  it('protocol upgrades (WebSocket) are refused', async () => {
    const r = await raw(
      port,
      `GET /ws HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    );
    expect(r.text).to.match(/^HTTP\/1.1 501/);
  });

  it('responses that cannot be inspected are refused with a 502 problem while masking is on', async () => {
    for (const p of ['/binary', '/zstd', '/big']) {
      const r = await get('api', p);
      expect(r.status, p).to.equal(502);
      expect(r.headers.get('content-type')).to.equal('application/problem+json');
      expect(await r.text(), p).not.to.contain('4111111111111111');
    }
  });

  it('brotli is decompressed, masked, compressed again; 204 passes, its headers masked', async () => {
    const r = await get('api', '/br', { headers: { 'accept-encoding': 'br' } });
    expect(await r.json()).to.deep.equal({ email: '[redacted:email]' });
    const empty = await get('api', '/empty');
    expect(empty.status).to.equal(204);
    expect(empty.headers.get('x-owner')).to.equal('[redacted:email]');
  });

  it('SSE is masked event by event as it streams (the first event arrives before the upstream has finished)', async () => {
    const r = await get('api', '/sse');
    const reader = r.body!.getReader();
    const first = Buffer.from((await reader.read()).value!).toString();
    expect(first).to.equal('data: {"email":"[redacted:email]"}\n\n');
    let rest = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += Buffer.from(value).toString();
    }
    expect(rest).to.contain('data: second [redacted:email]');
    expect(rest).not.to.contain('mallory');
  });

  it('chunked JSON is masked value by value as each top-level value completes (watch streams, pretty documents)', async () => {
    const r = await get('api', '/watch');
    const reader = r.body!.getReader();
    const first = Buffer.from((await reader.read()).value!).toString();
    expect(JSON.parse(first)).to.deep.equal({ type: 'ADDED', object: { owner: '[redacted:email]' } });
    let rest = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += Buffer.from(value).toString();
    }
    expect(JSON.parse(rest)).to.deep.equal({ type: 'DELETED', object: { owner: '[redacted:email]' } });
    const pretty = await get('api', '/pretty-chunked');
    expect(await pretty.json()).to.deep.equal({ a: [{ email: '[redacted:email]' }, '[redacted:email]'], n: 1 });
  });

  it('a changed policy applies to the next request: rules, access and masks of the target', async () => {
    expect((await get('api', '/fine')).status).to.equal(200);
    const next = JSON.parse(JSON.stringify(s.proxy.runtime.policy)) as AgentAccessPolicy;
    next.spec.rules!.unshift({ name: 'freeze', when: { http: { paths: ['/fine'] } }, action: 'Deny' });
    (next.spec.targets[0] as HttpTargetSpec).maskFields = [{ path: 'ok' }];
    s.proxy.updatePolicy(validatePolicy(next));
    try {
      expect(((await (await get('api', '/fine')).json()) as { rule: string }).rule).to.equal('freeze');
      expect(await (await get('api', '/other')).json()).to.deep.equal({
        ok: '[redacted:ok]',
        echo: 'contact [redacted:email]',
      });
    } finally {
      next.spec.rules!.shift();
      (next.spec.targets[0] as HttpTargetSpec).maskFields = undefined as never;
      delete (next.spec.targets[0] as HttpTargetSpec).maskFields;
      s.proxy.updatePolicy(validatePolicy(next));
    }
    expect((await get('api', '/fine')).status).to.equal(200);
  });

  it('while the policy is unavailable (cluster mode: deleted, out of reach) every request is refused', async () => {
    s.proxy.setPolicyUnavailable('policy agents/http-test was deleted');
    try {
      const r = await get('api', '/fine');
      expect(r.status).to.equal(503);
      expect(((await r.json()) as { detail: string }).detail).to.contain('was deleted');
    } finally {
      s.proxy.setPolicyUnavailable(undefined);
    }
    expect((await get('api', '/fine')).status).to.equal(200);
  });

  it('NDJSON is masked line by line, chunked (no stale Content-Length)', async () => {
    const r = await get('api', '/ndjson');
    expect(r.headers.get('content-length')).to.equal(null);
    const lines = (await r.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).to.have.length(50);
    expect(lines.every((l: { email: string }) => l.email === '[redacted:email]')).to.equal(true);
  });
});
