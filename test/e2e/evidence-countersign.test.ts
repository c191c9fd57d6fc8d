/**
 * Cluster exports countersigned by the operator, on the real API server: the operator (with its audit
 * key) authenticates the exporter with a TokenReview and authorizes them with a SubjectAccessReview
 * (verb countersign on evidencebundles.agentgate.dev, granted by the chart's agentgate-auditor role),
 * and `agentgate evidence verify` then checks the bundle offline against the operator's key pinned by
 * fingerprint (or its published keys kept apart): any file added, removed or changed fails, named.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import * as jose from 'jose';
import { parseAllDocuments } from 'yaml';
import { Operator } from '../../operator/operator.js';
import { AuditLog } from '../../proxy/audit/audit-log.js';
import { signBundle } from '../../proxy/audit/manifest.js';
import { ns, testCluster, type TestCluster } from './cluster.js';
import { loopbackWebhook } from './operator-options.js';

const run = promisify(execFile);
const NS = ns('e2e-csign');
const OPNS = ns('e2e-csign-op');
const BIN = new URL('../../bin/agentgate.js', import.meta.url).pathname;
const RBAC = new URL('../../charts/agentgate/templates/rbac.yaml', import.meta.url).pathname;

describe('report16: evidence bundles countersigned by the operator (real API server)', function () {
  this.timeout(180_000);
  let c: TestCluster;
  let op: Operator;
  let dir: string;
  let caFile: string;
  let operatorUrl: string;
  let auditFile: string;
  let bundle: string;
  let operatorKid: string;
  const kubeconfigAs = (user: string): string => {
    const kc = new KubeConfig();
    kc.loadFromFile(c.kubeconfig);
    kc.setCurrentContext(user);
    const f = join(dir, `kubeconfig-${user}.json`);
    writeFileSync(f, kc.exportConfig());
    return f;
  };
  const tokenOf = (user: string): string => c.kc.users.find((u) => u.name === user)!.token!;
  const cli = async (args: string[], as = 'approver-1'): Promise<{ code: number; out: string }> => {
    try {
      const r = await run(process.execPath, [BIN, ...args], { env: { ...process.env, KUBECONFIG: kubeconfigAs(as) } });
      return { code: 0, out: r.stdout };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, out: `${err.stdout}${err.stderr}` };
    }
  };
  const post = (token: string | undefined, body: unknown): Promise<{ status: number; json: any }> =>
    new Promise((resolve, reject) => {
      const req = https.request(
        new URL('/evidence/countersign', operatorUrl),
        {
          method: 'POST',
          ca: readFileSync(caFile),
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  const exportArgs = (out: string, namespace: string | null = NS): string[] => [
    'evidence',
    '--audit-file',
    auditFile,
    '--out',
    out,
    ...(namespace ? ['--namespace', namespace] : []),
    '--cluster',
    '--operator-namespace',
    OPNS,
    '--operator-url',
    operatorUrl,
    '--operator-ca',
    caFile,
    '--no-pdf',
  ];
  const copy = (): string => {
    const d = join(mkdtempSync(join(tmpdir(), 'agentgate-csign-edit-')), 'b');
    cpSync(bundle, d, { recursive: true });
    return d;
  };

  before(async function () {
    this.timeout(1_200_000);
    c = await testCluster();
    dir = mkdtempSync(join(tmpdir(), 'agentgate-csign-'));
    for (const n of [NS, OPNS]) await c.kubectl(['create', 'namespace', n]);
    // The chart's auditor role, as the chart defines it, bound to approver-1 in NS only.
    const auditor = parseAllDocuments(readFileSync(RBAC, 'utf8').replace(/\{\{[^}]*\}\}/g, '{}'))
      .map((d) => d.toJSON())
      .find((d) => d?.kind === 'ClusterRole' && d.metadata.name === 'agentgate-auditor');
    expect(auditor.rules).to.deep.include({
      apiGroups: ['agentgate.dev'],
      resources: ['evidencebundles'],
      verbs: ['countersign'],
    });
    const role = { ...auditor, metadata: { name: `agentgate-auditor-${NS}` } };
    expect((await c.kubectl(['apply', '-f', '-'], { input: JSON.stringify(role) })).code).to.equal(0);
    expect(
      (
        await c.kubectl([
          'create',
          'rolebinding',
          'auditor',
          '-n',
          NS,
          '--clusterrole',
          role.metadata.name,
          '--user',
          'approver-1',
        ])
      ).code,
    ).to.equal(0);
    // The export reads the operator's checkpoints (ConfigMaps in its namespace).
    await c.kubectl([
      'create',
      'role',
      'checkpoint-reader',
      '-n',
      OPNS,
      '--verb',
      'get,list',
      '--resource',
      'configmaps',
    ]);
    await c.kubectl([
      'create',
      'rolebinding',
      'checkpoint-reader',
      '-n',
      OPNS,
      '--role',
      'checkpoint-reader',
      '--user',
      'approver-1',
    ]);
    await c.kubectl(['create', 'serviceaccount', 'billing-agent', '-n', NS]);
    op = new Operator({
      kc: c.kc,
      leaseNamespace: OPNS,
      watchNamespace: NS,
      healthAddress: { host: '127.0.0.1', port: 0 },
      webhook: {
        ...loopbackWebhook(OPNS),
        auditWitness: {},
      },
    });
    await op.start();
    operatorUrl = `https://127.0.0.1:${op.operatorAddress!.port}`;
    const tls = JSON.parse(
      (await c.kubectl(['get', 'secret', 'agentgate-webhook-tls', '-n', OPNS, '-o', 'json'])).stdout,
    );
    caFile = join(dir, 'operator-ca.crt');
    writeFileSync(caFile, Buffer.from(tls.data['ca.crt'], 'base64'));
    // Audit files as exported from the cluster's log pipeline.
    auditFile = join(dir, 'audit.log');
    const audit = new AuditLog({ file: auditFile });
    audit.append({
      event: { action: 'proxy.start' },
      policy: { name: 'billing-agent', namespace: NS, generation: 1, mode: 'Enforce' },
    });
    audit.append({
      event: { action: 'statement.decision', outcome: 'failure' },
      policy: { name: 'billing-agent', namespace: NS },
      decision: 'Deny',
      enforced: true,
      rule: { name: 'no-ddl' },
      db: { query: { text: 'DROP TABLE orders' } },
    });
    audit.close();
    bundle = join(dir, 'bundle');
    const r = await cli(exportArgs(bundle));
    expect(r.code, r.out).to.equal(0);
    operatorKid = /countersigned by the operator \(manifest\.operator\.jws\) with its audit key (\S+):/.exec(
      r.out,
    )![1]!;
  });
  after(async () => {
    await op?.stop();
    await c?.kubectl(['delete', 'clusterrole', `agentgate-auditor-${NS}`]);
  });

  it("countersigns with the operator's audit key for the authenticated auditor, and verifies offline by fingerprint or the published keys", async () => {
    expect(operatorKid).to.equal((await op.auditKeys!.signingKey()).kid);
    const m = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8'));
    expect(m).to.deep.include({ source: 'cluster', namespace: NS });
    expect(m.countersigner).to.deep.include({ kind: 'operator audit key', url: operatorUrl });
    expect(m.files.map((f: { path: string }) => f.path)).to.include.members([
      'report.html',
      'audit/audit.log',
      'manifest-keys.json',
    ]);
    const claims = jose.decodeJwt(readFileSync(join(bundle, 'manifest.operator.jws'), 'utf8').trim());
    expect(claims).to.deep.include({ sub: 'approver-1', namespace: NS, aud: 'agentgate-evidence' });
    const v = await cli(['evidence', 'verify', bundle, `--fingerprint=${operatorKid}`]);
    expect(v.code, v.out).to.equal(0);
    expect(v.out)
      .to.contain(
        `countersigned by the operator (https://localhost:${op.operatorAddress!.port}) with key ${operatorKid}`,
      )
      .and.contain('for approver-1');
    // The operator's published keys, fetched apart from the bundle.
    const keys = join(dir, 'operator-audit-keys.json');
    writeFileSync(keys, JSON.stringify(op.auditKeys!.jwks()));
    expect((await cli(['evidence', 'verify', bundle, '--jwks', keys])).code).to.equal(0);
  });

  it('any file added, removed or changed fails, named; so does a removed or swapped countersignature', async () => {
    const changed = copy();
    appendFileSync(join(changed, 'audit', 'audit.log'), '\n');
    writeFileSync(
      join(changed, 'report.html'),
      readFileSync(join(changed, 'report.html'), 'utf8').replace('DROP TABLE orders', 'SELECT 1'),
    );
    writeFileSync(join(changed, 'notes.txt'), 'added\n');
    rmSync(join(changed, 'decisions.csv'));
    const a = await cli(['evidence', 'verify', changed, `--fingerprint=${operatorKid}`]);
    expect(a.code).to.equal(1);
    expect(a.out)
      .to.contain('changed: audit/audit.log')
      .and.contain('changed: report.html')
      .and.contain('added: notes.txt')
      .and.contain('removed: decisions.csv');

    const unsigned = copy();
    rmSync(join(unsigned, 'manifest.operator.jws'));
    const b = await cli(['evidence', 'verify', unsigned, `--fingerprint=${operatorKid}`]);
    expect(b.code).to.equal(1);
    expect(b.out).to.contain('not a signed bundle');

    // A countersignature the operator really made, but for another digest.
    const swapped = copy();
    const other = await post(tokenOf('approver-1'), { manifestSha256: 'a'.repeat(64), namespace: NS });
    expect(other.status).to.equal(200);
    writeFileSync(join(swapped, 'manifest.operator.jws'), `${other.json.jws}\n`);
    const s = await cli(['evidence', 'verify', swapped, `--fingerprint=${operatorKid}`]);
    expect(s.code).to.equal(1);
    expect(s.out).to.contain('manifest.json: changed after it was signed');
  });

  it("an edited bundle re-signed with the editor's own key fails against the operator's fingerprint", async () => {
    const d = copy();
    writeFileSync(join(d, 'report.html'), 'nothing to see\n');
    for (const f of ['manifest.json', 'manifest.operator.jws']) rmSync(join(d, f));
    const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
    const pub = await jose.exportJWK(publicKey);
    const kid = await jose.calculateJwkThumbprint(pub);
    await signBundle(
      d,
      {
        exportedAt: new Date().toISOString(),
        period: { from: '2000-01-01T00:00:00.000Z', to: '2100-01-01T00:00:00.000Z' },
        source: 'cluster',
      },
      { kid, key: privateKey, kind: 'forger', jwks: { keys: [{ ...pub, kid }] } },
    );
    const r = await cli(['evidence', 'verify', d, `--fingerprint=${operatorKid}`]);
    expect(r.code).to.equal(1);
    expect(r.out).to.contain(`no key in the bundle has the trusted fingerprint ${operatorKid}`);
  });

  it('the operator countersigns only for callers the API server authenticates and authorizes, in the scope granted', async () => {
    expect((await post(undefined, { manifestSha256: 'a'.repeat(64) })).status).to.equal(401);
    expect((await post('not-a-token', { manifestSha256: 'a'.repeat(64), namespace: NS })).status).to.equal(401);
    const dev = await post(tokenOf('dev-user'), { manifestSha256: 'a'.repeat(64), namespace: NS });
    expect(dev.status).to.equal(403);
    expect(dev.json.detail)
      .to.contain('dev-user may not have evidence countersigned in namespace')
      .and.contain('countersign on evidencebundles.agentgate.dev');
    // The agent's own service-account token: authenticated, not authorized.
    const agentToken = (
      await c.kubectl(['create', 'token', 'billing-agent', '-n', NS, '--duration', '10m'])
    ).stdout.trim();
    const agent = await post(agentToken, { manifestSha256: 'a'.repeat(64), namespace: NS });
    expect(agent.status).to.equal(403);
    expect(agent.json.detail).to.contain(`system:serviceaccount:${NS}:billing-agent may not`);
    // approver-1 is an auditor of NS only: not cluster-wide, not of another namespace.
    expect((await post(tokenOf('approver-1'), { manifestSha256: 'a'.repeat(64) })).status).to.equal(403);
    expect((await post(tokenOf('approver-1'), { manifestSha256: 'a'.repeat(64), namespace: OPNS })).status).to.equal(
      403,
    );
    expect((await post(tokenOf('approver-1'), { manifestSha256: 'not hex', namespace: NS })).status).to.equal(400);
    expect((await post(tokenOf('approver-1'), { manifestSha256: 'a'.repeat(64), namespace: '../x' })).status).to.equal(
      400,
    );
    // The CLI says why, and an unauthorized export is not passed off as countersigned.
    const wide = await cli(exportArgs(join(dir, 'wide'), null));
    expect(wide.code).to.equal(1);
    expect(wide.out).to.contain('may not have evidence countersigned cluster-wide');
    const devExport = await cli(exportArgs(join(dir, 'dev')), 'dev-user');
    expect(devExport.code).to.equal(1);
    expect(devExport.out).to.contain('dev-user may not have evidence countersigned');
    expect(existsSync(join(dir, 'wide')) || existsSync(join(dir, 'dev'))).to.equal(false);
  });
});
