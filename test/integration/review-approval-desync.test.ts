/**
 * Red-team reproduction (review10): DDL under a RequireApproval rule runs WITHOUT approval.
 * A RequireApproval statement is forwarded at Parse (the approval is asked for at Execute), so the server
 * holds the prepared statement. A second Parse under the same name with harmless text is refused by the
 * server (42P05, it keeps the DROP) but the proxy records the new text; Bind + Execute is then decided as
 * `SELECT 1` and the server runs `DROP TABLE orders`. The approval system here is a stand-in broker that
 * never grants anything (as a cluster's would, absent a human).
 * The test asserts the secure behaviour, so it FAILS on the reviewed code.
 * Run: npx mocha test/integration/review-approval-desync.test.ts
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import type { ApprovalBroker } from '../../proxy/approvals/broker.js';
import { fe, RawClient, type RawMessage } from '../support/raw-client.js';

const show = (ms: RawMessage[]): string =>
  ms
    .map(
      (m) =>
        m.type +
        (m.error
          ? `(${m.error.code} ${m.error.message})`
          : m.type === 'C'
            ? `(${m.body.toString().replace(/\0/g, '')})`
            : ''),
    )
    .join(' ');

const neverApproves: ApprovalBroker = {
  findGrant: () => undefined,
  request: async () => ({ namespace: 'agents', name: 'req-1' }),
  waitFor: async () => ({ phase: 'Timeout' }),
  markUsed: async () => undefined,
  claim: () => true,
};

describe('review10: RequireApproval DDL runs without approval (prepared-statement desync)', function () {
  let s: LocalStack;
  before(async () => {
    s = await startLocalStack({
      proxyOptions: { approvals: neverApproves },
      editPolicy: (p) => {
        p.spec.rules![0]!.action = 'RequireApproval'; // no-ddl: DDL needs a human's approval
        p.spec.approval = {
          mode: 'Reject',
          timeoutSeconds: 60,
          requiredApprovals: 1,
          retentionSeconds: 3600,
          approvers: { users: ['alice'] },
        };
      },
    });
  });
  after(async () => s?.stop());

  it('sanity: DROP TABLE is held for approval', async () => {
    const c = await s.connect();
    const e = await c.query('DROP TABLE orders').catch((x) => x);
    await c.end();
    console.log('      simple DROP:', e.code, e.message);
    expect(e.code).to.not.equal(undefined);
  });

  it('Parse(DROP) ; Parse(same name, SELECT 1) ; Bind ; Execute drops the table', async () => {
    const raw = await RawClient.connect(s.host, s.port, await s.token());
    raw.send(fe.parse({ name: 'x', text: 'DROP TABLE orders' }), fe.sync());
    console.log('      parse DROP  :', show(await raw.until('Z')));
    raw.send(fe.parse({ name: 'x', text: 'SELECT 1' }), fe.sync());
    console.log('      parse again :', show(await raw.until('Z')));
    raw.send(fe.bind({ statement: 'x' }), fe.execute({}), fe.sync());
    console.log('      execute     :', show(await raw.until('Z')));
    raw.end();
    // What the audit trail says ran: the execution is recorded as the harmless text.
    for (const line of readFileSync(s.auditFile, 'utf8').trim().split('\n').slice(-6)) {
      const rec = JSON.parse(line);
      console.log(
        '      audit:',
        rec.event?.action,
        rec.event?.outcome ?? '',
        JSON.stringify(rec.db?.query?.text ?? rec['db.query.text'] ?? rec.message ?? ''),
      );
    }
    const d = await s.direct();
    const r = await d.query("SELECT to_regclass('public.orders') AS t");
    await d.end();
    expect(r.rows[0].t).to.equal('orders'); // FAILS: the table is gone
  });
});
