import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

describe('generated CRD models', () => {
  it('operator/generated is exactly what scripts/gen-models.ts makes from crds/ (never edited by hand)', function () {
    this.timeout(120_000);
    const root = new URL('../..', import.meta.url).pathname;
    const out = mkdtempSync(join(tmpdir(), 'agentgate-models-'));
    execFileSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/gen-models.ts')], {
      cwd: root,
      env: { ...process.env, MODELS_OUT: out },
      stdio: 'ignore',
    });
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
    const fresh = files(out)
      .map((f) => relative(out, f))
      .sort();
    const committed = files(join(root, 'operator/generated'))
      .map((f) => relative(join(root, 'operator/generated'), f))
      .sort();
    expect(committed).to.deep.equal(fresh);
    for (const f of fresh)
      expect(readFileSync(join(root, 'operator/generated', f), 'utf8'), f).to.equal(readFileSync(join(out, f), 'utf8'));
  });
});
