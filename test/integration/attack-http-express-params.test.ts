/**
 * Review of HTTP targets (issue #12) against express 4 (json-server's own copy, its default "extended"
 * query parser, qs): parameters the proxy and express read differently. The app answers with what it
 * read; whenever the proxy forwards, express must have read what the rule was decided on.
 */
import { expect } from 'chai';
import type http from 'node:http';
import { createRequire } from 'node:module';
import net, { connect as netConnect } from 'node:net';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';

type Express = () => {
  use: (...a: unknown[]) => void;
  all: (p: string, h: (req: { query: unknown; method: string }, res: { json: (v: unknown) => void }) => void) => void;
  listen: (port: number, host: string, cb: () => void) => http.Server;
};
const fromJsonServer = createRequire(new URL('../../node_modules/json-server/package.json', import.meta.url).pathname);
const express = fromJsonServer('express') as Express;
const methodOverride = fromJsonServer('method-override') as (getter: string) => unknown;

describe('rev12: express query parameters (qs brackets, parameter limit), HEAD under a GET rule', function () {
  this.timeout(30_000);
  let server: http.Server;
  let s: HttpStack;
  let token: string;
  const ran: { method: string; query: unknown }[] = [];

  before(async () => {
    const app = express();
    // Rails (Rack::MethodOverride) and Laravel read the method from _method the same way.
    app.use(methodOverride('_method'));
    app.all('*', (req, res) => {
      ran.push({ method: req.method, query: req.query });
      res.json({ query: req.query });
    });
    server = await new Promise<http.Server>((resolve) => {
      const srv = app.listen(0, '127.0.0.1', () => resolve(srv));
    });
    s = await startHttpStack({
      targets: [
        {
          name: 'jobs',
          protocol: 'http',
          listen: '127.0.0.1:1',
          upstream: { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}` },
        },
      ],
      rules: [
        { name: 'no-deletes', when: { http: { methods: ['DELETE'] } }, action: 'Deny' },
        { name: 'no-force', when: { http: { query: [{ name: 'force', values: ['true'] }] } }, action: 'Deny' },
        { name: 'no-secret-reads', when: { http: { methods: ['GET'], paths: ['/secrets/**'] } }, action: 'Deny' },
        {
          name: 'dry-runs',
          when: { http: { methods: ['POST'], paths: ['/jobs'], query: [{ name: 'dryRun', values: ['true'] }] } },
          action: 'Allow',
        },
        { name: 'reads', when: { http: { methods: ['GET', 'HEAD'] } }, action: 'Allow' },
      ],
    });
    token = await s.token('agent-jobs');
  });

  after(async () => {
    await s?.stop();
    server?.close();
  });

  const send = (method: string, path: string): Promise<Response> =>
    fetch(`${s.url('jobs')}${path}`, { method, headers: { authorization: `Bearer ${token}` } });

  it('an Allow on dryRun=true is not passed by a bracketed second value express reads as the parameter', async () => {
    for (const q of [
      'dryRun=true&dryRun[]=false',
      'dryRun=true&dryRun[x]=false',
      'dryRun[]=true&dryRun[]=false',
      'dryRun=true&dryRun%5B%5D=false',
    ]) {
      ran.length = 0;
      const r = await send('POST', `/jobs?${q}`);
      if (r.status === 200) expect(ran[0]!.query, q).to.deep.equal({ dryRun: 'true' });
      else expect(r.status, q).to.equal(403);
    }
    ran.length = 0;
    expect((await send('POST', '/jobs?dryRun=true')).status).to.equal(200);
    expect(ran[0]!.query).to.deep.equal({ dryRun: 'true' });
  });

  it('a Deny on force=true is not dodged by force[]=true or force[0]=true', async () => {
    for (const q of ['force[]=true', 'force[0]=true', 'force[a]=true']) {
      ran.length = 0;
      const r = await send('GET', `/x?${q}`);
      expect(r.status, q).to.equal(403);
      expect(ran, q).to.deep.equal([]);
    }
  });

  it("past express' 1000-parameter limit the parameters are unclear: an Allow on dryRun=true does not pass what express drops", async () => {
    ran.length = 0;
    const pad = Array.from({ length: 1000 }, (_, i) => `p${i}=1`).join('&');
    for (const q of [`${pad}&dryRun=true`, `${'&'.repeat(1000)}dryRun=true`]) {
      ran.length = 0;
      const r = await send('POST', `/jobs?${q}`);
      if (r.status === 200) expect((ran[0]!.query as Record<string, unknown>).dryRun).to.equal('true');
      else expect(r.status).to.equal(403);
    }
  });

  it('HEAD is decided by a Deny on GET (express runs the GET handler for HEAD)', async () => {
    ran.length = 0;
    expect((await send('HEAD', '/secrets/db')).status).to.equal(403);
    expect(ran).to.deep.equal([]);
    expect((await send('HEAD', '/public')).status).to.equal(200);
  });

  it('a _method parameter (method-override, Rack, Laravel) in the query or a form body is refused: the method on the request line is the one decided', async () => {
    for (const [q, body] of [
      ['dryRun=true&_method=DELETE', undefined],
      ['dryRun=true', '_method=DELETE'],
    ] as const) {
      ran.length = 0;
      const r = await fetch(`${s.url('jobs')}/jobs?${q}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        ...(body ? { body } : {}),
      });
      if (r.status === 200) expect(ran[0]!.method, q).to.equal('POST');
      else expect(r.status, q).to.equal(400);
      expect(
        ran.filter((x) => x.method === 'DELETE'),
        q,
      ).to.deep.equal([]);
    }
  });

  it('a fragment in the request target (express drops it, the query ends before #) does not hide a parameter from a Deny', async () => {
    for (const q of ['force=true#', 'force=true#x', 'a=1#&force=false']) {
      ran.length = 0;
      const text = await new Promise<string>((resolve) => {
        const c = netConnect(Number(new URL(s.url('jobs')).port), '127.0.0.1');
        let out = '';
        c.on('data', (d) => (out += d.toString()));
        c.on('close', () => resolve(out));
        c.on('error', () => resolve(out));
        c.write(`GET /x?${q} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`);
      });
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
      if (status === 200) expect((ran[0]!.query as Record<string, unknown>).force, q).not.to.equal('true');
      else expect([400, 403], q).to.include(status);
    }
  });
});
