/**
 * Review of HTTP targets (issue #12), the response side: bodies an API could send that the agent's
 * client reads in full while the proxy's masking reads them differently (charsets, YAML, event streams
 * split over lines, CR line ends, missing types, codings, bombs, bodiless responses, 1xx and trailers).
 */
import { expect } from 'chai';
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';

const SECRET = 's3cr3t-Zq8vX2';

/** node:http GET, raw bytes (no decompression), the status, headers and trailers as sent. */
function get(
  url: string,
  headers: Record<string, string>,
  method = 'GET',
): Promise<{ status: number; headers: http.IncomingHttpHeaders; trailers: NodeJS.Dict<string>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, trailers: res.trailers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('rev12: HTTP response masking evasions', function () {
  this.timeout(60_000);
  let upstream: http.Server;
  let s: HttpStack;
  let token: string;

  // A small JSON value, then 512 MiB of whitespace in eight gzip members (one body): about 512 KiB on the
  // wire. Large beside what the test process's own heap may grow by meanwhile (its young generation).
  const whitespace = zlib.gzipSync(Buffer.alloc(64 << 20, 0x20));
  const bomb = Buffer.concat([zlib.gzipSync('{"a":1}'), ...Array.from({ length: 8 }, () => whitespace)]);

  before(async () => {
    upstream = http.createServer((req, res) => {
      const p = new URL(req.url!, 'http://x').pathname;
      const json = JSON.stringify({ email: 'eve@example.com', secret: SECRET });
      const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json, 'utf16le')]);
      switch (p) {
        case '/utf16-json':
          return res.writeHead(200, { 'content-type': 'application/json; charset=utf-16' }).end(utf16);
        case '/utf16-text':
          return res.writeHead(200, { 'content-type': 'text/plain; charset=UTF-16LE' }).end(utf16);
        case '/utf8-json':
          return res.writeHead(200, { 'content-type': 'application/json; charset="UTF-8"' }).end(json);
        // What kube-apiserver sends for Accept: application/yaml.
        case '/yaml':
          return res
            .writeHead(200, { 'content-type': 'application/yaml' })
            .end(`kind: Secret\ndata:\n  password: ${SECRET}\nsecret: ${SECRET}\n`);
        case '/untyped-pretty':
          return res.writeHead(200).end(JSON.stringify({ secret: SECRET, email: 'eve@example.com' }, null, 2));
        case '/untyped-text':
          return res.writeHead(200).end('hello eve@example.com\n');
        // What Go's net/http labels a JSON body whose handler set no type (DetectContentType).
        case '/go-sniffed': {
          res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
          res.write('  \n{\n  "secret": ');
          return res.end(`"${SECRET}",\n  "email": "eve@example.com"\n}\n`);
        }
        case '/blank-text':
          return res.writeHead(200, { 'content-type': 'text/plain' }).end('\n \n');
        case '/text-log':
          return res
            .writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
            .end('# a log\nline eve@example.com\n');
        case '/sse-multiline':
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          return res.end(
            `: comment eve@example.com\nid: 1\ndata: {"secret":\ndata:   "${SECRET}", "email": "eve@example.com"}\n\ndata: plain mallory@example.com\n\n`,
          );
        case '/sse-cr':
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          return res.end(`data: {"a":1}\r\rdata: {"secret":"${SECRET}"}\r\r`);
        case '/utf8-split': {
          // A chunked JSON body cut inside a two-byte UTF-8 character.
          res.writeHead(200, { 'content-type': 'application/json' });
          const b = Buffer.from(JSON.stringify({ name: 'Zoë Ünal', email: 'zoe@example.com', secret: SECRET }));
          const cut = b.indexOf(0xc3) + 1;
          res.write(b.subarray(0, cut));
          setTimeout(() => res.end(b.subarray(cut)), 50);
          return;
        }
        case '/gzip-gzip':
          return res
            .writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip, gzip' })
            .end(zlib.gzipSync(zlib.gzipSync(json)));
        case '/identity':
          return res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'identity' }).end(json);
        case '/multi-member': {
          const body = Buffer.concat([
            zlib.gzipSync('{"email":"eve@exa'),
            zlib.gzipSync(`mple.com","secret":"${SECRET}"}`),
          ]);
          return res
            .writeHead(200, {
              'content-type': 'application/json',
              'content-encoding': 'gzip',
              'content-length': body.length,
            })
            .end(body);
        }
        case '/bomb': {
          const body = bomb;
          return res
            .writeHead(200, {
              'content-type': 'application/json',
              'content-encoding': 'gzip',
              'content-length': body.length,
            })
            .end(body);
        }
        case '/many-values': {
          const body = '1 '.repeat(100_000);
          return res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
        }
        case '/head':
          return res
            .writeHead(200, {
              'content-type': 'application/json',
              'content-length': 4096,
              'x-owner': 'eve@example.com',
            })
            .end();
        case '/not-modified':
          return res.writeHead(304, { etag: '"eve@example.com"', 'x-owner': 'eve@example.com' }).end();
        case '/early-hints':
          res.writeEarlyHints({ link: '</eve@example.com>; rel=preload' });
          return res.writeHead(200, { 'content-type': 'application/json' }).end(json);
        case '/trailers':
          res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-owner' });
          res.write('part one\n');
          res.addTrailers({ 'x-owner': 'eve@example.com' });
          return res.end();
        default:
          return res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    s = await startHttpStack({
      targets: [
        {
          name: 'api',
          protocol: 'http',
          listen: '127.0.0.1:1',
          upstream: { url: `http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}` },
          maskFields: [{ path: 'secret' }, { path: '$.data.*' }],
          limits: { maxResponseBodyBytes: 65536 },
        },
      ],
      masking: { detectors: ['email'], defaultStrategy: 'redact' },
      defaultAction: 'Allow',
    });
    token = await s.token('agent-rev12');
  });

  after(async () => {
    await s?.stop();
    upstream?.close();
  });

  const fetchRaw = (path: string, method = 'GET', headers: Record<string, string> = {}): ReturnType<typeof get> =>
    get(`${s.url('api')}${path}`, { authorization: `Bearer ${token}`, ...headers }, method);
  /** Everything the agent could read out of the body: as sent, as UTF-16, decompressed when it is gzip. */
  const readable = (b: Buffer): string => `${b.toString('utf8')}\n${b.toString('utf16le')}`;

  it('a body in another charset (UTF-16 JSON or text) is refused, not masked as if it were UTF-8', async () => {
    for (const p of ['/utf16-json', '/utf16-text']) {
      const r = await fetchRaw(p);
      expect(readable(r.body), p).not.to.contain('eve@example.com');
      expect(readable(r.body), p).not.to.contain(SECRET);
      expect(r.status, p).to.equal(502);
    }
    const ok = await fetchRaw('/utf8-json');
    expect(JSON.parse(ok.body.toString())).to.deep.equal({ email: '[redacted:email]', secret: '[redacted:secret]' });
  });

  it('with field rules on, a structured body the proxy does not parse (YAML, as kube-apiserver sends for Accept: application/yaml) is refused', async () => {
    const r = await fetchRaw('/yaml');
    expect(r.body.toString()).not.to.contain(SECRET);
    expect(r.status).to.equal(502);
  });

  it('a body without Content-Type: JSON gets its field rules (pretty-printed too); text still gets the detectors', async () => {
    const r = await fetchRaw('/untyped-pretty');
    expect(r.body.toString()).not.to.contain(SECRET);
    expect(r.body.toString()).not.to.contain('eve@example.com');
    const t = await fetchRaw('/untyped-text');
    expect(t.body.toString()).not.to.contain('eve@example.com');
  });

  it('JSON labelled text/plain (Go sniffs untyped JSON as text/plain) gets its field rules; plain text keeps line masking', async () => {
    const r = await fetchRaw('/go-sniffed');
    expect(r.body.toString()).not.to.contain(SECRET);
    expect(r.status).to.equal(200);
    expect(JSON.parse(r.body.toString())).to.deep.equal({ secret: '[redacted:secret]', email: '[redacted:email]' });
    const t = await fetchRaw('/text-log');
    expect(t.body.toString()).to.equal('# a log\nline [redacted:email]\n');
    expect((await fetchRaw('/blank-text')).body.toString()).to.equal('\n \n');
  });

  it('SSE: an event whose JSON spans several data: lines gets its field rules; comments and ids get the detectors', async () => {
    const r = await fetchRaw('/sse-multiline');
    const text = r.body.toString();
    expect(text).not.to.contain(SECRET);
    expect(text).not.to.contain('eve@example.com');
    expect(text).not.to.contain('mallory@example.com');
    // What an EventSource client reads: data lines of one event joined with \n.
    const events = text
      .split('\n\n')
      .filter(Boolean)
      .map((e) =>
        e
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.replace(/^data: ?/, ''))
          .join('\n'),
      );
    expect(JSON.parse(events[0]!)).to.deep.equal({ secret: '[redacted:secret]', email: '[redacted:email]' });
    expect(events[1]).to.equal('plain [redacted:email]');
  });

  it('SSE with bare CR line ends (valid for EventSource) does not hide an event from the field rules', async () => {
    const r = await fetchRaw('/sse-cr');
    expect(r.body.toString()).not.to.contain(SECRET);
  });

  it('chunked JSON cut inside a UTF-8 character is masked whole, the character intact', async () => {
    const r = await fetchRaw('/utf8-split');
    expect(JSON.parse(r.body.toString())).to.deep.equal({
      name: 'Zoë Ünal',
      email: '[redacted:email]',
      secret: '[redacted:secret]',
    });
  });

  it('codings: "gzip, gzip" is refused, identity passes masked, a multi-member gzip body is masked across its members', async () => {
    const gg = await fetchRaw('/gzip-gzip', 'GET', { 'accept-encoding': 'gzip' });
    expect(gg.status).to.equal(502);
    const id = await fetchRaw('/identity');
    expect(JSON.parse(id.body.toString())).to.deep.equal({ email: '[redacted:email]', secret: '[redacted:secret]' });
    const mm = await fetchRaw('/multi-member', 'GET', { 'accept-encoding': 'gzip' });
    expect(mm.status).to.equal(200);
    const plain = zlib.gunzipSync(mm.body).toString();
    expect(JSON.parse(plain)).to.deep.equal({ email: '[redacted:email]', secret: '[redacted:secret]' });
  });

  it('a buffered (Content-Length) JSON response is bounded as a whole by maxResponseBodyBytes: a gzip bomb of whitespace, many small values', async () => {
    const before = process.memoryUsage().rss;
    const bomb = await fetchRaw('/bomb', 'GET', { 'accept-encoding': 'gzip' });
    expect(bomb.status).to.equal(502);
    const many = await fetchRaw('/many-values');
    expect(many.status).to.equal(502);
    expect(process.memoryUsage().rss - before).to.be.lessThan(128 << 20);
  });

  it('HEAD with a Content-Length, a 304 and 1xx early hints: headers masked, no body, no hint forwarded unmasked; response trailers are dropped', async () => {
    const head = await fetchRaw('/head', 'HEAD');
    expect(head.status).to.equal(200);
    expect(head.headers['x-owner']).to.equal('[redacted:email]');
    expect(head.body.length).to.equal(0);
    const nm = await fetchRaw('/not-modified');
    expect(nm.status).to.equal(304);
    expect(JSON.stringify(nm.headers)).not.to.contain('eve@example.com');
    const hints: http.IncomingHttpHeaders[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${s.url('api')}/early-hints`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
        let b = '';
        res.on('data', (c) => (b += c));
        res.on('end', () => {
          expect(b).not.to.contain('eve@example.com');
          resolve();
        });
      });
      req.on('information', (i) => hints.push(i.headers));
      req.on('error', reject);
    });
    expect(JSON.stringify(hints)).not.to.contain('eve@example.com');
    const tr = await fetchRaw('/trailers');
    expect(JSON.stringify(tr.trailers)).not.to.contain('eve@example.com');
    expect(tr.body.toString()).to.equal('part one\n');
  });
});
