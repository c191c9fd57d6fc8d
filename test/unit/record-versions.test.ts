/** Logs written before schema v2 still verify and read: v1 records are presented with v2 names. */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { splitChains, verifyChain } from '../../proxy/audit/chains.js';
import { GENESIS_HASH, parseRecord } from '../../proxy/audit/record.js';
import { listSessions, renderSession } from '../../proxy/audit/sessions.js';

/** A v1 line exactly as the v1 writer made it: the hash over the line without its hash field. */
function v1Line(fields: Record<string, unknown>, seq: number, prevHash: string): { line: string; hash: string } {
  const body = JSON.stringify({
    schema: 'agentgate.audit/v1',
    seq,
    time: `2026-11-01T10:00:0${seq}.000Z`,
    ...fields,
    prevHash,
  });
  const hash = createHash('sha256').update(body).digest('hex');
  return { line: `${body.slice(0, -1)},"hash":"${hash}"}`, hash };
}

describe('audit schema versions', () => {
  it('a v1 chain verifies and reads with v2 names', () => {
    const a = v1Line(
      {
        event: 'connection.open',
        session: 's1',
        client: '10.0.0.7:51234',
        principal: { iss: 'i', sub: 'agent' },
        target: 'db',
      },
      1,
      GENESIS_HASH,
    );
    const b = v1Line(
      {
        event: 'statement.decision',
        session: 's1',
        statement: 'SELECT 1',
        decision: 'Allow',
        enforced: false,
        rule: 'defaultAction',
        effects: ['read'],
      },
      2,
      a.hash,
    );
    const c = v1Line(
      {
        event: 'statement.completion',
        session: 's1',
        decisionSeq: 2,
        command: 'SELECT',
        rows: 1,
        maskedValues: 0,
        durationMs: 1.5,
      },
      3,
      b.hash,
    );
    const split = splitChains([{ file: 'v1.log', text: [a.line, b.line, c.line].join('\n') }]);
    expect(verifyChain(split.chains[0]!)).to.include({ ok: true, records: 3 });
    const open = parseRecord(a.line);
    expect(open).to.deep.include({
      '@timestamp': '2026-11-01T10:00:01.000Z',
      event: { action: 'connection.open' },
      session: { id: 's1' },
      client: { address: '10.0.0.7', port: 51234 },
    });
    expect(parseRecord(c.line)).to.deep.include({
      event: { action: 'statement.completion', duration: 1_500_000 },
      db: { operation: { name: 'SELECT' }, response: { returned_rows: 1 } },
    });
    const records = split.chains[0]!.records;
    expect(listSessions(records)).to.deep.include({
      session: 's1',
      principal: { iss: 'i', sub: 'agent' },
      target: 'db',
      opened: '2026-11-01T10:00:01.000Z',
      statements: 1,
      denied: 0,
    });
    expect(renderSession(records, 's1')).to.match(
      /allowed\s+\[read\]\s+SELECT 1\n\s+→ SELECT 1 rows, 0 masked, 1.5 ms/,
    );
  });
});
