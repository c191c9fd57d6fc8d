import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../proxy/audit/audit-log.js';
import { listSessions, readRecords, renderSession } from '../../proxy/audit/sessions.js';

describe('session recordings (replayed from the audit chain)', () => {
  it('lists sessions and replays one in order with decisions and result metadata', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'agentgate-sess-')), 'audit.log');
    const log = new AuditLog({ file });
    const s = log.scope({ session: { id: 's1' }, principal: { iss: 'i', sub: 'bot' }, target: 'db' });
    s.append({ event: { action: 'connection.open' } });
    const d1 = s.append({
      event: { action: 'statement.decision' },
      db: { query: { text: 'SELECT email FROM customers' } },
      effects: ['read'],
      decision: 'Allow',
      enforced: false,
      rule: { name: 'defaultAction' },
    });
    s.append({
      event: { action: 'statement.completion', duration: 2000000 },
      decisionSeq: d1.seq,
      db: { operation: { name: 'SELECT' }, response: { returned_rows: 3 } },
      maskedValues: 3,
    });
    s.append({
      event: { action: 'statement.decision' },
      db: { query: { text: 'DROP TABLE customers' } },
      effects: ['ddl'],
      decision: 'Deny',
      enforced: true,
      rule: { name: 'no-ddl' },
    });
    log.append({
      event: { action: 'connection.open' },
      session: { id: 's2' },
      principal: { iss: 'i', sub: 'other' },
      target: 'db',
    });
    log.close();
    const records = readRecords([file]);
    expect(listSessions(records).map((x) => [x.session, x.statements, x.denied])).to.deep.equal([
      ['s1', 2, 1],
      ['s2', 0, 0],
    ]);
    const text = renderSession(records, 's1');
    expect(text).to.contain('agent   bot');
    expect(text).to.match(
      /1\. .* allowed {2}\[read\] {2}SELECT email FROM customers\n {6}→ SELECT 3 rows, 3 masked, 2 ms/,
    );
    expect(text).to.match(/2\. .* DENY by no-ddl {2}\[ddl\] {2}DROP TABLE customers\n {6}→ not executed/);
    expect(() => renderSession(records, 'nope')).to.throw(/no session nope/);
  });
});
