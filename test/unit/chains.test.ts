/** Chains rebuilt from mixed input: interleaved proxies, shuffled rotated files, duplicates, gaps, forks. */
import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../proxy/audit/audit-log.js';
import { splitChains, verifyChain } from '../../proxy/audit/chains.js';

describe('audit chains from mixed input', () => {
  const write = async (stream: string, n: number, maxBytes = 0): Promise<{ dir: string; file: string }> => {
    const dir = mkdtempSync(join(tmpdir(), 'agentgate-chains-'));
    const file = join(dir, 'audit.log');
    const log = new AuditLog({ file, maxBytes });
    log.append({ event: { action: 'proxy.start' }, detail: { stream } });
    for (let i = 0; i < n; i++)
      log.append({
        event: { action: 'statement.decision', outcome: 'success' },
        db: { query: { text: `SELECT ${i}` } },
        decision: 'Allow',
        rule: { name: 'r' },
      });
    log.close();
    return { dir, file };
  };
  const linesOf = (f: string): string[] => readFileSync(f, 'utf8').trim().split('\n');

  it("separates two proxies' records interleaved by a log pipeline, with other log lines and duplicates", async () => {
    const a = linesOf((await write('agents/pod-a', 5)).file);
    const b = linesOf((await write('agents/pod-b', 3)).file);
    const mixed: string[] = [];
    for (let i = 0; i < 6; i++)
      mixed.push(
        ...(a[i] ? [a[i]!] : []),
        ...(b[i] ? [b[i]!] : []),
        '{"level":"info","message":"not an audit record"}',
      );
    mixed.push(a[2]!, b[1]!); // delivered twice
    const split = splitChains([{ file: 'export.jsonl', text: mixed.join('\n') }]);
    expect(split.problems).to.deep.equal([]);
    expect(split.duplicates).to.equal(2);
    expect(split.ignored).to.equal(6);
    expect(split.chains.map((c) => [c.stream, c.records.length])).to.have.deep.members([
      ['agents/pod-a', 6],
      ['agents/pod-b', 4],
    ]);
    for (const c of split.chains) expect(verifyChain(c)).to.include({ ok: true });
  });

  it('rotated files in any order make one intact chain; a missing middle file is a gap', async () => {
    const { dir, file } = await write('s', 14, 600);
    const rotated = readdirSync(dir)
      .filter((n) => n.startsWith('audit.log.'))
      .sort()
      .map((n) => join(dir, n));
    const all = [...rotated, file];
    expect(all.length).to.be.greaterThan(2);
    const shuffled = [...all].reverse().map((f) => ({ file: f, text: readFileSync(f, 'utf8') }));
    const one = splitChains(shuffled);
    expect(one.chains).to.have.length(1);
    expect(verifyChain(one.chains[0]!)).to.include({ ok: true, records: 15 });
    const gap = splitChains(shuffled.filter((x) => x.file !== all[1]));
    expect(gap.chains).to.have.length(2);
    const later = gap.chains.map((c) => verifyChain(c)).find((r) => !r.ok)!;
    expect(later.broken!.reason).to.match(/starts at seq \d+, after a record that is not in the input/);
    expect(later.broken!.file).to.equal(all[2]);
  });

  it('a removed record splits the chain; an edited one fails its hash; a fork and a torn line are reported', async () => {
    const lines = linesOf((await write('s', 4)).file);
    const removed = splitChains([{ file: 'f', text: [lines[0], lines[1], lines[3], lines[4]].join('\n') }]);
    expect(removed.chains.map((c) => verifyChain(c).ok)).to.deep.equal([true, false]);
    const edited = splitChains([
      { file: 'f', text: [lines[0], lines[1]!.replace('SELECT 0', 'SELECT 9'), ...lines.slice(2)].join('\n') },
    ]);
    expect(verifyChain(edited.chains[0]!).broken).to.deep.include({ line: 2 });
    const forged = JSON.parse(lines[2]!);
    forged.hash = 'f'.repeat(64);
    const fork = splitChains([{ file: 'f', text: [...lines, JSON.stringify(forged)].join('\n') }]);
    expect(fork.problems.join('\n')).to.contain('fork after seq 2');
    const torn = splitChains([{ file: 'f', text: [...lines, lines[4]!.slice(0, 40)].join('\n') }]);
    expect(torn.problems[0]).to.contain('f line 6: an audit record that is not valid JSON');
  });
});
