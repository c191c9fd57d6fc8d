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
import { imageRuntimeEnv } from '../../scripts/image/rootfs.js';
import { buildRevision } from './builds.js';
import { releaseTestCluster } from '../e2e/cluster.js';
import { clusterSidecarMemory } from './cluster-sidecar.js';
import { statusMiB } from './rss.js';

const revs = (process.env.AB_REVS ?? 'HEAD~1,HEAD').split(',').filter(Boolean);
const rounds = Number(process.env.AB_ROUNDS ?? 2);

const env = imageRuntimeEnv();
const entries = revs.map((rev) => ({ rev, entry: buildRevision(rev) }));
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
