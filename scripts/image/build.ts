/**
 * `npm run image`: builds the agentgate image (operator and sidecar in one) as an OCI archive at
 * dist/image/agentgate.oci.tar, with no registry and no container engine. `buildImage()` is what tests
 * and the test cluster call: it skips the build while the inputs (sources, lock file, Node version,
 * the host's shared libraries, this script) are unchanged, and one build runs at a time per output.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROXY_UID } from '../../shared/contract/sidecar.js';
import { nodeIntegrity, lockedNodeVersion } from './node-binary.js';
import { readArchiveFile, writeOciArchive } from './oci-archive.js';
import { assembleRootfs, ENTRYPOINT, IMAGE_ENV, IMAGE_UID, NODE_PATH } from './rootfs.js';
import { sharedLibs } from './shared-libs.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_ARCHIVE = join(REPO, 'dist/image/agentgate.oci.tar');
/**
 * The reference the archive carries and the chart defaults to. `localhost/` marks a locally built image
 * (as Podman does): no public registry serves this name, so a cluster that lacks the image fails to pull
 * instead of running whatever a stranger published under a guessable name.
 */
export const IMAGE_REPOSITORY = 'localhost/agentgate';
/** Inputs that decide the image's contents; a change in any rebuilds it. */
const INPUT_PATHS = [
  'cli',
  'proxy',
  'operator',
  'shared',
  'types',
  'crds',
  'examples/local',
  'scripts/image',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
];

export interface BuiltImage {
  /** Path of the OCI archive. */
  archive: string;
  /** Image reference (repository:tag) recorded in the archive. */
  name: string;
  manifestDigest: string;
  /** Bytes of the archive (the gzip-compressed layer plus metadata: roughly what a registry stores). */
  archiveBytes: number;
  /** Bytes of the root filesystem, uncompressed (what a node's disk holds). */
  rootfsBytes: number;
  /** True when the archive was already up to date. */
  cached: boolean;
}

export interface BuildOptions {
  /** Where the archive goes (default dist/image/agentgate.oci.tar). */
  out?: string;
  /** Build even if the archive is up to date. */
  force?: boolean;
}

const inFlight = new Map<string, Promise<BuiltImage>>();

export function buildImage(o: BuildOptions = {}): Promise<BuiltImage> {
  const out = resolve(o.out ?? DEFAULT_ARCHIVE);
  const key = `${out}|${o.force ? 'force' : ''}`;
  let p = inFlight.get(key);
  if (!p) {
    p = withLock(`${out}.lock`, () => build(out, o)).finally(() => inFlight.delete(key));
    inFlight.set(key, p);
  }
  return p;
}

interface Recorded extends Omit<BuiltImage, 'archive' | 'cached'> {
  inputs: string;
}

const appVersion = (): string =>
  (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

/** The image's root filesystem, assembled into an empty directory (what the Dockerfile copies). */
export function assembleImageRootfs(dir: string): void {
  mkdirSync(dir, { recursive: true });
  if (readdirSync(dir).length) throw new Error(`${dir} is not empty`);
  assembleRootfs(dir, {
    repo: REPO,
    nodeVersion: lockedNodeVersion(REPO),
    appVersion: appVersion(),
    users: [
      { name: 'nonroot', uid: IMAGE_UID },
      { name: 'agentgate-proxy', uid: PROXY_UID },
    ],
  });
}

async function build(out: string, o: BuildOptions): Promise<BuiltImage> {
  const version = appVersion();
  const nodeVersion = lockedNodeVersion(REPO);
  const name = `${IMAGE_REPOSITORY}:${version}`;
  const inputs = inputsDigest(nodeVersion, name);
  const record = out.replace(/\.tar$/, '') + '.json';
  if (!o.force && existsSync(out) && existsSync(record)) {
    const prev = JSON.parse(readFileSync(record, 'utf8')) as Recorded;
    // The archive must still be the one recorded (not a half-written or replaced file).
    if (
      prev.inputs === inputs &&
      prev.archiveBytes === statSync(out).size &&
      archiveManifestDigest(out) === prev.manifestDigest
    ) {
      return { ...strip(prev), archive: out, cached: true };
    }
  }

  mkdirSync(dirname(out), { recursive: true });
  const rootfs = join(mkdtempSync(join(dirname(out), '.build-')), 'rootfs');
  try {
    assembleImageRootfs(rootfs);
    const tmp = join(dirname(rootfs), 'image.oci.tar');
    const written = writeOciArchive({
      rootfs,
      out: tmp,
      name,
      config: {
        Entrypoint: [ENTRYPOINT],
        Cmd: ['--help'],
        User: `${IMAGE_UID}:${IMAGE_UID}`,
        Env: IMAGE_ENV,
        WorkingDir: '/',
        Labels: {
          'org.opencontainers.image.title': 'agentgate',
          'org.opencontainers.image.version': version,
          'org.opencontainers.image.licenses': 'Apache-2.0',
          'dev.agentgate.node-version': nodeVersion,
        },
      },
    });
    renameSync(tmp, out);
    const recorded: Recorded = {
      name,
      manifestDigest: written.manifestDigest,
      archiveBytes: written.archiveBytes,
      rootfsBytes: written.rootfsBytes,
      inputs,
    };
    writeFileSync(record, `${JSON.stringify(recorded, null, 2)}\n`);
    return { ...strip(recorded), archive: out, cached: false };
  } finally {
    rmSync(dirname(rootfs), { recursive: true, force: true });
  }
}

function archiveManifestDigest(archive: string): string | undefined {
  try {
    return (
      JSON.parse(readArchiveFile(archive, './index.json').toString('utf8')) as { manifests: { digest: string }[] }
    ).manifests[0]?.digest;
  } catch {
    return undefined;
  }
}

const strip = ({ inputs: _inputs, ...rest }: Recorded): Omit<BuiltImage, 'archive' | 'cached'> => rest;

function inputsDigest(nodeVersion: string, name: string): string {
  const h = createHash('sha256');
  h.update(`${name}\0node ${nodeVersion} ${nodeIntegrity(nodeVersion)}\0`);
  const files: string[] = [];
  for (const p of INPUT_PATHS) collect(join(REPO, p), files);
  for (const f of files.sort())
    h.update(`${relative(REPO, f)}\0`)
      .update(readFileSync(f))
      .update('\0');
  // The libraries come from the build host: a glibc update there changes the image.
  const hostNode = join(REPO, 'node_modules/node/bin/node');
  if (existsSync(hostNode))
    for (const lib of sharedLibs(hostNode)) h.update(`${lib.path}\0`).update(readFileSync(lib.source));
  return `sha256:${h.digest('hex')}`;
}

function collect(p: string, into: string[]): void {
  if (!existsSync(p)) return;
  const st = statSync(p);
  if (st.isFile()) into.push(p);
  else if (st.isDirectory()) for (const name of readdirSync(p)) collect(join(p, name), into);
}

/** An exclusive lock file holding the owner's pid; a lock whose owner is gone is taken over. */
async function withLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(lock), { recursive: true });
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(readFileSync(lock, 'utf8') || 0);
      if (owner && !alive(owner)) {
        rmSync(lock, { force: true });
        continue;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    unlinkSync(lock);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const rootfsAt = args.indexOf('--rootfs');
  if (rootfsAt >= 0) {
    // The Dockerfile's build stage: the root filesystem only, the engine makes the image.
    if (!args[rootfsAt + 1]) throw new Error('--rootfs needs an empty directory');
    assembleImageRootfs(resolve(args[rootfsAt + 1]!));
    process.exit(0);
  }
  const image = await buildImage({ force: args.includes('--force') });
  process.stdout.write(
    [
      `archive:  ${relative(process.cwd(), image.archive) || image.archive}${image.cached ? ' (up to date)' : ''}`,
      `image:    ${image.name}`,
      `manifest: ${image.manifestDigest}`,
      `size:     ${mb(image.archiveBytes)} compressed, ${mb(image.rootfsBytes)} unpacked`,
      `node:     ${NODE_PATH} ${lockedNodeVersion(REPO)}`,
      '',
    ].join('\n'),
  );
}
