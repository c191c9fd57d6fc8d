/**
 * Red-team reproduction (review10), class 10 (audit verification): records appended AFTER the proxy's own
 * `proxy.stop` and its shutdown checkpoint (correctly hash-chained, timestamped at the shutdown) pass
 * `agentgate audit verify --witness` with exit 0. A running proxy can never write after proxy.stop
 * (a restart writes proxy.start first), so such a tail is forged by construction. Threat: a compromised
 * pod / anyone with write access to the audit file fabricating evidence after the fact.
 * The test asserts the secure behaviour (verify fails), so it FAILS on the reviewed code.
 * Run: npx mocha test/integration/review-audit-forged-tail.test.ts
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startLocalStack } from '../../proxy/local/stack.js';

const run = promisify(execFile);

describe('review10: forged records after proxy.stop pass audit verify --witness', function () {
  it('verify exits non-zero on a tail appended after the shutdown checkpoint', async () => {
    const s = await startLocalStack({ witness: true });
    const c = await s.connect();
    await c.query('SELECT 1');
    await c.end();
    await s.stop();
    const lines = readFileSync(s.auditFile, 'utf8').trimEnd().split('\n');
    const last = JSON.parse(lines.at(-1)!);
    let prev: string = last.hash;
    let seq: number = last.seq;
    for (const text of ['SELECT 1 /* forged */', 'SELECT 2 /* forged */']) {
      const body = JSON.stringify({
        schema: 'agentgate.audit/v2',
        seq: ++seq,
        '@timestamp': last['@timestamp'],
        event: { action: 'statement.decision', outcome: 'success' },
        db: { query: { text } },
        message: 'forged',
        prevHash: prev,
      });
      prev = createHash('sha256').update(body).digest('hex');
      lines.push(`${body.slice(0, -1)},"hash":"${prev}"}`);
    }
    writeFileSync(s.auditFile, `${lines.join('\n')}\n`);
    const r = await run(
      'npm',
      [
        'run',
        '-s',
        'agentgate',
        '--',
        'audit',
        'verify',
        s.auditFile,
        '--witness',
        join(s.dir, 'witness', 'checkpoints.jsonl'),
      ],
      { cwd: new URL('../..', import.meta.url).pathname },
    ).then(
      (x) => ({ code: 0, out: x.stdout + x.stderr }),
      (e) => ({ code: e.code as number, out: `${e.stdout}${e.stderr}` }),
    );
    console.log(r.out.replace(/^/gm, '      '));
    expect(r.code).to.not.equal(0); // FAILS: exit 0
  });
});
