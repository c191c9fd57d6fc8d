/**
 * Reads an OCI image archive written by scripts/image/oci-archive.ts the way a runtime would (index →
 * manifest → config and layer blobs), and unpacks its layer into a directory for chroot tests.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readArchiveFile } from '../../scripts/image/oci-archive.js';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}
export interface OciIndex {
  schemaVersion: number;
  manifests: Descriptor[];
}
export interface OciManifest {
  schemaVersion: number;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}
export interface OciConfig {
  architecture: string;
  os: string;
  config: {
    Entrypoint?: string[];
    Cmd?: string[];
    User?: string;
    Env?: string[];
    WorkingDir?: string;
    Labels?: Record<string, string>;
  };
  rootfs: { type: string; diff_ids: string[] };
}

export const blobPath = (digest: string): string => `./blobs/sha256/${digest.replace(/^sha256:/, '')}`;

export function readImage(archive: string): {
  index: OciIndex;
  manifest: OciManifest;
  config: OciConfig;
  layer: Buffer;
} {
  const index = JSON.parse(readArchiveFile(archive, './index.json').toString('utf8')) as OciIndex;
  const manifest = JSON.parse(
    readArchiveFile(archive, blobPath(index.manifests[0]!.digest)).toString('utf8'),
  ) as OciManifest;
  const config = JSON.parse(readArchiveFile(archive, blobPath(manifest.config.digest)).toString('utf8')) as OciConfig;
  const layer = readArchiveFile(archive, blobPath(manifest.layers[0]!.digest));
  return { index, manifest, config, layer };
}

/** `tar -tv` of the layer: one line per entry (mode, owner, size, name). */
export function layerListing(layer: Buffer): string[] {
  return run('tar', ['-tvz', '--numeric-owner', '-f', '-'], layer).toString('utf8').trim().split('\n');
}

/** The layer unpacked into a fresh directory (as root: owners and modes as recorded). */
export function unpackRootfs(layer: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'agentgate-rootfs-'));
  chmodSync(dir, 0o755);
  run('tar', ['-xz', '--same-owner', '--same-permissions', '--numeric-owner', '-C', dir, '-f', '-'], layer);
  return dir;
}

function run(cmd: string, args: string[], input: Buffer): Buffer {
  const r = spawnSync(cmd, args, { input, maxBuffer: 2 ** 31 - 1 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.toString().trim() || r.error?.message}`);
  return r.stdout;
}
