/**
 * Change management on a real API server: the admission webhook stamps who changed an
 * AgentAccessPolicy (kubectl --as), the operator keeps status.history and PolicyChanged Events, forged
 * stamps are restored, the compiled ConfigMap carries the stamp to the proxies, and the evidence
 * export's CC8.1 lists the changes with their authors.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { Operator } from '../../operator/operator.js';
import { AuditLog } from '../../proxy/audit/audit-log.js';
import { loadPolicyFile } from '../../proxy/policy/load.js';
import { EXAMPLE_POLICY } from '../../proxy/local/stack.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { eventually, ns, testCluster, type TestCluster } from './cluster.js';

const run = promisify(execFile);
const NS = ns('e2e-changes');
const CONFIG = `agentgate-changes-${NS}`;
const BIN = new URL('../../bin/agentgate.js', import.meta.url).pathname;

describe('policy change management (webhook stamps, status.history, evidence)', function () {
  this.timeout(180_000);
  let c: TestCluster;
  let op: Operator;
  let policy: AgentAccessPolicy;
  const as = (user: string, args: string[], input?: string) =>
    c.kubectl([...args, '--as', user, '--as-group', 'system:masters'], input ? { input } : {});
  const get = async (): Promise<any> =>
    JSON.parse((await c.kubectl(['get', 'aap', 'billing-agent', '-n', NS, '-o', 'json'])).stdout);
  const historyOf = async (n: number): Promise<any[]> =>
    eventually(
      `${n} history entries`,
      async () => {
        const h = (await get()).status?.history ?? [];
        return h.length === n ? h : undefined;
      },
      30_000,
      200,
    );

  before(async function () {
    this.timeout(1_200_000);
    c = await testCluster();
    await c.kubectl(['create', 'namespace', NS]);
    op = new Operator({
      kc: c.kc,
      leaseNamespace: NS,
      watchNamespace: NS,
      healthAddress: { host: '127.0.0.1', port: 0 },
      webhook: {
        host: '127.0.0.1',
        port: 0,
        namespace: NS,
        dnsNames: ['localhost'],
        ipAddresses: ['127.0.0.1'],
        configurationName: CONFIG,
        injector: { image: 'x' },
        auditWitness: false,
      },
    });
    await op.start();
    const mwc = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: CONFIG },
      webhooks: [
        {
          name: 'policies.agentgate.dev',
          clientConfig: { url: `https://127.0.0.1:${op.webhookAddress!.port}/mutate-policies` },
          rules: [
            {
              operations: ['CREATE', 'UPDATE'],
              apiGroups: ['agentgate.dev'],
              apiVersions: ['v1alpha1'],
              resources: ['agentaccesspolicies'],
            },
          ],
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': NS } },
          failurePolicy: 'Fail',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          timeoutSeconds: 10,
        },
      ],
    };
    expect((await c.kubectl(['apply', '-f', '-'], { input: stringify(mwc) })).code).to.equal(0);
    await op.renewWebhookCertificate(); // writes the caBundle into CONFIG
    policy = loadPolicyFile(EXAMPLE_POLICY).policy;
    policy.metadata = { name: 'billing-agent', namespace: NS };
    policy.spec.identity.issuers[0]!.jwksFile = undefined as never;
    policy.spec.identity.issuers[0] = {
      issuer: 'https://issuer.example',
      audiences: ['agentgate'],
      jwksUri: 'https://issuer.example/jwks',
    };
  });
  after(async () => {
    await op?.stop();
    await c?.kubectl(['delete', 'mutatingwebhookconfiguration', CONFIG]);
  });

  it('records who created and who changed the policy, in status.history and Events', async () => {
    const created = await eventually(
      'create admitted',
      async () => {
        const r = await as('alice@example.com', ['apply', '-f', '-'], stringify(policy));
        return r.code === 0 ? r : undefined; // the caBundle may take a moment to be used
      },
      30_000,
      500,
    );
    expect(created.code).to.equal(0);
    const [first] = await historyOf(1);
    expect(first).to.include({ generation: 1, changedBy: 'alice@example.com', outcome: 'Compiled' });
    policy.spec.mode = 'Audit';
    expect((await as('bob@example.com', ['apply', '-f', '-'], stringify(policy))).code).to.equal(0);
    const h = await historyOf(2);
    expect(h[1]).to.include({ generation: 2, changedBy: 'bob@example.com', outcome: 'Compiled' });
    expect(h[1].specSha256).to.not.equal(h[0].specSha256);
    const events = await eventually('PolicyChanged events', async () => {
      const r = await c.kubectl([
        'get',
        'events',
        '-n',
        NS,
        '--field-selector',
        'reason=PolicyChanged',
        '-o',
        'jsonpath={range .items[*]}{.message}{"\\n"}{end}',
      ]);
      return r.stdout.includes('bob@example.com') ? r.stdout : undefined;
    });
    expect(events).to.contain('generation 1 by alice@example.com').and.contain('generation 2 by bob@example.com');
  });

  it('a forged stamp is restored; the compiled ConfigMap carries the real one to the proxies', async () => {
    const r = await as('mallory@example.com', [
      'annotate',
      'aap',
      'billing-agent',
      '-n',
      NS,
      '--overwrite',
      'agentgate.dev/changed-by=carol@example.com',
    ]);
    expect(r.code, r.stderr).to.equal(0);
    expect((await get()).metadata.annotations['agentgate.dev/changed-by']).to.equal('bob@example.com');
    const compiled = await eventually('ConfigMap at generation 2', async () => {
      const cm = JSON.parse(
        (await c.kubectl(['get', 'configmap', 'agentgate-policy-billing-agent', '-n', NS, '-o', 'json'])).stdout,
      );
      const p = JSON.parse(cm.data['policy.json']);
      return p.metadata.generation === 2 ? p : undefined;
    });
    expect(compiled.metadata.annotations).to.include({ 'agentgate.dev/changed-by': 'bob@example.com' });
  });

  it('an invalid change is recorded with its author and outcome; the previous version stays compiled', async () => {
    const bad = structuredClone(policy);
    bad.spec.targets[0]!.credentials = { secretRef: { name: 'no-such-secret', key: 'password' } }; // only the operator can tell
    const r = await as('carol@example.com', ['apply', '-f', '-'], stringify(bad));
    expect(r.code, r.stderr).to.equal(0);
    const h = await historyOf(3);
    expect(h[2]).to.include({ generation: 3, changedBy: 'carol@example.com', outcome: 'Invalid' });
    const cm = JSON.parse(
      (await c.kubectl(['get', 'configmap', 'agentgate-policy-billing-agent', '-n', NS, '-o', 'json'])).stdout,
    );
    expect(JSON.parse(cm.data['policy.json']).metadata.generation).to.equal(2);
  });

  it('the evidence export lists every change with its author under CC8.1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentgate-changes-'));
    const audit = new AuditLog({ file: join(dir, 'audit.log') });
    audit.append({
      event: { action: 'proxy.start' },
      policy: { name: 'billing-agent', namespace: NS, generation: 2, mode: 'Audit' },
      detail: { change: { changedBy: 'bob@example.com', specSha256: 'b'.repeat(64) } },
    });
    audit.close();
    const out = join(dir, 'evidence');
    const r = await run(
      process.execPath,
      [
        BIN,
        'evidence',
        '--audit-file',
        join(dir, 'audit.log'),
        '--out',
        out,
        '--namespace',
        NS,
        '--cluster',
        '--operator-namespace',
        NS,
      ],
      { env: { ...process.env, KUBECONFIG: c.kubeconfig } },
    );
    expect(r.stdout).to.contain('policies.json');
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.policyChanges.map((h: any) => [h.generation, h.changedBy, h.outcome])).to.deep.equal([
      [1, 'alice@example.com', 'Compiled'],
      [2, 'bob@example.com', 'Compiled'],
      [3, 'carol@example.com', 'Invalid'],
    ]);
    expect(summary.unattributedPolicyChanges).to.equal(0);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const cc81 = html.slice(html.indexOf('CC8.1'));
    for (const who of ['alice@example.com', 'bob@example.com', 'carol@example.com']) expect(cc81).to.contain(who);
  });
});
