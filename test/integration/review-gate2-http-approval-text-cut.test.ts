/**
 * Hostile review round 2 (issue #12): what an approver reads of an HTTP request held for approval. The
 * approval text says when it is cut and where (approval-text.ts, 64 KiB), but the HTTP server hands it
 * a body already cut at 16384 characters with no mark (server.ts maskedBodyOf). A request whose body
 * is padded past 16 KiB shows the approver a complete-looking call; what follows the padding (here the
 * account a refund goes to) is approved unseen, while the grant's sha256 covers the whole body.
 */
import { expect } from 'chai';
import http from 'node:http';
import type net from 'node:net';
import { startHttpStack } from '../support/http-stack.js';
import { MemoryBroker } from '../support/memory-broker.js';

describe('review-gate2: the approver text of an HTTP body past 16 KiB', function () {
  this.timeout(30_000);
  let upstream: http.Server;

  before(async () => {
    upstream = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  });
  after(() => upstream.close());

  it('shows the whole body or says that and where it is cut', async () => {
    const broker = new MemoryBroker();
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
        approval: { mode: 'Reject', approvers: { users: ['alice'] } } as never,
        rules: [
          { name: 'refunds', when: { http: { methods: ['POST'], paths: ['/refunds'] } }, action: 'RequireApproval' },
        ],
        defaultAction: 'Allow',
      },
      { proxyOptions: { approvals: broker } },
    );
    try {
      const body = JSON.stringify({
        note: 'customer complaint, see ticket. '.repeat(600),
        refund_to: 'ACCT-ATTACKER-77',
      });
      expect(body.length).to.be.greaterThan(16384).and.lessThan(65536);
      const r = await fetch(`${s.url('pay')}/refunds`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await s.token('agent-pay')}`, 'content-type': 'application/json' },
        body,
      });
      await r.arrayBuffer();
      expect(broker.asks).to.have.length(1);
      const text = broker.asks[0]!.command.text;
      const complete = text.includes('ACCT-ATTACKER-77') && text.includes('"refund_to"');
      const marked = text.includes('NOT SHOWN IN FULL');
      expect(complete || marked, `approver text (${text.length} chars) ends: …${text.slice(-80)}`).to.equal(true);
    } finally {
      await s.stop();
    }
  });
});
