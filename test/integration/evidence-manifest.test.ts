/**
 * The evidence bundle proves it was not edited after export: a real run, the export through the CLI
 * (signed with the local witness key), then `agentgate evidence verify` against a key the verifier
 * holds apart from the bundle — and every edit an editor could make fails, naming the file.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as jose from 'jose';
import { signBundle, type EvidenceManifest } from '../../proxy/audit/manifest.js';
import { startLocalStack, type LocalStack } from '../../proxy/local/stack.js';

const run = promisify(execFile);
const BIN = new URL('../../bin/agentgate.js', import.meta.url).pathname;

/** Runs the CLI; resolves with the exit code and output whether it succeeded or not. */
async function cli(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, [BIN, ...args]);
    return { code: 0, out: r.stdout };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: `${err.stdout}${err.stderr}` };
  }
}

describe('evidence bundle: signed manifest, verified offline', function () {
  this.timeout(120_000);
  let s: LocalStack;
  let bundle: string;
  let fingerprint: string;
  /** The witness's public keys as the verifier keeps them (not the bundle's copy). */
  let trustedJwks: string;
  const edited = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'agentgate-edited-'));
    cpSync(bundle, d, { recursive: true });
    return d;
  };

  before(async () => {
    s = await startLocalStack({ witness: true });
    const c = await s.connect('manifest-agent');
    await c.query('SELECT email FROM customers');
    await c.query('DROP TABLE orders').catch(() => undefined);
    await c.end();
    await s.proxy.stop();
    bundle = join(mkdtempSync(join(tmpdir(), 'agentgate-bundle-')), 'out');
    const r = await cli([
      'evidence',
      '--audit-file',
      s.auditFile,
      '--witness',
      join(s.dir, 'witness', 'checkpoints.jsonl'),
      '--out',
      bundle,
      '--from',
      '2000-01-01',
      '--to',
      '2100-01-01',
    ]);
    expect(r.code, r.out).to.equal(0);
    fingerprint = /signed \(manifest\.json, manifest\.jws\) by key (\S+):/.exec(r.out)![1]!;
    trustedJwks = join(s.dir, 'witness', 'checkpoint-jwks.json');
  });
  after(() => s?.postgres.stop());

  it('lists every file of the bundle with its size and sha256, and the export parameters', () => {
    const m = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8')) as EvidenceManifest;
    expect(m.period).to.deep.equal({ from: '2000-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z' });
    expect(m.source).to.equal('local');
    expect(m.signer?.kid).to.equal(fingerprint);
    const paths = m.files.map((f) => f.path);
    expect(paths).to.include.members([
      'summary.json',
      'decisions.csv',
      'records.jsonl',
      'report.html',
      'audit/audit.log',
      'witness/checkpoints.jsonl',
      'witness/checkpoint-jwks.json',
      'manifest-keys.json',
    ]);
    expect(paths.filter((p) => p.startsWith('audit/sessions/audit.log/'))).to.have.length(1);
    expect(paths).to.not.include('manifest.json');
  });

  it('verifies with the pinned fingerprint, and with the witness keys kept apart from the bundle', async () => {
    const a = await cli(['evidence', 'verify', bundle, `--fingerprint=${fingerprint}`]);
    expect(a.code, a.out).to.equal(0);
    expect(a.out).to.match(/^ok: .* file\(s\) exactly as signed by key/);
    const b = await cli(['evidence', 'verify', bundle, '--jwks', trustedJwks]);
    expect(b.code, b.out).to.equal(0);
  });

  it('refuses to verify without a trusted key from outside the bundle', async () => {
    const r = await cli(['evidence', 'verify', bundle]);
    expect(r.code).to.equal(2);
    expect(r.out).to.contain('the keys to trust must come from outside the bundle');
    const own = await cli(['evidence', 'verify', bundle, '--jwks', join(bundle, 'manifest-keys.json')]);
    expect(own.code).to.equal(1);
    expect(own.out).to.contain('keys from inside the bundle prove nothing');
  });

  it('a changed byte fails, naming the file', async () => {
    const d = edited();
    const log = join(d, 'audit', 'audit.log');
    const text = readFileSync(log);
    text[10] = text[10]! ^ 1;
    writeFileSync(log, text);
    const r = await cli(['evidence', 'verify', d, `--fingerprint=${fingerprint}`]);
    expect(r.code).to.equal(1);
    expect(r.out).to.contain('changed: audit/audit.log');
  });

  it('an added file, an added symlink and a removed file fail, each named', async () => {
    const d = edited();
    writeFileSync(join(d, 'audit', 'extra.log'), 'x\n');
    symlinkSync('/etc/hostname', join(d, 'link'));
    rmSync(join(d, 'decisions.csv'));
    const r = await cli(['evidence', 'verify', d, '--jwks', trustedJwks]);
    expect(r.code).to.equal(1);
    expect(r.out)
      .to.contain('added: audit/extra.log')
      .and.contain('added: link (not a regular file)')
      .and.contain('removed: decisions.csv');
  });

  it('an edited manifest fails', async () => {
    const d = edited();
    appendFileSync(join(d, 'manifest.json'), ' ');
    const r = await cli(['evidence', 'verify', d, `--fingerprint=${fingerprint}`]);
    expect(r.code).to.equal(1);
    expect(r.out).to.contain('manifest.json: changed after it was signed');
  });

  it('an edited bundle re-signed with another key (its keys shipped in the bundle) fails', async () => {
    const d = edited();
    writeFileSync(
      join(d, 'report.html'),
      readFileSync(join(d, 'report.html'), 'utf8').replace('DROP TABLE orders', 'SELECT 1'),
    );
    const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
    const pub = await jose.exportJWK(publicKey);
    const kid = await jose.calculateJwkThumbprint(pub);
    for (const f of ['manifest.json', 'manifest.jws']) rmSync(join(d, f));
    await signBundle(
      d,
      {
        exportedAt: new Date().toISOString(),
        period: { from: '2000-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z' },
        source: 'local',
      },
      { kid, key: privateKey, kind: 'forger', jwks: { keys: [{ ...pub, kid, alg: 'ES256' }] } },
    );
    // The forged bundle is self-consistent: it verifies only against the forger's own key.
    expect((await cli(['evidence', 'verify', d, `--fingerprint=${kid}`])).code).to.equal(0);
    const byFingerprint = await cli(['evidence', 'verify', d, `--fingerprint=${fingerprint}`]);
    expect(byFingerprint.code).to.equal(1);
    expect(byFingerprint.out).to.contain(
      `manifest-keys.json: no key in the bundle has the trusted fingerprint ${fingerprint}`,
    );
    const byJwks = await cli(['evidence', 'verify', d, '--jwks', trustedJwks]);
    expect(byJwks.code).to.equal(1);
    expect(byJwks.out).to.contain('manifest.jws: the signature does not verify with the trusted keys');
  });

  it('a signature file replaced by one of another bundle fails', async () => {
    const other = join(mkdtempSync(join(tmpdir(), 'agentgate-bundle2-')), 'out');
    const r = await cli([
      'evidence',
      '--audit-file',
      s.auditFile,
      '--witness',
      join(s.dir, 'witness', 'checkpoints.jsonl'),
      '--out',
      other,
      '--from',
      '2001-01-01',
    ]);
    expect(r.code, r.out).to.equal(0);
    const d = edited();
    cpSync(join(other, 'manifest.jws'), join(d, 'manifest.jws'));
    const v = await cli(['evidence', 'verify', d, `--fingerprint=${fingerprint}`]);
    expect(v.code).to.equal(1);
    expect(v.out).to.contain('manifest.json: changed after it was signed');
  });

  it('refuses to export into a directory that already holds files (they would be signed as part of the bundle)', async () => {
    const r = await cli([
      'evidence',
      '--audit-file',
      s.auditFile,
      '--witness',
      join(s.dir, 'witness', 'checkpoints.jsonl'),
      '--out',
      bundle,
    ]);
    expect(r.code).to.equal(1);
    expect(r.out).to.contain('is not empty');
  });
});
