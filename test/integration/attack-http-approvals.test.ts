/**
 * Review of HTTP targets (issue #12): an approval granted for one request is not used by another that
 * the API reads differently (a number past 2^53, the same bytes as a form). Reject mode, a grant in an
 * in-memory broker (the operator's part is covered by its own tests).
 */
import { expect } from 'chai';
import http from 'node:http';
import type net from 'node:net';
import type { ApprovalBroker } from '../../proxy/approvals/broker.js';
import type { ApprovalAsk, ApprovalPhase, ApprovalRequest } from '../../shared/contract/approval-request.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';

class GrantBroker implements ApprovalBroker {
  asks: ApprovalAsk[] = [];
  approved = new Set<string>();
  findGrant(g: { sha256: string }): ApprovalRequest | undefined {
    return this.approved.has(g.sha256)
      ? ({ metadata: { name: `apr-${g.sha256.slice(0, 8)}`, namespace: 'agents' } } as ApprovalRequest)
      : undefined;
  }
  async request(ask: ApprovalAsk): Promise<{ namespace: string; name: string }> {
    this.asks.push(ask);
    return { namespace: 'agents', name: `apr-${ask.command.sha256.slice(0, 8)}` };
  }
  waitFor(): Promise<{ phase: ApprovalPhase | 'Timeout' | 'Unverified' }> {
    return Promise.resolve({ phase: 'Timeout' });
  }
  claim(): boolean {
    return true;
  }
  async markUsed(): Promise<void> {}
}

describe('rev12: HTTP approvals are not reused for another request', function () {
  this.timeout(30_000);
  let upstream: http.Server;
  let s: HttpStack;
  let broker: GrantBroker;
  let token: string;
  const received: { type: string; body: string }[] = [];

  before(async () => {
    upstream = http.createServer((req, res) => {
      let b = '';
      req.on('data', (c) => (b += c));
      req.on('end', () => {
        received.push({ type: req.headers['content-type'] ?? '', body: b });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    broker = new GrantBroker();
    s = await startHttpStack(
      {
        targets: [
          {
            name: 'pay',
            protocol: 'http',
            listen: '127.0.0.1:1',
            upstream: { url: `http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}` },
          },
        ],
        approval: { mode: 'Reject', approvers: { users: ['alice'] } } as never,
        rules: [
          { name: 'payouts', when: { http: { methods: ['POST'], paths: ['/payouts'] } }, action: 'RequireApproval' },
        ],
        defaultAction: 'Deny',
      },
      { proxyOptions: { approvals: broker } },
    );
    token = await s.token('agent-pay');
  });

  after(async () => {
    await s?.stop();
    upstream?.close();
  });

  const post = (body: string, type = 'application/json'): Promise<Response> =>
    fetch(`${s.url('pay')}/payouts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
      body,
    });
  const approveLast = (): void => void broker.approved.add(broker.asks.at(-1)!.command.sha256);

  it('an approval for account 9007199254740992 is not one for 9007199254740993 (a double cannot tell them apart, the API can)', async () => {
    expect((await post('{"account":9007199254740992,"amount":10}')).status).to.equal(403);
    approveLast();
    received.length = 0;
    expect((await post('{ "amount": 10, "account": 9007199254740992 }')).status).to.equal(200);
    expect((await post('{"account":9007199254740993,"amount":10}')).status).to.equal(403);
    expect(received.map((r) => r.body)).to.deep.equal(['{ "amount": 10, "account": 9007199254740992 }']);
  });

  it('an approval for a JSON body is not one for the same bytes sent as a form', async () => {
    const body = '{"account":7,"amount":10,"memo":"&amount=999999"}';
    expect((await post(body)).status).to.equal(403);
    approveLast();
    received.length = 0;
    expect((await post(body)).status).to.equal(200);
    expect((await post(body, 'application/x-www-form-urlencoded')).status).to.equal(403);
    expect(received.map((r) => r.type)).to.deep.equal(['application/json']);
  });
});
