/**
 * Issue #12 remainders for MCP, through the one gate with a real audit log and real metrics: calls are
 * counted on their own metric whose tool label is bounded (tool names come from the agent and the
 * server: a hostile one must not explode the series), and the evidence report shows an MCP call as its
 * tool and the hash of its arguments.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { buildEvidence } from '../../proxy/audit/evidence.js';
import { parseRecord } from '../../proxy/audit/record.js';
import { callFacts } from '../../proxy/mcp/mcp-facts.js';
import { fileAuditLog, mcpTarget as mcp, meteredMcpGate, policyRuntime } from '../support/gate-fixtures.js';

function setup() {
  const rt = policyRuntime({
    targets: [mcp],
    rules: [{ name: 'no-mail', when: { mcp: { tools: ['send_*'] } }, action: 'Deny' }],
  });
  const { audit, file } = fileAuditLog('agentgate-gate-');
  const { gate, metrics, call } = meteredMcpGate(rt, audit);
  const records = () => {
    audit.flush();
    return readFileSync(file, 'utf8').trim().split('\n').map(parseRecord);
  };
  return { gate, metrics, call, records };
}

describe('gate: MCP calls on their own metric and in the evidence report', () => {
  it('counts calls on agentgate_proxy_mcp_calls_total by tool and decision, none as statements', async () => {
    const { gate, metrics, call } = setup();
    gate.toolsListed('files', ['read_file', 'send_mail']);
    expect(await call('read_file', { path: '/data/a' })).to.include({ kind: 'forward' });
    expect(await call('send_mail', { to: 'x' })).to.include({ kind: 'refuse', rule: 'no-mail' });
    const m = await metrics.registry.metrics();
    expect(m).to.contain(
      'agentgate_proxy_mcp_calls_total{target="files",method="tools/call",tool="read_file",decision="Allow",enforced="false"} 1',
    );
    expect(m).to.contain(
      'agentgate_proxy_mcp_calls_total{target="files",method="tools/call",tool="send_mail",decision="Deny",enforced="true"} 1',
    );
    expect(m).not.to.match(/agentgate_proxy_statements_total\{/);
  });

  it('a flood of tool names (hostile agent or server) stays within a bounded label set', async () => {
    const { gate, metrics, call } = setup();
    // A hostile server lists 300 tools (and the agent calls names nobody listed): still at most 50 labels.
    gate.toolsListed(
      'files',
      Array.from({ length: 300 }, (_, i) => `tool_${i}`),
    );
    for (let i = 0; i < 300; i++) await call(`tool_${i}`);
    await call('evil"} 1\nagentgate_forged 1');
    await call('x'.repeat(500));
    const m = await metrics.registry.metrics();
    const series = m.split('\n').filter((l) => l.startsWith('agentgate_proxy_mcp_calls_total{'));
    expect(series.length).to.be.at.most(51);
    expect(m).to.match(/tool="_other",decision="Allow",enforced="false"} 252/);
    expect(m).not.to.contain('agentgate_forged');
  });

  it('the evidence report shows an MCP call as its tool and the hash of its arguments', async () => {
    const { call, records } = setup();
    await call('read_file', { path: '/data/a' });
    await call('send_mail', { to: 'x' });
    const recs = records();
    const ev = buildEvidence({
      records: recs,
      verification: { ok: true, chains: [], problems: [], unseenStreams: [] },
      from: new Date(Date.now() - 60_000),
      to: new Date(Date.now() + 60_000),
      fromSource: 'test',
    } as never);
    const [header, ...rows] = ev.decisionsCsv.trim().split('\n');
    const cols = header!.split(',');
    const cell = (row: string, name: string): string => JSON.parse(`[${row}]`)[cols.indexOf(name)] as string;
    const mail = rows.find((r) => cell(r, 'mcp_tool') === 'send_mail')!;
    expect(mail, 'send_mail row').to.be.a('string');
    const sha = callFacts('files', 'tools/call', { name: 'send_mail', arguments: { to: 'x' } }).sha256;
    expect(cell(mail, 'protocol')).to.equal('mcp');
    expect(cell(mail, 'mcp_method')).to.equal('tools/call');
    expect(cell(mail, 'mcp_arguments_sha256')).to.equal(sha);
    expect(cell(mail, 'http_method')).to.equal('');
    expect(ev.html).to.contain(`tools/call send_mail, arguments sha256 ${sha}`);
  });
});
