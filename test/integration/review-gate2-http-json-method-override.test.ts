/**
 * Hostile review round 2 (issue #12), neighbour of the method-override refusal: the proxy refuses a
 * `_method` parameter in the query or a form body (server.ts: "Rails, Laravel and method-override read
 * it as the method") and drops X-HTTP-Method-Override, but a JSON body's `_method` passes. Laravel
 * reads its input from the JSON body for a JSON request (Request::createFromBase swaps the request bag
 * for the JSON bag, which Symfony's getMethod reads `_method` from), so a POST the policy allows is
 * the DELETE the policy denies.
 */
import { expect } from 'chai';
import http from 'node:http';
import type net from 'node:net';
import { startHttpStack } from '../support/http-stack.js';

describe('review-gate2: a method override in a JSON body', function () {
  this.timeout(30_000);
  let upstream: http.Server;
  const received: string[] = [];

  before(async () => {
    upstream = http.createServer((req, res) => {
      let b = '';
      req.on('data', (c) => (b += c));
      req.on('end', () => {
        received.push(`${req.method} ${req.url} ${b}`);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  });
  after(() => upstream.close());

  it('is refused like a _method parameter in the query or a form', async () => {
    const s = await startHttpStack({
      targets: [
        {
          name: 'crm',
          protocol: 'http',
          listen: '127.0.0.1:1',
          upstream: { url: `http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}` },
        },
      ],
      rules: [
        { name: 'no-deletes', when: { http: { methods: ['DELETE'], paths: ['/customers/**'] } }, action: 'Deny' },
      ],
      defaultAction: 'Allow',
    });
    try {
      const token = await s.token('agent-crm');
      const form = await fetch(`${s.url('crm')}/customers/7`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: '_method=DELETE',
      });
      await form.arrayBuffer();
      expect(form.status, 'the form variant is refused (the baseline)').to.equal(400);
      const json = await fetch(`${s.url('crm')}/customers/7`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ _method: 'DELETE' }),
      });
      await json.arrayBuffer();
      expect(received, 'no method override reached the API').to.deep.equal([]);
      expect(json.status).to.be.oneOf([400, 403]);
    } finally {
      await s.stop();
    }
  });
});
