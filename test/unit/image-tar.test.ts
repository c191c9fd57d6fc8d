/**
 * The image's `tar` (cli/tar.ts), which `kubectl cp <pod>:/var/log/agentgate …` runs as `tar cf - PATH`:
 * GNU tar must extract exactly what was there (long names, empty and block-sized files, binary data,
 * symlinks kept as links), and nothing but create-to-stdout is accepted.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tarMain, writeTar } from '../../cli/tar.js';

function archive(paths: string[]): { bytes: Buffer; problems: string[] } {
  const chunks: Buffer[] = [];
  const problems = writeTar(paths, { write: (c) => void chunks.push(Buffer.from(c)) });
  return { bytes: Buffer.concat(chunks), problems };
}

describe('image tar: tar cf - PATH for kubectl cp', () => {
  let src: string;
  let dst: string;
  const longDir = `${'d'.repeat(120)}/${'e'.repeat(120)}`;
  const longName = `${'f'.repeat(140)}.jsonl`;

  before(() => {
    src = mkdtempSync(join(tmpdir(), 'agentgate-tar-src-'));
    dst = mkdtempSync(join(tmpdir(), 'agentgate-tar-dst-'));
    mkdirSync(join(src, 'logs', 'sessions', longDir), { recursive: true });
    writeFileSync(join(src, 'logs', 'audit.log'), '{"seq":1}\n'.repeat(1000));
    writeFileSync(join(src, 'logs', 'empty'), '');
    writeFileSync(join(src, 'logs', 'block'), Buffer.alloc(1024, 7));
    writeFileSync(join(src, 'logs', 'binary'), Buffer.from(Array.from({ length: 70_001 }, (_, i) => (i * 31) % 256)));
    writeFileSync(join(src, 'logs', 'sessions', longDir, longName), 'recording\n');
    writeFileSync(join(src, 'logs', 'sessions', 'ümlaut-ß.jsonl'), 'x');
    symlinkSync('/etc/passwd', join(src, 'logs', 'link'));
  });
  after(() => {
    rmSync(src, { recursive: true, force: true });
    rmSync(dst, { recursive: true, force: true });
  });

  it('GNU tar extracts every file, name and byte; symlinks stay links; names lose the leading /', () => {
    const { bytes, problems } = archive([join(src, 'logs')]);
    expect(problems).to.deep.equal([]);
    expect(bytes.length % 512).to.equal(0);
    const list = spawnSync('tar', ['-tf', '-'], { input: bytes, encoding: 'utf8' });
    expect(list.status, list.stderr).to.equal(0);
    expect(list.stdout.split('\n').every((n) => !n.startsWith('/'))).to.equal(true);
    const x = spawnSync('tar', ['-xf', '-', '-C', dst], { input: bytes, encoding: 'utf8' });
    expect(x.status, x.stderr).to.equal(0);
    const out = join(dst, src.slice(1), 'logs');
    for (const f of [
      'audit.log',
      'empty',
      'block',
      'binary',
      `sessions/${longDir}/${longName}`,
      'sessions/ümlaut-ß.jsonl',
    ]) {
      expect(readFileSync(join(out, f)).equals(readFileSync(join(src, 'logs', f))), f).to.equal(true);
    }
    expect(readlinkSync(join(out, 'link'))).to.equal('/etc/passwd');
  });

  it('accepts only `cf - PATH...`: no extraction into the container, no other options or outputs', () => {
    const errors: string[] = [];
    const sink = { write: () => undefined };
    for (const argv of [
      ['xmf', '-'],
      ['-xmf', '-', '-C', '/tmp'],
      ['cf', '/tmp/out.tar', src],
      ['cf', '-'],
      ['cf', '-', '--to-command=sh', src],
      ['czf', '-', src],
    ]) {
      expect(
        tarMain(argv, sink, (s) => void errors.push(s)),
        argv.join(' '),
      ).to.equal(2);
    }
    expect(errors.every((e) => e.startsWith('usage: tar cf - PATH'))).to.equal(true);
  });

  it('a missing path is reported and fails the command (exit 2), as GNU tar does', () => {
    const errors: string[] = [];
    const status = tarMain(['cf', '-', join(src, 'nope')], { write: () => undefined }, (s) => void errors.push(s));
    expect(status).to.equal(2);
    expect(errors.join('')).to.match(/nope: ENOENT/);
  });
});
