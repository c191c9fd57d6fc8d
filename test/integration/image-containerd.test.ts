/**
 * The archive as a node's runtime takes it: a private containerd (its own root, state and sockets in a
 * temporary directory, no CRI plugin) imports it with `ctr images import` — which checks every digest
 * and, on unpack, the layer's diff_id — names it from the index, and runc runs it under the image's own
 * config (entrypoint, user), with a read-only root filesystem.
 */
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, type BuiltImage } from '../../scripts/image/build.js';

const NAMESPACE = 'agentgate-image-test';

describe('image: imported and run by containerd + runc', function () {
  this.timeout(900_000);
  let image: BuiltImage;
  let dir: string;
  let containerd: ChildProcess;
  let log = '';
  let runs = 0;
  const ctr = (...args: string[]) => {
    const r = spawnSync('ctr', ['--address', join(dir, 'containerd.sock'), '--namespace', NAMESPACE, ...args], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  /** `ctr run --rm` of the image with its own config; args replace its Cmd. */
  const run = (...args: string[]) =>
    ctr(
      'run',
      '--rm',
      '--snapshotter',
      'native',
      '--net-host',
      '--read-only',
      image.name,
      `agentgate-image-test-${process.pid}-${++runs}`,
      ...args,
    );

  before(async () => {
    image = await buildImage();
    dir = mkdtempSync(join(tmpdir(), 'agentgate-ctd-'));
    writeFileSync(
      join(dir, 'config.toml'),
      [
        'version = 2',
        `root = "${dir}/root"`,
        `state = "${dir}/state"`,
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
        '[grpc]',
        `  address = "${dir}/containerd.sock"`,
        '[ttrpc]',
        `  address = "${dir}/containerd-ttrpc.sock"`,
        '',
      ].join('\n'),
    );
    containerd = spawn('containerd', ['--config', join(dir, 'config.toml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    containerd.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    containerd.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const deadline = Date.now() + 60_000;
    while (!existsSync(join(dir, 'containerd.sock')) || ctr('version').status !== 0) {
      if (containerd.exitCode !== null || Date.now() > deadline) throw new Error(`containerd did not start: ${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  after(async () => {
    if (containerd && containerd.exitCode === null) {
      const exited = new Promise((r) => containerd.once('exit', r));
      containerd.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
    // runc keeps a per-namespace directory under /run/containerd whatever the state dir; another
    // containerd may be using /run/containerd, so only this test's own (empty) directory goes.
    try {
      rmdirSync(`/run/containerd/runc/${NAMESPACE}`);
    } catch {
      // absent, or not empty: leave it
    }
  });

  it('ctr images import names it from the index, with the manifest digest npm run image printed', () => {
    const imported = ctr('images', 'import', '--snapshotter', 'native', image.archive);
    expect(imported.status, imported.stderr).to.equal(0);
    expect(imported.stdout).to.include(`unpacking ${image.name} (${image.manifestDigest})...done`);
    const list = ctr('images', 'ls');
    expect(list.stdout).to.match(
      new RegExp(
        `^${image.name.replace(/[.]/g, '\\.')}\\s+application/vnd\\.oci\\.image\\.manifest\\.v1\\+json\\s+${image.manifestDigest}\\s.*linux/amd64`,
        'm',
      ),
    );
  });

  it('runc runs its entrypoint (default Cmd --help) and node as the image user on a read-only root', () => {
    const help = run();
    expect(help.status, help.stderr).to.equal(0);
    expect(help.stdout).to.match(/^usage: agentgate <command>/);
    const who = run(
      '/usr/local/bin/node',
      '-e',
      "let w = true; try { require('fs').writeFileSync('/app/x', 'x') } catch { w = false } console.log(process.getuid() + ':' + process.getgid() + ' ' + w)",
    );
    expect(who.status, who.stderr).to.equal(0);
    expect(who.stdout.trim()).to.equal('65532:65532 false');
  });
});
