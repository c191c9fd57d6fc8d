/**
 * Review of HTTP targets (issue #12): a target whose listener serves TLS (`tls: {certFile, keyFile}`),
 * reached by a real client (node:https with the listener's CA): the request is decided and answered,
 * and a bad token is still refused.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';

function httpsGet(url: string, ca: Buffer, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, headers, servername: 'localhost' }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
      .on('error', reject);
  });
}

describe('rev12: an HTTP target behind a TLS listener', function () {
  this.timeout(30_000);
  let upstream: http.Server;
  let s: HttpStack;
  let token: string;
  let ca: Buffer;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rev12-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    ca = readFileSync(join(dir, 'cert.pem'));
    upstream = http.createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"owner":"eve@example.com"}'),
    );
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    s = await startHttpStack({
      targets: [
        {
          name: 'api',
          protocol: 'http',
          listen: '127.0.0.1:1',
          upstream: { url: `http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}` },
          tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') },
        },
      ],
      masking: { detectors: ['email'], defaultStrategy: 'redact' },
      defaultAction: 'Allow',
    });
    token = await s.token('agent-tls');
  });

  after(async () => {
    await s?.stop();
    upstream?.close();
  });

  it('serves a decided, masked request over TLS; refuses a missing token', async () => {
    const url = s.url('api').replace('http:', 'https:');
    const ok = await httpsGet(`${url}/x`, ca, { authorization: `Bearer ${token}` });
    expect(ok.status, ok.body).to.equal(200);
    expect(JSON.parse(ok.body)).to.deep.equal({ owner: '[redacted:email]' });
    const none = await httpsGet(`${url}/x`, ca, {});
    expect(none.status).to.equal(401);
    const decisions = s.records().filter((r) => r.event.action === 'statement.decision');
    expect(decisions).to.have.length(1);
    expect(decisions[0]!.connection).to.be.a('string');
  });
});
