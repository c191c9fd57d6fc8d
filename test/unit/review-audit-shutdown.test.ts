/**
 * After a proxy's shutdown (proxy.stop, then the checkpoint of its final head) only a proxy.start may
 * follow: records appended after it were written by something other than the proxy, however well they
 * are hash-linked and however close their timestamps. A restart that continues the chain verifies.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAll, verified, type FullVerification } from '../../cli/commands/audit.js';
import { AuditLog } from '../../proxy/audit/audit-log.js';
import { Checkpointer, type CheckpointWitness } from '../../proxy/audit/checkpoints.js';
import { FileWitness } from '../../proxy/audit/witnesses.js';

const STREAM = 'local/billing-agent';

describe('audit verify: nothing but a restart after the shutdown checkpoint', function () {
  this.timeout(30_000);
  let dir: string;
  let witnessFile: string;
  let t: number;
  let witnessDown: boolean;
  const now = (): Date => new Date(t);
  const witness = (): CheckpointWitness => {
    const w = new FileWitness({ file: witnessFile, keyDir: join(dir, 'witness'), now });
    return { name: w.name, witness: (h) => (witnessDown ? Promise.reject(new Error('unreachable')) : w.witness(h)) };
  };
  /** One proxy run: start, checkpoint, a decision, stop (with records of closing sessions in between), final checkpoint. */
  const proxyRun = async (file: string, lateRecords = 0): Promise<void> => {
    const audit = new AuditLog({ file, now });
    const cp = new Checkpointer({ audit, witness: witness(), stream: STREAM, everyMs: 60_000 });
    audit.append({ event: { action: 'proxy.start' }, detail: { stream: STREAM } });
    cp.start();
    await cp.checkpoint();
    t += 1000;
    audit.append({
      event: { action: 'statement.decision' },
      db: { query: { text: 'SELECT 1' } },
      decision: 'Allow',
      rule: { name: 'r' },
    });
    audit.append({ event: { action: 'proxy.stop' } });
    for (let i = 0; i < lateRecords; i++) audit.append({ event: { action: 'connection.close' } });
    await cp.stop();
    audit.close();
  };
  const forge = (file: string, action: 'statement.decision' | 'proxy.stop' = 'statement.decision'): void => {
    const audit = new AuditLog({ file, now });
    audit.append({
      event: { action },
      db: { query: { text: 'SELECT 2 /* forged */' } },
      decision: 'Allow',
      rule: { name: 'r' },
    });
    audit.close();
  };
  const verify = (file: string): Promise<FullVerification> =>
    verifyAll([file], { witnessFile, cluster: false, operatorNamespace: 'agentgate-system' });
  const problems = (v: FullVerification): string =>
    v.chains.flatMap((c) => [...(c.broken ? [c.broken.reason] : []), ...(c.checkpoints?.problems ?? [])]).join('\n');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agentgate-shutdown-'));
    witnessFile = join(dir, 'witness', 'checkpoints.jsonl');
    t = Date.parse('2026-11-30T06:00:00.000Z');
    witnessDown = false;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a clean run, with session records between proxy.stop and the final checkpoint, verifies', async () => {
    const file = join(dir, 'audit.log');
    await proxyRun(file, 2);
    const v = await verify(file);
    expect(problems(v)).to.equal('');
    expect(verified(v)).to.equal(true);
  });

  it('a record appended after the final checkpoint fails, in the same second', async () => {
    const file = join(dir, 'audit.log');
    await proxyRun(file);
    forge(file);
    const v = await verify(file);
    expect(verified(v)).to.equal(false);
    expect(problems(v)).to.match(
      /seq 6 \(.*line 6\) \(statement\.decision\) follows the proxy's shutdown \(proxy\.stop seq 4 .*final checkpoint seq 5 .*without a proxy\.start/,
    );
  });

  it('a forged second proxy.stop after the final checkpoint fails too', async () => {
    const file = join(dir, 'audit.log');
    await proxyRun(file);
    forge(file, 'proxy.stop');
    expect(problems(await verify(file))).to.contain("(proxy.stop) follows the proxy's shutdown");
  });

  it('a record after a failed final checkpoint (witness unreachable at shutdown) fails', async () => {
    const file = join(dir, 'audit.log');
    const audit = new AuditLog({ file, now });
    const cp = new Checkpointer({ audit, witness: witness(), stream: STREAM, everyMs: 60_000 });
    audit.append({ event: { action: 'proxy.start' }, detail: { stream: STREAM } });
    cp.start();
    await cp.checkpoint();
    audit.append({ event: { action: 'proxy.stop' } });
    witnessDown = true;
    await cp.stop();
    audit.close();
    forge(file);
    expect(problems(await verify(file))).to.match(
      /\(statement\.decision\) follows the proxy's shutdown \(proxy\.stop seq 3 .*final checkpoint seq 4/,
    );
  });

  it('a restart that continues the chain verifies', async () => {
    const file = join(dir, 'audit.log');
    await proxyRun(file);
    t += 60_000;
    await proxyRun(file);
    const v = await verify(file);
    expect(problems(v)).to.equal('');
    expect(verified(v)).to.equal(true);
  });
});
