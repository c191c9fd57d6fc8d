/**
 * Assembles the image's root filesystem in a directory: the Node binary and the shared libraries it
 * links, the app compiled to JavaScript with its production dependencies, a minimal /etc, and no shell,
 * package manager or compiler. Ownership and modes are normalised (root-owned, 0755/0644) so the layer
 * depends only on the inputs, and nothing in it is writable by the image's user.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { nodeTarball } from './node-binary.js';
import { isRuntimeIrrelevant, productionPackages } from './prod-deps.js';
import { sharedLibs } from './shared-libs.js';
import { STANDALONE_VALIDATOR, standaloneValidatorCode } from '../../shared/contract/policy-schema-validator.js';
import { policyJsonSchema } from '../../shared/contract/validate-policy.js';

export const APP_DIR = '/app';
export const NODE_PATH = '/usr/local/bin/node';
export const ENTRYPOINT = '/usr/local/bin/agentgate';
/**
 * The image's environment. NODE_OPTIONS: V8 sizes its young generation from the memory the process sees
 * (a container without a memory limit sees the node's: up to 2 × 32 MiB, resident after a burst of
 * statements); 4 MiB semi-spaces keep the heap near what it holds, on any node. MALLOC_ARENA_MAX: glibc
 * gives each allocating thread (V8's and libuv's, the parse worker) an arena that keeps freed memory
 * resident; the proxy's work is on its main thread. MALLOC_TRIM_THRESHOLD_: glibc otherwise raises its
 * trim threshold each time a large block (its own mapping) is freed, and keeps up to twice that free at the
 * top of its heap; fixed at its default, 128 KiB, the idle sidecar holds ~2 MiB less. A
 * block of 128 KiB or more is then always its own mapping (docs/performance.md, round 9).
 */
export const IMAGE_ENV = [
  'PATH=/usr/local/bin',
  'NODE_ENV=production',
  'NODE_OPTIONS=--max-semi-space-size=4',
  'MALLOC_ARENA_MAX=2',
  'MALLOC_TRIM_THRESHOLD_=131072',
];

/** IMAGE_ENV but PATH, as variables (NODE_ENV, NODE_OPTIONS, MALLOC_*): the image's runtime environment for a child process. */
export function imageRuntimeEnv(): Record<string, string> {
  const env = Object.fromEntries(IMAGE_ENV.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  delete env.PATH;
  return env;
}
/** The image's default user (the operator's, as in distroless `nonroot`); the sidecar runs as PROXY_UID. */
export const IMAGE_UID = 65532;

const SOURCE_DIRS = ['cli', 'proxy', 'operator', 'shared'];
/** The image's commands (in /usr/local/bin, scripts in /app/bin): compiled JavaScript, no loader. */
const COMMANDS: Record<string, string> = {
  agentgate: "await import('../cli/main.js');",
  // kubectl cp runs `tar cf - PATH` in the container; there is no shell or tar binary.
  tar: "const { runTar } = await import('../cli/tar.js');\nprocess.exitCode = runTar(process.argv.slice(2));",
};

export interface RootfsInputs {
  repo: string;
  nodeVersion: string;
  appVersion: string;
  /** uid/gid names for /etc/passwd (numeric ids are what the image and the pods use). */
  users: { name: string; uid: number }[];
}

export function assembleRootfs(rootfs: string, o: RootfsInputs): void {
  for (const d of ['etc', 'tmp', 'proc', 'sys', 'dev', 'usr/local/bin', 'usr/local/share/doc/node'])
    mkdirSync(join(rootfs, d), { recursive: true });
  installNode(rootfs, o.nodeVersion);
  installApp(rootfs, o);
  writeEtc(rootfs, o.users);
  normaliseModes(rootfs);
  chmodSync(join(rootfs, 'tmp'), 0o1777);
}

function installNode(rootfs: string, version: string): void {
  const tgz = nodeTarball(version);
  const unpack = join(rootfs, '.node-unpack');
  mkdirSync(unpack);
  run('tar', ['-xzf', tgz, '-C', unpack, 'package/bin/node', 'package/LICENSE']);
  const node = join(rootfs, NODE_PATH);
  copyFileSync(join(unpack, 'package/bin/node'), node);
  copyFileSync(join(unpack, 'package/LICENSE'), join(rootfs, 'usr/local/share/doc/node/LICENSE'));
  rmSync(unpack, { recursive: true });
  chmodSync(node, 0o755);
  for (const lib of sharedLibs(node)) {
    const target = join(rootfs, lib.path);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(realpathSync(lib.source), target);
  }
}

/**
 * The app as the image runs it, into `app`: the sources compiled to JavaScript by tsc, what they read
 * beside themselves, and bin/<command>.js for each command. No dependencies (`npm run bench` links its
 * own node_modules; the image copies the production closure).
 */
export function compileApp(repo: string, app: string, appVersion: string, nodePath = NODE_PATH): void {
  mkdirSync(app, { recursive: true });
  // Compiled and type-checked JavaScript: the image needs no TypeScript loader at run time.
  const tsc = join(repo, 'node_modules/typescript/bin/tsc');
  run(process.execPath, [tsc, '-p', join(repo, 'scripts/image/tsconfig.json'), '--outDir', app]);
  // What the code reads or loads beside itself: JSON data, plain-JS modules, the CRD it validates against.
  for (const dir of SOURCE_DIRS) {
    for (const file of walk(join(repo, dir))) {
      if (file.endsWith('.ts')) continue;
      const target = join(app, relative(repo, file));
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(file, target);
    }
  }
  cpSync(join(repo, 'crds'), join(app, 'crds'), { recursive: true });
  // The policy validator generated now, from the CRD just copied: ajv is then never loaded at run time.
  writeFileSync(join(app, 'shared/contract', STANDALONE_VALIDATOR), standaloneValidatorCode(policyJsonSchema()));
  writeFileSync(
    join(app, 'package.json'),
    `${JSON.stringify({ name: 'agentgate', version: appVersion, private: true, type: 'module', license: 'Apache-2.0' }, null, 2)}\n`,
  );
  mkdirSync(join(app, 'bin'), { recursive: true });
  for (const [command, code] of Object.entries(COMMANDS))
    writeFileSync(join(app, 'bin', `${command}.js`), `#!${nodePath}\n${code}\n`, { mode: 0o755 });
}

function installApp(rootfs: string, o: RootfsInputs): void {
  const app = join(rootfs, APP_DIR);
  compileApp(o.repo, app, o.appVersion);
  for (const command of Object.keys(COMMANDS))
    symlinkSync(
      relative(join(rootfs, 'usr/local/bin'), join(app, 'bin', `${command}.js`)),
      join(rootfs, 'usr/local/bin', command),
    );

  for (const key of productionPackages(o.repo)) {
    const from = join(o.repo, key);
    const to = join(app, key);
    cpSync(from, to, {
      recursive: true,
      // Nested node_modules are packages of their own, copied only if the closure holds them.
      filter: (src) => {
        const rel = relative(from, src);
        return !(
          rel === 'node_modules' ||
          rel.startsWith('node_modules/') ||
          rel === '.bin' ||
          isRuntimeIrrelevant(rel)
        );
      },
    });
  }
}

function writeEtc(rootfs: string, users: { name: string; uid: number }[]): void {
  const all = [{ name: 'root', uid: 0 }, ...users];
  // Home is / (read-only): nothing in the image writes to a home directory.
  writeFileSync(
    join(rootfs, 'etc/passwd'),
    all.map((u) => `${u.name}:x:${u.uid}:${u.uid}:${u.name}:/:/sbin/nologin\n`).join(''),
  );
  writeFileSync(join(rootfs, 'etc/group'), all.map((u) => `${u.name}:x:${u.uid}:\n`).join(''));
  writeFileSync(join(rootfs, 'etc/nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n');
  // Kubernetes and Docker mount their own; this one serves a plain chroot or runc.
  writeFileSync(join(rootfs, 'etc/hosts'), '127.0.0.1 localhost\n::1 localhost\n');
}

function normaliseModes(dir: string): void {
  chmodSync(dir, 0o755);
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isSymbolicLink()) continue;
    if (st.isDirectory()) normaliseModes(p);
    else chmodSync(p, st.mode & 0o111 ? 0o755 : 0o644);
  }
}

function* walk(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.isFile()) yield p;
  }
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${(r.stdout + r.stderr).trim() || r.error?.message}`);
}
