/**
 * The shared libraries a dynamically linked binary needs (glibc, libstdc++, libgcc_s and the loader),
 * as the build host's `ldd` resolves them. Since glibc 2.34 the files and dns NSS modules live in libc
 * itself, so name resolution needs no further library.
 */
import { spawnSync } from 'node:child_process';

export interface SharedLib {
  /** Where the binary looks for it (the path inside the image). */
  path: string;
  /** The file on the build host with its contents (symlinks resolved by the caller). */
  source: string;
}

export function sharedLibs(binary: string): SharedLib[] {
  const r = spawnSync('ldd', [binary], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ldd ${binary}: ${r.stderr || r.stdout || r.error?.message}`);
  const libs: SharedLib[] = [];
  for (const line of r.stdout.split('\n')) {
    const mapped = /^\s*\S+ => (\/\S+) \(0x[0-9a-f]+\)$/.exec(line);
    const loader = /^\s*(\/\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (/not found/.test(line)) throw new Error(`ldd ${binary}: ${line.trim()}`);
    const path = mapped?.[1] ?? loader?.[1];
    if (path) libs.push({ path, source: path });
  }
  if (!libs.some((l) => /ld-linux/.test(l.path)))
    throw new Error(`ldd ${binary}: no dynamic loader found (is it a static binary?)`);
  return libs.sort((a, b) => a.path.localeCompare(b.path));
}
