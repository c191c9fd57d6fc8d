/**
 * Review of MCP targets (#13): `tls: {certFile, keyFile}` is what lets a target listen off loopback
 * (tokens must not cross the network in clear), and the MCP listener ignored it: it served plain HTTP,
 * the agent's JWT and every argument and result in clear. The listener serves TLS where `tls` is set.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import { bin } from '../support/mcp-sidecar-fixtures.js';

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'rev13', version: '1' } },
});

function httpsPost(
  url: string,
  ca: Buffer,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; sid?: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', ca, headers, servername: 'localhost' }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          ...(res.headers['mcp-session-id'] ? { sid: String(res.headers['mcp-session-id']) } : {}),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('rev13: an MCP target behind a TLS listener', function () {
  this.timeout(60_000);
  let s: HttpStack;
  let ca: Buffer;
  let token: string;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rev13-tls-'));
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
    s = await startHttpStack({
      targets: [
        {
          name: 'files',
          protocol: 'mcp',
          listen: '127.0.0.1:1',
          tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') },
          upstream: { command: bin('mcp-server-filesystem'), args: [dir] },
        },
      ],
      defaultAction: 'Allow',
    });
    token = await s.token('agent-rev13');
  });
  after(() => s?.stop());

  const headers = (): Record<string, string> => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  });

  it('opens a session over TLS', async () => {
    const url = s.url('files').replace('http:', 'https:');
    const r = await httpsPost(`${url}/mcp`, ca, headers(), initialize);
    expect(r.status).to.equal(200);
    expect(r.sid).to.be.a('string');
  });

  it('does not answer plain HTTP (the token would travel in clear)', async () => {
    const r = await fetch(`${s.url('files')}/mcp`, { method: 'POST', headers: headers(), body: initialize }).then(
      (x) => x.status,
      () => 'refused',
    );
    expect(r).to.not.equal(200);
  });
});
