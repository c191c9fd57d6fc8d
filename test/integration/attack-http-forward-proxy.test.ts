/**
 * Review of HTTP targets (issue #12): the forward-proxy listener against URL tricks (userinfo, ports,
 * backslashes, Host header against the absolute URI), and request-head tricks on both listeners
 * (duplicate headers a rule reads, the HTTP/2 preface, Proxy-Authorization passed on).
 */
import { expect } from 'chai';
import http from 'node:http';
import net from 'node:net';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';

function raw(port: number, bytes: string, waitMs = 2000): Promise<string> {
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
const status = (text: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);

describe('rev12: forward proxy URL tricks and request-head duplicates', function () {
  this.timeout(30_000);
  let upstream: http.Server;
  let other: http.Server;
  let upPort: number;
  const seen: { url: string; headers: http.IncomingHttpHeaders }[] = [];
  const elsewhere: string[] = [];
  let s: HttpStack;
  let token: string;
  let fport: number;
  let rport: number;

  before(async () => {
    upstream = http.createServer((req, res) => {
      seen.push({ url: req.url!, headers: req.headers });
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    other = http.createServer((req, res) => {
      elsewhere.push(req.url!);
      res.end('other');
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
    upPort = (upstream.address() as net.AddressInfo).port;
    s = await startHttpStack({
      targets: [
        {
          name: 'api',
          protocol: 'http',
          listen: '127.0.0.1:1',
          upstream: { url: `http://127.0.0.1:${upPort}/base` },
          forwardProxy: { listen: '127.0.0.1:2' },
        },
      ],
      rules: [
        { name: 'no-admin', when: { http: { paths: ['/admin/**'] } }, action: 'Deny' },
        {
          name: 'dry-runs',
          when: { http: { methods: ['POST'], headers: [{ name: 'X-Dry-Run', values: ['true'] }] } },
          action: 'Allow',
        },
        { name: 'reads', when: { http: { methods: ['GET'] } }, action: 'Allow' },
      ],
    });
    token = await s.token('agent-fwd');
    fport = Number(s.forward('api').split(':')[1]);
    rport = Number(new URL(s.url('api')).port);
  });

  after(async () => {
    await s?.stop();
    upstream?.close();
    other?.close();
  });

  const via = (target: string, host = `127.0.0.1:${upPort}`): Promise<string> =>
    raw(
      fport,
      `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nProxy-Authorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
    );

  it('only the target origin is reached, however the authority is spelled; the decided path is the forwarded one', async () => {
    const otherPort = (other.address() as net.AddressInfo).port;
    seen.length = 0;
    const cases: [string, number[]][] = [
      [`http://127.0.0.1:${otherPort}/base/x`, [403]],
      [`http://127.0.0.1:${upPort}@127.0.0.1:${otherPort}/base/x`, [400]],
      [`http://127.0.0.1:${otherPort}#@127.0.0.1:${upPort}/base/x`, [400, 403]],
      [`http://127.0.0.1:${otherPort}\\@127.0.0.1:${upPort}/base/x`, [400, 403]],
      [`http://localhost:${upPort}/base/x`, [403]],
      [`http://127.0.0.1:${upPort}\\base\\admin\\x`, [400, 403]],
      [`http://127.0.0.1:${upPort}/base/admin%2Fx`, [400]],
      [`http://127.0.0.1:${upPort}/base/ADMIN/x`, [403]],
      [`http://127.0.0.1:${upPort}/base//admin/x`, [400]],
      [`https://127.0.0.1:${upPort}/base/x`, [400]],
    ];
    for (const [target, want] of cases) expect(want, target).to.include(status(await via(target)));
    expect(elsewhere).to.deep.equal([]);
    expect(seen).to.deep.equal([]);
    // The Host header does not choose the upstream, the absolute URI does, and the API gets its own Host.
    expect(status(await via(`http://127.0.0.1:${upPort}/base/x`, `127.0.0.1:${otherPort}`))).to.equal(200);
    expect(seen.map((x) => [x.url, x.headers.host])).to.deep.equal([['/base/x', `127.0.0.1:${upPort}`]]);
    expect(seen[0]!.headers['proxy-authorization']).to.equal(undefined);
  });

  it('a header a rule reads, sent twice, or folded into one value, does not pass an Allow rule', async () => {
    seen.length = 0;
    const post = (headers: string): Promise<string> =>
      raw(
        rport,
        `POST /jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n${headers}Content-Length: 0\r\nConnection: close\r\n\r\n`,
      );
    expect(status(await post('X-Dry-Run: true\r\nX-Dry-Run: false\r\n'))).to.equal(403);
    expect(status(await post('x-dry-run: true\r\nX-DRY-RUN: false\r\n'))).to.equal(403);
    expect(status(await post('X-Dry-Run: true, false\r\n'))).to.equal(403);
    expect(status(await post('X-Dry-Run : true\r\n'))).to.equal(400);
    expect(seen).to.deep.equal([]);
    expect(status(await post('x-dry-run: true\r\n'))).to.equal(200);
    expect(seen.map((x) => x.headers['x-dry-run'])).to.deep.equal(['true']);
  });

  it('the HTTP/2 preface and h2c upgrades are refused on both listeners', async () => {
    for (const port of [rport, fport]) {
      expect(status(await raw(port, 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'))).to.equal(400);
      const up = await raw(
        port,
        `GET /x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n`,
      );
      expect(status(up)).to.be.oneOf([400, 501]);
    }
  });

  it('header names with _ (CGI/WSGI servers read X_Api_Key as X-Api-Key) are refused: no stand-in for a credential, a client address or a method override', async () => {
    seen.length = 0;
    for (const h of [
      'X_Forwarded_For: 10.0.0.1',
      'X_HTTP_Method_Override: DELETE',
      'Proxy_Authorization: Bearer x',
      'X_Dry_Run: true',
    ]) {
      const r = await raw(
        rport,
        `GET /x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n${h}\r\nConnection: close\r\n\r\n`,
      );
      expect(status(r), h).to.equal(400);
    }
    expect(seen).to.deep.equal([]);
  });
});
