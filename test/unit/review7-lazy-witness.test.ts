/**
 * Review 7: perf-lazy-modules.test.ts guards the lazy node:tls / node:https loads of handshake.ts,
 * upstream.ts and key-sets.ts, but not witnesses.ts (a static `import 'node:https'` there survives it):
 * proxy/main.ts reaches witnesses.ts only through checkpointsFor()'s dynamic import, which every proxy with
 * checkpoints configured (a local FileWitness included) runs. This closes that gap.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';

const PROBE = `await import('./proxy/audit/witnesses.ts');
await import('./proxy/modes/services.ts');
for (const m of process.moduleLoadList) if (m.startsWith('NativeModule ')) process.stderr.write('loaded ' + m.slice(13) + '\\n');`;

describe('review7: the audit witnesses load no TLS module until the operator witness is asked', function () {
  this.timeout(60_000);
  it('importing witnesses.ts (and the checkpoint wiring) loads neither https nor tls', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', PROBE], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).to.equal(0);
    const loaded = [...r.stderr.matchAll(/^loaded (\S+)$/gm)].map(([, name]) => name);
    expect(loaded, 'Node lists what it loaded').to.include('fs');
    for (const heavy of ['tls', 'https']) expect(loaded, heavy).to.not.include(heavy);
  });
});
