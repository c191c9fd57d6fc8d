/**
 * The image runs: its layer unpacked, started the way a runtime starts it (the config's entrypoint,
 * user and environment; a read-only root with /proc, a tmpfs /tmp and a writable audit directory
 * mounted, in a mount namespace of its own) through `unshare` + `chroot`, sharing only the loopback
 * network. The guard proxy inside it serves psql against the test PostgreSQL: allowed, denied
 * (42501) and masked statements, an audit chain that verifies, a clean stop on SIGTERM.
 */
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { buildImage } from '../../scripts/image/build.js';
import { freePort } from '../../proxy/local/embedded-postgres.js';
import { AGENT_DB_PASSWORD, startLocalStack, type LocalStack } from '../../proxy/local/stack.js';
import { unpackRootfs, readImage, type OciConfig } from '../support/oci-image.js';

const AUDIT_DIR = '/var/log/agentgate';
const CONFIG_DIR = '/etc/agentgate-test';

/**
 * Mounts what a container runtime would, makes the root read-only, then enters it as the image's user
 * with the image's environment only. Arguments: root, audit dir, user, N, N environment entries, argv.
 */
const CONTAINER = `set -euo pipefail
root=$1; audit=$2; user=$3; n=$4; shift 4
envs=("\${@:1:n}"); shift "$n"
mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount -t tmpfs -o mode=1777,size=16m tmpfs "$root/tmp"
mount -t tmpfs -o mode=755,size=1m tmpfs "$root/dev"
for d in null zero random urandom; do touch "$root/dev/$d"; mount --bind "/dev/$d" "$root/dev/$d"; done
mount --bind "$audit" "$root${AUDIT_DIR}"
mount -o remount,bind,ro "$root"
exec env -i "\${envs[@]}" "$(command -v chroot)" --userspec="$user" "$root" "$@"`;

describe('image: runs in a chroot as a container would (read-only root, non-root user)', function () {
  this.timeout(900_000);
  let rootfs: string;
  let audit: string;
  let config: OciConfig['config'];

  const containerArgs = (argv: string[], extraEnv: Record<string, string> = {}): string[] => {
    const envs = [...(config.Env ?? []), ...Object.entries(extraEnv).map(([k, v]) => `${k}=${v}`)];
    return [
      '--mount',
      'bash',
      '-c',
      CONTAINER,
      'container',
      rootfs,
      audit,
      config.User!,
      String(envs.length),
      ...envs,
      ...argv,
    ];
  };
  /** The image's entrypoint with these arguments (or its default Cmd). */
  const agentgate = (args?: string[], extra?: Record<string, string>) => {
    const r = spawnSync('unshare', containerArgs([...config.Entrypoint!, ...(args ?? config.Cmd ?? [])], extra), {
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  let scripts = 0;
  /** Runs an ES module with the image's node (a file, as --input-type would pass on to worker threads). */
  const node = (script: string) => {
    const file = `${CONFIG_DIR}/script-${++scripts}.mjs`;
    writeFileSync(join(rootfs, file), script);
    const r = spawnSync('unshare', containerArgs(['/usr/local/bin/node', file]), {
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  before(async () => {
    const image = await buildImage();
    const img = readImage(image.archive);
    config = img.config.config;
    rootfs = unpackRootfs(img.layer);
    // Mount points and a read-only config directory, as the runtime and a ConfigMap volume provide them.
    for (const d of [AUDIT_DIR, CONFIG_DIR]) mkdirSync(join(rootfs, d), { recursive: true });
    audit = mkdtempSync(join(tmpdir(), 'agentgate-image-audit-'));
    const [uid, gid] = config.User!.split(':').map(Number) as [number, number];
    chownSync(audit, uid, gid);
    chmodSync(audit, 0o700);
  });
  after(() => {
    if (rootfs) rmSync(rootfs, { recursive: true, force: true });
    if (audit) rmSync(audit, { recursive: true, force: true });
  });

  it('agentgate (default Cmd: --help) and agentgate proxy --help print the usage and exit 0', () => {
    const help = agentgate();
    expect(help.stderr).to.equal('');
    expect(help.status).to.equal(0);
    expect(help.stdout).to.match(/^usage: agentgate <command>/);
    const proxyHelp = agentgate(['proxy', '--help']);
    expect(proxyHelp.status, proxyHelp.stderr).to.equal(0);
    expect(proxyHelp.stdout).to.include('proxy (--policy FILE | --policy-ref NS/NAME)');
  });

  it('runs as the non-root user of the image config, on a read-only root', () => {
    const r = node(`import { writeFileSync } from 'node:fs';
      let rootWritable = true; try { writeFileSync('/app/x', 'x'); } catch { rootWritable = false; }
      writeFileSync('/tmp/x', 'x');
      console.log(JSON.stringify({ uid: process.getuid(), gid: process.getgid(), rootWritable, version: process.version }));`);
    expect(r.status, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout) as { uid: number; gid: number; rootWritable: boolean; version: string };
    expect(out.uid).to.be.greaterThan(0);
    expect(`${out.uid}:${out.gid}`).to.equal(config.User);
    expect(out.rootWritable).to.equal(false);
    expect(out.version).to.match(/^v24\./);
  });

  it('policy validate accepts the example policy and rejects a broken one', () => {
    copyFileSync('examples/local/policy.yaml', join(rootfs, CONFIG_DIR, 'policy.yaml'));
    writeFileSync(
      join(rootfs, CONFIG_DIR, 'broken.yaml'),
      'apiVersion: agentgate.dev/v1alpha1\nkind: AgentAccessPolicy\nmetadata: {name: x}\nspec: {mode: Sometimes}\n',
    );
    const ok = agentgate(['policy', 'validate', `${CONFIG_DIR}/policy.yaml`]);
    expect(ok.status, ok.stderr).to.equal(0);
    expect(ok.stdout).to.include('ok: billing-agent');
    const broken = agentgate(['policy', 'validate', `${CONFIG_DIR}/broken.yaml`]);
    expect(broken.status).to.not.equal(0);
  });

  it('libpg_query WASM parses in process and in its worker thread (long statements)', () => {
    const r = node(`import { SqlParser } from '/app/proxy/sql/parser.js';
      const p = SqlParser.create({ workerTimeoutMs: 60000 });
      const short = await p.parse('SELECT 1');
      const long = await p.parse("SELECT '" + 'x'.repeat(20000) + "'");
      await p.close();
      console.log(JSON.stringify({ short: short.ok, long: long.ok }));`);
    expect(r.status, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.equal({ short: true, long: true });
  });

  it('every command module loads with the image dependencies (operator, proxy, audit, evidence, tokens, reviews)', () => {
    // Every command the CLI has, but the demo (it needs the embedded PostgreSQL the image leaves out), and the proxy process.
    const commands = readdirSync(new URL('../../cli/commands/', import.meta.url))
      .filter((f) => f.endsWith('.ts') && f !== 'demo.ts')
      .map((f) => `/app/cli/commands/${f.replace(/\.ts$/, '.js')}`);
    const modules = [...commands, '/app/proxy/main.js'];
    const r = node(`for (const m of ${JSON.stringify(modules)}) await import(m); console.log('loaded');`);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout.trim()).to.equal('loaded');
  });

  describe('the guard proxy in the image, against the test PostgreSQL', () => {
    let stack: LocalStack;
    let proxy: ChildProcess;
    let port: number;
    let healthPort: number;
    let output = '';

    before(async () => {
      // The local stack gives a seeded PostgreSQL, a dev issuer and the example policy; its own proxy is not used.
      stack = await startLocalStack();
      port = await freePort();
      healthPort = await freePort();
      const policy = structuredClone(stack.policy);
      copyFileSync(policy.spec.identity.issuers[0]!.jwksFile!, join(rootfs, CONFIG_DIR, 'dev-jwks.json'));
      policy.spec.identity.issuers[0]!.jwksFile = `${CONFIG_DIR}/dev-jwks.json`;
      policy.spec.targets[0]!.listen = `127.0.0.1:${port}`;
      writeFileSync(join(rootfs, CONFIG_DIR, 'proxy-policy.yaml'), stringify(policy));
      proxy = spawn(
        'unshare',
        containerArgs(
          [
            ...config.Entrypoint!,
            'proxy',
            '--policy',
            `${CONFIG_DIR}/proxy-policy.yaml`,
            '--audit-file',
            `${AUDIT_DIR}/audit.log`,
            '--health-address',
            `127.0.0.1:${healthPort}`,
          ],
          { BILLING_DB_PASSWORD: AGENT_DB_PASSWORD },
        ),
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      proxy.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      proxy.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      const deadline = Date.now() + 120_000;
      for (;;) {
        if (proxy.exitCode !== null) throw new Error(`proxy exited ${proxy.exitCode}: ${output}`);
        const ready = await fetch(`http://127.0.0.1:${healthPort}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ready) break;
        if (Date.now() > deadline) throw new Error(`proxy not ready: ${output}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    });
    after(async () => {
      if (proxy && proxy.exitCode === null) proxy.kill('SIGKILL');
      await stack?.stop();
    });

    const psql = async (sql: string) => {
      const r = spawnSync(
        'psql',
        [
          `host=127.0.0.1 port=${port} user=agent dbname=billing sslmode=disable`,
          '-X',
          '-At',
          '-v',
          'VERBOSITY=verbose',
          '-c',
          sql,
        ],
        {
          env: { ...process.env, PGPASSWORD: await stack.token('image-agent') },
          encoding: 'utf8',
        },
      );
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    };

    it('psql: allowed reads come back masked', async () => {
      const r = await psql('SELECT name, email, card_number FROM customers WHERE id = 1');
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout.trim()).to.equal('Ada Lovelace|[redacted:email]|[redacted:creditCard]');
    });

    it('psql: a denied statement fails with 42501 and changes nothing', async () => {
      const r = await psql('DELETE FROM orders');
      expect(r.status).to.not.equal(0);
      expect(r.stderr).to.match(/ERROR:\s+42501/);
      const count = await psql('SELECT count(*) FROM orders');
      expect(count.stdout.trim()).to.equal('4');
    });

    it('stops cleanly on SIGTERM and leaves an audit chain that verifies (in the image)', async () => {
      const exited = new Promise<number | null>((resolve) => proxy.once('exit', (code) => resolve(code)));
      proxy.kill('SIGTERM');
      expect(await exited, output).to.equal(0);
      const log = readFileSync(join(audit, 'audit.log'), 'utf8');
      expect(log).to.include('DELETE FROM orders');
      const verify = agentgate(['audit', 'verify', `${AUDIT_DIR}/audit.log`]);
      expect(verify.status, verify.stdout + verify.stderr).to.equal(0);
    });

    it("kubectl cp works without a shell: the image's `tar cf - /var/log/agentgate` carries the audit files out whole", () => {
      const r = spawnSync('unshare', containerArgs(['tar', 'cf', '-', AUDIT_DIR]), {
        maxBuffer: 2 ** 30,
        timeout: 120_000,
      });
      expect(r.status, r.stderr.toString()).to.equal(0);
      const out = mkdtempSync(join(tmpdir(), 'agentgate-image-cp-'));
      try {
        const x = spawnSync('tar', ['-xf', '-', '-C', out], { input: r.stdout, encoding: 'utf8' });
        expect(x.status, x.stderr).to.equal(0);
        expect(readFileSync(join(out, AUDIT_DIR, 'audit.log')).equals(readFileSync(join(audit, 'audit.log')))).to.equal(
          true,
        );
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  });
});
