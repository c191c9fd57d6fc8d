/**
 * RequireApproval on HTTP targets: the same ApprovalRequest flow as SQL (an in-memory broker stands in
 * for the operator), bound to the sha256 of method, path and canonical body. Hold keeps the request
 * open until decided; Reject refuses it naming the ApprovalRequest, and the same request sent again
 * after approval runs; a different body is a different request.
 */
import { expect } from 'chai';
import {
  approvalSha as sha,
  payTarget,
  postRefund as post,
  startRecordingUpstream,
  type RecordingUpstream,
} from '../support/http-approval-fixtures.js';
import { startHttpStack, type HttpStack } from '../support/http-stack.js';
import { MemoryBroker } from '../support/memory-broker.js';

describe('HTTP targets: RequireApproval', function () {
  this.timeout(30_000);
  let upstream: RecordingUpstream;
  const received: string[] = [];
  const start = async (mode: 'Hold' | 'Reject'): Promise<{ s: HttpStack; broker: MemoryBroker; token: string }> => {
    const broker = new MemoryBroker();
    const s = await startHttpStack(
      {
        targets: [payTarget(upstream.url)],
        masking: { detectors: ['email'], defaultStrategy: 'redact' },
        approval: { mode, approvers: { users: ['alice'] } } as never,
        rules: [
          {
            name: 'big-refunds',
            when: { http: { methods: ['POST'], paths: ['/refunds'], cel: 'request.body.amount > 100' } },
            action: 'RequireApproval',
          },
        ],
        defaultAction: 'Allow',
      },
      { proxyOptions: { approvals: broker } },
    );
    return { s, broker, token: await s.token('agent-pay') };
  };
  before(async () => (upstream = await startRecordingUpstream(received)));
  after(() => upstream.close());

  it('Hold: the request waits for the decision, bound to method + path + canonical body; approvers see the body masked', async () => {
    const { s, broker, token } = await start('Hold');
    try {
      received.length = 0;
      const body = '{"amount":500,"note":"refund to carol@example.com"}';
      const pending = post(s, token, body);
      const name = `apr-${sha('POST', '/refunds', body).slice(0, 8)}`;
      await broker.settle(name, 'Approved');
      const r = await pending;
      expect(r.status).to.equal(200);
      expect(received).to.deep.equal([body]);
      const ask = broker.asks[0]!;
      expect(ask.command.sha256).to.equal(
        sha('POST', '/refunds', '{ "note": "refund to carol@example.com", "amount": 500 }'),
      );
      expect(ask.command.text).to.contain('POST /refunds');
      expect(ask.command.text).to.contain('[redacted:email]');
      expect(ask.command.text).not.to.contain('carol@example.com');
      expect(ask.rule).to.equal('big-refunds');
      const recs = s.records().map((x) => x.event.action);
      expect(recs).to.include.members(['approval.requested', 'approval.decided', 'approval.grant-used']);
      const denied = post(s, token, '{"amount":600}');
      await broker.settle(`apr-${sha('POST', '/refunds', '{"amount":600}').slice(0, 8)}`, 'Denied');
      const d = await denied;
      expect(d.status).to.equal(403);
      const p = (await d.json()) as { rule: string; approvalRequest: string; detail: string };
      expect(p.rule).to.equal('big-refunds');
      expect(p.approvalRequest).to.match(/^agents\/apr-/);
      expect(p.detail).to.match(/was denied/);
      expect(received).to.have.length(1);
      expect(JSON.stringify(s.records())).not.to.contain('carol@example.com');
    } finally {
      await s.stop();
    }
  });

  it('Reject: refused at once naming the request; after approval the same request runs, another body does not', async () => {
    const { s, broker, token } = await start('Reject');
    try {
      received.length = 0;
      const first = await post(s, token, '{"amount":700,"id":"r-1"}');
      expect(first.status).to.equal(403);
      const p = (await first.json()) as { approvalRequest: string; detail: string };
      expect(p.approvalRequest).to.equal(
        `agents/apr-${sha('POST', '/refunds', '{"amount":700,"id":"r-1"}').slice(0, 8)}`,
      );
      expect(p.detail).to.match(/pending; send the same request again/);
      expect(received).to.deep.equal([]);
      broker.approved.add(broker.asks[0]!.command.sha256);
      const again = await post(s, token, '{"id":"r-1","amount":700}');
      expect(again.status).to.equal(200);
      const other = await post(s, token, '{"amount":7000,"id":"r-1"}');
      expect(other.status).to.equal(403);
      expect(received).to.deep.equal(['{"id":"r-1","amount":700}']);
      const small = await post(s, token, '{"amount":5}');
      expect(small.status).to.equal(200);
    } finally {
      await s.stop();
    }
  });
});
