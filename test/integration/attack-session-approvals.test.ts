/**
 * An approval covers what the server runs: a grant for the text `EXECUTE p` must not release whatever
 * statement `p` names later (here one the agent prepared through the protocol, where an approvable
 * statement is forwarded at Parse and decided at Execute).
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import type { ApprovalBroker } from '../../proxy/approvals/broker.js';
import { fe, RawClient } from '../support/raw-client.js';

const sha = (t: string): string => createHash('sha256').update(t).digest('hex');
const approvedEarlier = [sha('EXECUTE p'), sha('EXECUTE p2')]; // reusable grants (ttl > 0) from earlier approvals of these texts
const requested: string[] = [];

const grantsByHash: ApprovalBroker = {
  findGrant: (g) =>
    approvedEarlier.includes(g.sha256)
      ? ({ metadata: { name: 'apr-earlier', namespace: 'agents' } } as ReturnType<ApprovalBroker['findGrant']>)
      : undefined,
  request: async (r) => {
    requested.push(r.command.text);
    return { namespace: 'agents', name: 'req-1' };
  },
  waitFor: async () => ({ phase: 'Timeout' }),
  markUsed: async () => undefined,
  claim: () => true,
};

describe('attack: approvals bound to what a prepared statement runs', function () {
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({
      proxyOptions: { approvals: grantsByHash },
      editPolicy: (p) => {
        p.spec.rules![1]!.action = 'RequireApproval'; // no-unbounded-writes
        p.spec.approval = {
          mode: 'Reject',
          timeoutSeconds: 60,
          requiredApprovals: 1,
          retentionSeconds: 3600,
          approvers: { users: ['alice'] },
          grant: { ttlSeconds: 3600 },
        } as typeof p.spec.approval;
      },
    });
  });
  after(async () => s?.stop());

  it('a grant for "EXECUTE p" does not run an unbounded DELETE prepared under p afterwards', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(fe.parse({ name: 'p', text: 'DELETE FROM orders' }), fe.sync());
    await raw.until('Z');
    raw.send(fe.query('EXECUTE p'));
    const out = await raw.until('Z');
    raw.end();
    const d = await s.direct();
    const n = (await d.query('SELECT count(*)::int n FROM orders')).rows[0].n;
    await d.end();
    expect(n).to.be.greaterThan(0);
    expect(out.find((m) => m.type === 'E')?.error?.code).to.equal('42501');
    expect(requested.at(-1)).to.contain('DELETE FROM orders');
  });

  it('nor does it when EXECUTE itself is sent through the protocol', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(
      fe.parse({ name: 'p2', text: 'DELETE FROM orders' }),
      fe.parse({ name: 'e', text: 'EXECUTE p2' }),
      fe.sync(),
    );
    await raw.until('Z');
    raw.send(fe.bind({ statement: 'e' }), fe.execute({}), fe.sync());
    const out = await raw.until('Z');
    raw.end();
    const d = await s.direct();
    const n = (await d.query('SELECT count(*)::int n FROM orders')).rows[0].n;
    await d.end();
    expect(n).to.be.greaterThan(0);
    expect(out.find((m) => m.type === 'E')?.error?.code).to.equal('42501');
    expect(requested.at(-1)).to.contain('DELETE FROM orders');
  });
});
