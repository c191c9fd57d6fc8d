/**
 * The injected sidecar's memory (cluster-sidecar.ts) for two or more builds side by side, alternating,
 * so a change is measured against the build before it in the same invocation. Each build is a git
 * revision compiled as the image compiles it (scripts/image/rootfs.ts), into dist/ab-<rev>.
 *
 *   AB_REVS=de6aa49,HEAD AB_ROUNDS=3 npx tsx test/bench/sidecar-ab.ts
 *
 * Prints, per run: RSS idle over the probed window (mean, highest), settled, with 100 sessions, after
 * they closed and 20 s later, and the anonymous and file RSS at the end of the window.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compileApp, imageRuntimeEnv } from '../../scripts/image/rootfs.js';
import { releaseTestCluster } from '../e2e/cluster.js';
import { clusterSidecarMemory } from './cluster-sidecar.js';
import { statusMiB } from './rss.js';

const repo = resolve(import.meta.dirname, '../..');
const revs = (process.env.AB_REVS ?? 'HEAD~1,HEAD').split(',').filter(Boolean);
const rounds = Number(process.env.AB_ROUNDS ?? 2);
const git = (...args: string[]): string => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();

/** A worktree of the revision, compiled; its packages resolve from this repository's node_modules. */
function build(rev: string): string {
  const sha = git('rev-parse', '--short', rev);
  const src = join(repo, 'dist', `ab-src-${sha}`);
  const app = join(repo, 'dist', `ab-${sha}`);
  rmSync(src, { recursive: true, force: true });
  rmSync(app, { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  execFileSync('sh', ['-c', `git -C "${repo}" archive ${sha} | tar -x -C "${src}"`], { stdio: 'inherit' });
  symlinkSync(join(repo, 'node_modules'), join(src, 'node_modules'));
  compileApp(src, app, (JSON.parse(readFileSync(join(src, 'package.json'), 'utf8')) as { version: string }).version);
  rmSync(src, { recursive: true, force: true });
  return join(app, 'bin/agentgate.js');
}

const env = imageRuntimeEnv();
const entries = revs.map((rev) => ({ rev, entry: build(rev) }));
try {
  for (let r = 1; r <= rounds; r++)
    for (const { rev, entry } of entries) {
      let end = '';
      const m = await clusterSidecarMemory({
        entry,
        env,
        sessions: 100,
        atIdle: async (pid) => {
          end = `anonymous ${statusMiB(pid, 'RssAnon').toFixed(1)}, file ${statusMiB(pid, 'RssFile').toFixed(1)}`;
        },
      });
      console.log(
        `${rev} round ${r}: idle mean ${m.idleWindow.meanMiB.toFixed(1)}, highest ${m.idleWindow.maxMiB.toFixed(1)}, ` +
          `settled ${m.settledMiB.toFixed(1)}; 100 sessions ${m.sessionsMiB.toFixed(1)}; after ${m.afterMiB.toFixed(1)}, ` +
          `20 s later ${m.afterSettledMiB.toFixed(1)}; end of the window: ${end} MiB`,
      );
    }
} finally {
  await releaseTestCluster();
}
