/**
 * Hostile review of the merged gate (issue #12): an HTTP request held for an approval (mode Hold) whose
 * agent disconnects before the decision. The HTTP adapter tells the gate `closed: () => false`
 * (direct-gate.ts), so the flow never learns the agent left: on approval a one-shot grant is claimed and
 * marked Used, `approval.grant-used` ("executed under ApprovalRequest …") and an enforced:false decision
 * are recorded, for a request that is never forwarded; the agent's retry then finds the grant spent.
 * SQL (PgSession.closed) and the flow's own agent-gone branch (gate-port.ts oneVerdict) handle this.
 */
import { expect } from 'chai';
import {
  approvalSha,
  payTarget,
  postRefund,
  startRecordingUpstream,
  type RecordingUpstream,
} from '../support/http-approval-fixtures.js';
import { eventually } from '../support/eventually.js';
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
  let upstream: RecordingUpstream;
  const received: string[] = [];

  before(async () => (upstream = await startRecordingUpstream(received)));
  after(() => upstream.close());

  it('does not spend the one-shot grant nor record an execution under it', async () => {
    const broker = new CountingBroker();
    const s = await startHttpStack(
      {
        targets: [payTarget(upstream.url)],
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
      const pending = postRefund(s, token, body, ac.signal).catch((e: Error) => e);
      const sha = approvalSha('POST', '/refunds', body);
      while (broker.asks.length === 0) await new Promise((r) => setTimeout(r, 20));
      ac.abort(); // the agent goes away while the request is held
      await pending;
      const actions = () => s.records().map((r) => r.event.action);
      await eventually('the proxy to see the agent gone', () => actions().includes('connection.close'));
      await broker.settle(`apr-${sha.slice(0, 8)}`, 'Approved');
      await eventually('the decision on record', () => actions().includes('approval.decided'));
      expect(received, 'nothing forwarded').to.deep.equal([]);
      expect(broker.used, 'the one-shot grant is left for the agent to retry').to.deep.equal([]);
      expect(actions(), 'no execution is claimed under the grant').not.to.include('approval.grant-used');
    } finally {
      await s.stop();
    }
  });
});
