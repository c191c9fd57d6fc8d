/**
 * Writes an OCI image archive (image-layout 1.0 in one tar) from a root filesystem directory, with no
 * registry and no container engine: one gzip layer, a config, a manifest and an index whose
 * `io.containerd.image.name` annotation lets `ctr images import` name the image.
 *
 * Reproducible: the layer is tarred with sorted names, numeric root ownership and mtime 0, gzip
 * without a timestamp, and the outer tar likewise, so the same rootfs always yields the same digests.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ImageConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  User?: string;
  Env?: string[];
  WorkingDir?: string;
  Labels?: Record<string, string>;
}

export interface OciArchiveOptions {
  /** Directory whose contents become the image's root filesystem. */
  rootfs: string;
  /** Path of the archive to write (a tar of the OCI layout). */
  out: string;
  /** Full image reference, e.g. `agentgate.dev/agentgate:0.1.0`. */
  name: string;
  config: ImageConfig;
}

export interface OciArchive {
  /** sha256 digest of the image manifest (what a pod's imageID shows). */
  manifestDigest: string;
  /** Bytes of the written archive. */
  archiveBytes: number;
  /** Bytes of the root filesystem's layer, uncompressed. */
  rootfsBytes: number;
}

const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';
const CONFIG_TYPE = 'application/vnd.oci.image.config.v1+json';
const LAYER_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip';
const INDEX_TYPE = 'application/vnd.oci.image.index.v1+json';
const REPRODUCIBLE_TAR = ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '--format=gnu'];

export function writeOciArchive(o: OciArchiveOptions): OciArchive {
  const layout = mkdtempSync(join(tmpdir(), 'agentgate-oci-'));
  try {
    const blobs = join(layout, 'blobs', 'sha256');
    mkdirSync(blobs, { recursive: true });
    const putBlob = (bytes: Buffer): { digest: string; size: number } => {
      const hex = createHash('sha256').update(bytes).digest('hex');
      writeFileSync(join(blobs, hex), bytes);
      return { digest: `sha256:${hex}`, size: bytes.length };
    };

    const layerTar = run('tar', [...REPRODUCIBLE_TAR, '-C', o.rootfs, '-cf', '-', '.']);
    const diffId = `sha256:${createHash('sha256').update(layerTar).digest('hex')}`;
    const layer = putBlob(run('gzip', ['-n', '-9'], layerTar));

    const config = putBlob(
      json({
        architecture: 'amd64',
        os: 'linux',
        created: '1970-01-01T00:00:00Z',
        config: o.config,
        rootfs: { type: 'layers', diff_ids: [diffId] },
        history: [{ created: '1970-01-01T00:00:00Z', created_by: 'agentgate scripts/image' }],
      }),
    );
    const manifest = putBlob(
      json({
        schemaVersion: 2,
        mediaType: MANIFEST_TYPE,
        config: { mediaType: CONFIG_TYPE, ...config },
        layers: [{ mediaType: LAYER_TYPE, ...layer }],
      }),
    );
    const tag = o.name.slice(o.name.lastIndexOf(':') + 1);
    writeFileSync(join(layout, 'oci-layout'), json({ imageLayoutVersion: '1.0.0' }));
    writeFileSync(
      join(layout, 'index.json'),
      json({
        schemaVersion: 2,
        mediaType: INDEX_TYPE,
        manifests: [
          {
            mediaType: MANIFEST_TYPE,
            ...manifest,
            annotations: { 'io.containerd.image.name': o.name, 'org.opencontainers.image.ref.name': tag },
          },
        ],
      }),
    );
    writeFileSync(o.out, run('tar', [...REPRODUCIBLE_TAR, '-C', layout, '-cf', '-', '.']));
    return { manifestDigest: manifest.digest, archiveBytes: statSync(o.out).size, rootfsBytes: layerTar.length };
  } finally {
    rmSync(layout, { recursive: true, force: true });
  }
}

/** The image reference an archive written by writeOciArchive carries. */
export function archiveImageName(archive: string): string {
  const index = JSON.parse(run('tar', ['-xOf', archive, './index.json']).toString('utf8')) as {
    manifests: { annotations?: Record<string, string> }[];
  };
  const name = index.manifests[0]?.annotations?.['io.containerd.image.name'];
  if (!name) throw new Error(`${archive}: index.json names no image`);
  return name;
}

function json(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v));
}

function run(cmd: string, args: string[], input?: Buffer): Buffer {
  const r = spawnSync(cmd, args, { input, maxBuffer: 2 ** 31 - 1 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.toString().trim()}`);
  return r.stdout;
}

/** The bytes of one file of an archive's OCI layout, e.g. `./index.json`. */
export function readArchiveFile(archive: string, path: string): Buffer {
  return run('tar', ['-xOf', archive, path]);
}
