/**
 * Signed checkpoints: a real audit file, a real witness (ES256 key + witness file), and the verifier.
 * The hash chain alone cannot see a cut-off tail; the witness's copy can.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';
import { AuditLog } from '../../proxy/audit/audit-log.js';
import { verifyCheckpoints } from '../../proxy/audit/checkpoint-verify.js';
import { Checkpointer, type CheckpointWitness } from '../../proxy/audit/checkpoints.js';
import { readRecords } from '../../proxy/audit/sessions.js';
import { verifyAuditFile } from '../../proxy/audit/verify.js';
import { FileWitness, readWitnessFile, WITNESS_JWKS_FILE } from '../../proxy/audit/witnesses.js';

describe('signed audit checkpoints', () => {
  let dir: string;
  let file: string;
  let witnessFile: string;
  let jwks: () => jose.JSONWebKeySet;

  /** 3 decisions, checkpoint, 2 decisions, checkpoint: the witness holds the last head. */
  const writeLog = async (stream = 'agents/agent-pod'): Promise<void> => {
    const audit = new AuditLog({ file });
    const cp = new Checkpointer({
      audit,
      witness: new FileWitness({ file: witnessFile, keyDir: join(dir, 'witness') }),
      stream,
    });
    audit.append({ event: { action: 'proxy.start' }, detail: { stream } });
    for (let i = 0; i < 3; i++)
      audit.append({
        event: { action: 'statement.decision' },
        db: { query: { text: `SELECT ${i}` } },
        decision: 'Allow',
        rule: { name: 'r' },
      });
    await cp.checkpoint();
    await cp.checkpoint(); // nothing new since: no second record
    for (let i = 0; i < 2; i++)
      audit.append({
        event: { action: 'statement.decision' },
        db: { query: { text: `DELETE ${i}` } },
        decision: 'Deny',
        enforced: true,
        rule: { name: 'r' },
      });
    audit.append({ event: { action: 'proxy.stop' } });
    await cp.stop();
    audit.close();
  };
  const check = () => verifyCheckpoints(readRecords([file]), { jwks: jwks(), witnessed: readWitnessFile(witnessFile) });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agentgate-cp-'));
    file = join(dir, 'audit.log');
    witnessFile = join(dir, 'witness', 'checkpoints.jsonl');
    jwks = () => JSON.parse(readFileSync(join(dir, 'witness', WITNESS_JWKS_FILE), 'utf8')) as jose.JSONWebKeySet;
  });

  it('writes signed checkpoints into the chain and verifies them against the witness', async () => {
    await writeLog();
    const records = readRecords([file]);
    const cps = records.filter((r) => r.event.action === 'audit.checkpoint');
    expect(cps.map((r) => (r.detail as { checkpoint: { seq: number } }).checkpoint.seq)).to.deep.equal([4, 8]);
    expect(readWitnessFile(witnessFile).map((w) => w.seq)).to.deep.equal([4, 8]);
    const r = await check();
    expect(r.problems).to.deep.equal([]);
    expect(r).to.deep.include({ ok: true, stream: 'agents/agent-pod', checkpoints: 2, unwitnessedTail: 1 });
    expect(r.witnessed!.seq).to.equal(8);
  });

  it('detects a truncated tail that the hash chain alone accepts', async () => {
    await writeLog();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    writeFileSync(file, `${lines.slice(0, 6).join('\n')}\n`); // cut after the 2nd denial's predecessor
    expect(verifyAuditFile(file).ok).to.equal(true);
    const r = await check();
    expect(r.ok).to.equal(false);
    expect(r.problems.join('\n')).to.match(
      /truncated: the witness signed seq 8 of stream agents\/agent-pod .* but the log ends at seq 6/,
    );
  });

  it('detects a rewritten chain (recomputed hashes) that the hash chain alone accepts', async () => {
    await writeLog();
    // An attacker with write access rewrites the log from scratch without the denials, chain intact.
    const forged = join(dir, 'forged.log');
    const audit = new AuditLog({ file: forged });
    audit.append({ event: { action: 'proxy.start' }, detail: { stream: 'agents/agent-pod' } });
    for (let i = 0; i < 8; i++)
      audit.append({
        event: { action: 'statement.decision' },
        db: { query: { text: `SELECT ${i}` } },
        decision: 'Allow',
        rule: { name: 'r' },
      });
    audit.close();
    expect(verifyAuditFile(forged).ok).to.equal(true);
    const r = await verifyCheckpoints(readRecords([forged]), {
      jwks: jwks(),
      witnessed: readWitnessFile(witnessFile),
      stream: 'agents/agent-pod',
    });
    expect(r.ok).to.equal(false);
    expect(r.problems.join('\n')).to.contain('is not the one that was signed');
  });

  it('refuses a checkpoint signed by another key, or edited', async () => {
    await writeLog();
    const other = mkdtempSync(join(tmpdir(), 'agentgate-cp-other-'));
    await new FileWitness({ file: join(other, 'w.jsonl'), keyDir: other }).witness({
      stream: 'x',
      seq: 1,
      hash: '0'.repeat(64),
      time: new Date().toISOString(),
    });
    const foreignKeys = JSON.parse(readFileSync(join(other, WITNESS_JWKS_FILE), 'utf8')) as jose.JSONWebKeySet;
    const r = await verifyCheckpoints(readRecords([file]), { jwks: foreignKeys });
    expect(r.ok).to.equal(false);
    expect(r.problems[0]).to.match(/checkpoint record seq 5: signature does not verify/);

    const witnessed = readWitnessFile(witnessFile);
    witnessed[1]!.seq = 7; // a witness copy edited to hide the tail
    const r2 = await verifyCheckpoints(readRecords([file]), { jwks: jwks(), witnessed });
    expect(r2.ok).to.equal(false);
    expect(r2.problems[0]).to.contain('witnessed checkpoint seq 7: its fields differ from what was signed (seq 8)');
  });

  it("names the stream: a log offered as another pod's fails", async () => {
    await writeLog('agents/pod-a');
    const r = await verifyCheckpoints(readRecords([file]), {
      jwks: jwks(),
      witnessed: readWitnessFile(witnessFile),
      stream: 'agents/pod-b',
    });
    expect(r.ok).to.equal(false);
    expect(r.problems[0]).to.contain('not agents/pod-b');
  });

  it('records a witness outage in the chain and retries at the next tick', async () => {
    const audit = new AuditLog({ file });
    let down = true;
    const real = new FileWitness({ file: witnessFile, keyDir: join(dir, 'witness') });
    const flaky: CheckpointWitness = {
      name: 'flaky',
      witness: (h) => (down ? Promise.reject(new Error('connection refused')) : real.witness(h)),
    };
    const told: string[] = [];
    const cp = new Checkpointer({ audit, witness: flaky, stream: 's', onFailure: (m) => told.push(m) });
    audit.append({ event: { action: 'proxy.start' }, detail: { stream: 's' } });
    await cp.checkpoint();
    down = false;
    await cp.checkpoint();
    audit.close();
    const events = readRecords([file]).map((r) => r.event.action);
    expect(events).to.deep.equal(['proxy.start', 'audit.checkpoint-failed', 'audit.checkpoint']);
    expect(cp.failures).to.equal(1);
    expect(told).to.deep.equal(['the audit chain head (seq 1) could not be witnessed by flaky: connection refused']);
    expect((await check()).ok).to.equal(true);
  });
});
