/**
 * Hostile review of the merged gate (issue #12): an HTTP request held for an approval (mode Hold) whose
 * agent disconnects before the decision. The HTTP adapter tells the gate `closed: () => false`
 * (direct-gate.ts), so the flow never learns the agent left: on approval a one-shot grant is claimed and
 * marked Used, `approval.grant-used` ("executed under ApprovalRequest …") and an enforced:false decision
 * are recorded, for a request that is never forwarded; the agent's retry then finds the grant spent.
 * SQL (PgSession.closed) and the flow's own agent-gone branch (gate-port.ts oneVerdict) handle this.
 */
import { expect } from 'chai';
import http from 'node:http';
import type net from 'node:net';
import { approvalBinding, parseJsonBody } from '../../proxy/http/request-facts.js';
import { parseRequestPath } from '../../shared/policy-language/path-template.js';
import { startHttpStack } from '../support/http-stack.js';
import { MemoryBroker } from '../support/memory-broker.js';

class CountingBroker extends MemoryBroker {
  used: string[] = [];
  override async markUsed(name?: string): Promise<void> {
    this.used.push(String(name));
  }
}

describe('review-gate: an HTTP request held for approval whose agent went away', function () {
  this.timeout(30_000);
  let upstream: http.Server;
  const received: string[] = [];

  before(async () => {
    upstream = http.createServer((req, res) => {
      let b = '';
      req.on('data', (c) => (b += c));
      req.on('end', () => {
        received.push(b);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  });
  after(() => upstream.close());

  it('does not spend the one-shot grant nor record an execution under it', async () => {
    const broker = new CountingBroker();
    const s = await startHttpStack(
      {
        targets: [
          {
            name: 'pay',
            protocol: 'http',
            listen: '127.0.0.1:1',
            upstream: { url: `http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}` },
          },
        ],
        approval: { mode: 'Hold', approvers: { users: ['alice'] } } as never,
        rules: [
          { name: 'refunds', when: { http: { methods: ['POST'], paths: ['/refunds'] } }, action: 'RequireApproval' },
        ],
        defaultAction: 'Allow',
      },
      { proxyOptions: { approvals: broker } },
    );
    try {
      const token = await s.token('agent-pay');
      const body = '{"amount":500}';
      const ac = new AbortController();
      const pending = fetch(`${s.url('pay')}/refunds`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
        signal: ac.signal,
      }).catch((e: Error) => e);
      const sha = approvalBinding(
        'POST',
        parseRequestPath('/refunds'),
        Buffer.from(body),
        parseJsonBody(Buffer.from(body)),
      );
      while (broker.asks.length === 0) await new Promise((r) => setTimeout(r, 20));
      ac.abort(); // the agent goes away while the request is held
      await pending;
      await new Promise((r) => setTimeout(r, 200));
      await broker.settle(`apr-${sha.slice(0, 8)}`, 'Approved');
      await new Promise((r) => setTimeout(r, 300));
      expect(received, 'nothing forwarded').to.deep.equal([]);
      const actions = s.records().map((r) => r.event.action);
      expect(actions).to.include('approval.decided');
      expect(broker.used, 'the one-shot grant is left for the agent to retry').to.deep.equal([]);
      expect(actions, 'no execution is claimed under the grant').not.to.include('approval.grant-used');
    } finally {
      await s.stop();
    }
  });
});
