/**
 * Hostile review round 2 (issue #12): what an HTTP approval is bound to. The grant's hash covers method,
 * path, query and canonical body (request-facts.ts approvalBinding) and approvers read only those, but
 * the proxy forwards the agent's other headers, which rules may match (`when.http.headers`) and APIs act
 * on (tenant, account, On-Behalf-Of, Prefer, If-Match…). A grant (here one with ttlSeconds) given for a
 * request in the sandbox account releases the same request sent to the production account: the
 * approver never saw, and the hash never bound, the header that tells them apart.
 */
import { expect } from 'chai';
import http from 'node:http';
import type net from 'node:net';
import { startHttpStack } from '../support/http-stack.js';
import { MemoryBroker } from '../support/memory-broker.js';

describe('review-gate2: an HTTP approval and the headers it does not bind', function () {
  this.timeout(30_000);
  let upstream: http.Server;
  const received: string[] = [];

  before(async () => {
    upstream = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push(String(req.headers['x-account']));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  });
  after(() => upstream.close());

  it('a grant for the sandbox account does not release the same call to the production account', async () => {
    const broker = new MemoryBroker();
    const s = await startHttpStack(
      {
        targets: [
          {
            name: 'bank',
            protocol: 'http',
            listen: '127.0.0.1:1',
            upstream: { url: `http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}` },
          },
        ],
        approval: { mode: 'Hold', approvers: { users: ['alice'] }, grant: { ttlSeconds: 600 } } as never,
        rules: [
          {
            name: 'transfers',
            when: { http: { methods: ['POST'], paths: ['/transfers'] } },
            action: 'RequireApproval',
          },
        ],
        defaultAction: 'Allow',
      },
      { proxyOptions: { approvals: broker } },
    );
    try {
      const token = await s.token('agent-bank');
      const send = (account: string) =>
        fetch(`${s.url('bank')}/transfers`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-account': account },
          body: '{"amount":250000,"to":"ACCT-9"}',
        }).then(async (r) => (await r.arrayBuffer(), r.status));
      const first = send('sandbox');
      while (broker.asks.length === 0) await new Promise((r) => setTimeout(r, 20));
      const ask = broker.asks[0]!.command;
      await broker.settle(`apr-${ask.sha256.slice(0, 8)}`, 'Approved');
      expect(await first).to.equal(200);
      broker.approved.add(ask.sha256); // the approved request is a grant for ttlSeconds, as the operator keeps it
      expect(ask.text, 'what the approver read names the account').to.contain('x-account: sandbox');
      const second = send('production');
      const outcome = await Promise.race([second, new Promise((r) => setTimeout(() => r('held'), 1500))]);
      expect(received, `forwarded (second request: ${String(outcome)})`).to.deep.equal(['sandbox']);
    } finally {
      await s.stop();
    }
  });
});
