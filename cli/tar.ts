/**
 * The image's `tar`, for `kubectl cp <pod>:/var/log/agentgate …`, which runs `tar cf - PATH` in the
 * container: the image has no shell and no tar of its own. Create-to-stdout only (nothing can be written
 * into the sidecar this way); POSIX ustar with pax headers for long names and large sizes, member names
 * without the leading '/', symlinks stored as links (never followed), other special files skipped.
 */
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, writeSync, type Stats } from 'node:fs';
import { join } from 'node:path';

const BLOCK = 512;
const USAGE = 'usage: tar cf - PATH... (this image only creates archives on standard output, for kubectl cp)\n';

export interface TarSink {
  write(chunk: Buffer): void;
}

/** Writes the archive of `paths` to `out`; returns the problems met (files skipped or unreadable). */
export function writeTar(paths: string[], out: TarSink): string[] {
  const problems: string[] = [];
  const add = (path: string): void => {
    let st: Stats;
    try {
      st = lstatSync(path);
    } catch (e) {
      problems.push(`${path}: ${(e as Error).message}`);
      return;
    }
    const name = memberName(path);
    if (st.isDirectory()) {
      if (name) entry(out, { name: `${name}/`, type: '5', st, size: 0 });
      let names: string[];
      try {
        names = readdirSync(path).sort();
      } catch (e) {
        problems.push(`${path}: ${(e as Error).message}`);
        return;
      }
      for (const n of names) add(join(path, n));
    } else if (st.isSymbolicLink()) {
      entry(out, { name, type: '2', st, size: 0, linkname: readlinkSync(path) });
    } else if (st.isFile()) {
      let fd: number;
      try {
        fd = openSync(path, 'r');
      } catch (e) {
        problems.push(`${path}: ${(e as Error).message}`);
        return;
      }
      try {
        // The size is what was there when the header was written: a file that grows (an audit log)
        // is cut at that size, one that shrinks is padded with zeros, as GNU tar does.
        entry(out, { name, type: '0', st, size: st.size });
        const buf = Buffer.alloc(64 * 1024);
        let left = st.size;
        while (left > 0) {
          const n = readSync(fd, buf, 0, Math.min(buf.length, left), null);
          if (n === 0) {
            problems.push(`${path}: file shrank by ${left} bytes; padded with zeros`);
            out.write(Buffer.alloc(left));
            break;
          }
          out.write(Buffer.from(buf.subarray(0, n)));
          left -= n;
        }
        out.write(Buffer.alloc((BLOCK - (st.size % BLOCK)) % BLOCK));
      } finally {
        closeSync(fd);
      }
    } else {
      problems.push(`${path}: not a regular file, directory or symlink; skipped`);
    }
  };
  for (const p of paths) add(p);
  out.write(Buffer.alloc(2 * BLOCK));
  return problems;
}

/** GNU tar's member name: no leading '/', no '..' to climb out of the extraction directory. */
function memberName(path: string): string {
  const parts = path.split('/').filter((p) => p && p !== '.');
  if (parts.includes('..')) throw new Error(`${path}: a member name may not contain '..'`);
  return parts.join('/');
}

function entry(out: TarSink, e: { name: string; type: string; st: Stats; size: number; linkname?: string }): void {
  const pax: Record<string, string> = {};
  const split = splitName(e.name);
  if (!split) pax.path = e.name;
  if (e.linkname !== undefined && Buffer.byteLength(e.linkname) > 100) pax.linkpath = e.linkname;
  if (e.size > 0o77777777777) pax.size = String(e.size);
  if (Object.keys(pax).length) {
    const body = Buffer.from(
      Object.entries(pax)
        .map(([k, v]) => paxRecord(k, v))
        .join(''),
    );
    out.write(
      header({
        name: 'PaxHeader',
        prefix: '',
        type: 'x',
        mode: 0o644,
        uid: 0,
        gid: 0,
        size: body.length,
        mtime: Math.floor(e.st.mtimeMs / 1000),
        linkname: '',
      }),
    );
    out.write(body);
    out.write(Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK));
  }
  out.write(
    header({
      name: split?.name ?? e.name.slice(-100),
      prefix: split?.prefix ?? '',
      type: e.type,
      mode: e.st.mode & 0o7777,
      uid: e.st.uid,
      gid: e.st.gid,
      size: pax.size ? 0 : e.size,
      mtime: Math.floor(e.st.mtimeMs / 1000),
      linkname: pax.linkpath ? '' : (e.linkname ?? ''),
    }),
  );
}

/** ustar's name (100 bytes) and prefix (155 bytes, split at a '/'), or undefined if it does not fit. */
function splitName(name: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { name, prefix: '' };
  for (let i = name.indexOf('/'); i > 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest) return { name: rest, prefix };
  }
  return undefined;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body);
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

function header(h: {
  name: string;
  prefix: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
}): Buffer {
  const b = Buffer.alloc(BLOCK);
  const str = (s: string, off: number, len: number): void =>
    void b.write(s, off, Math.min(Buffer.byteLength(s), len), 'utf8');
  const oct = (n: number, off: number, len: number): void => str(n.toString(8).padStart(len - 1, '0'), off, len - 1);
  str(h.name, 0, 100);
  oct(h.mode, 100, 8);
  oct(h.uid > 0o7777777 ? 0 : h.uid, 108, 8);
  oct(h.gid > 0o7777777 ? 0 : h.gid, 116, 8);
  oct(h.size, 124, 12);
  oct(h.mtime, 136, 12);
  b.fill(' ', 148, 156);
  str(h.type, 156, 1);
  str(h.linkname, 157, 100);
  str('ustar\u000000', 257, 8);
  str(h.prefix, 345, 155);
  let sum = 0;
  for (const byte of b) sum += byte;
  str(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8);
  return b;
}

/** `tar cf - PATH...` (also `-cf`); anything else is refused. Returns the exit status (GNU tar's: 2 on errors). */
export function tarMain(argv: string[], stdout: TarSink, stderr: (s: string) => void): number {
  const [mode, file, ...paths] = argv;
  if (!(mode === 'cf' || mode === '-cf') || file !== '-' || !paths.length || paths.some((p) => p.startsWith('-'))) {
    stderr(USAGE);
    return 2;
  }
  if (paths.some((p) => p.startsWith('/'))) stderr("tar: Removing leading `/' from member names\n");
  try {
    const problems = writeTar(paths, stdout);
    for (const p of problems) stderr(`tar: ${p}\n`);
    return problems.length ? 2 : 0;
  } catch (e) {
    stderr(`tar: ${(e as Error).message}\n`);
    return 2;
  }
}

/** The image's `tar` command: standard output written synchronously, whole. */
export function runTar(argv: string[]): number {
  const stdout: TarSink = {
    write(chunk) {
      for (let off = 0; off < chunk.length;) {
        try {
          off += writeSync(1, chunk, off);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        }
      }
    },
  };
  return tarMain(argv, stdout, (s) => process.stderr.write(s));
}
