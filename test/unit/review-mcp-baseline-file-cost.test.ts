/**
 * Hostile review of MCP gating (#13): the local baseline file (FileBaselines) is read again, whole,
 * whenever it grew, and each new tool name appends a line, so listing N new names costs O(N²): a server
 * that lists thousands of fresh tool names on each tools/list (the agent asks again and again) keeps the
 * sidecar parsing its growing file on the event loop, every target and session waiting behind it.
 * A cost test: 8N names must cost about 8 times N, not 64 times.
 */
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileBaselines } from '../../proxy/mcp/tool-baselines.js';

const SHA = 'c'.repeat(64);

function cost(n: number): number {
  const store = new FileBaselines(join(mkdtempSync(join(tmpdir(), 'agentgate-review-mcp-')), 'baselines.jsonl'));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) store.claim('grower', `tool-${i}`, SHA);
  return Number(process.hrtime.bigint() - t0);
}

describe('review-mcp: the baseline file and many new tool names', function () {
  this.timeout(60_000);

  it('claiming 8N new names costs about 8 times claiming N (not 64)', () => {
    cost(200); // warm-up
    // The least of three runs: a run the machine's load slowed down is not the cost.
    const least = (k: number): number => Math.min(cost(k), cost(k), cost(k));
    const n = least(300);
    const n8 = least(2400);
    expect(n8 / n, `ratio ${(n8 / n).toFixed(1)}`).to.be.lessThan(24);
  });
});
