/**
 * The chart and the injected sidecar under a restricted security context: non-root, read-only root
 * filesystem, no capabilities, no privilege escalation, RuntimeDefault seccomp, and writable volumes
 * only where the process writes (emptyDirs: /tmp, and the proxy's audit directory). The chart's image
 * is the one `npm run image` builds.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Container, V1PodSpec, V1Volume } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { IMAGE_REPOSITORY } from '../../scripts/image/build.js';
import { injectSidecar } from '../../operator/webhook/inject.js';
import { AUDIT_DIR, PROXY_CONTAINER } from '../../shared/contract/sidecar.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';
import { loadPolicyFile } from '../../proxy/policy/load.js';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
const IMAGE = `${IMAGE_REPOSITORY}:${pkg.version}`;

function helmTemplate(...set: string[]): Record<string, unknown>[] {
  const bin = execFileSync('bash', ['test/cluster/build.sh'], { encoding: 'utf8' }).trim();
  const out = execFileSync(
    join(bin, 'helm'),
    ['template', 'agentgate', 'charts/agentgate', '-n', 'agentgate-system', ...set.flatMap((s) => ['--set', s])],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return parseAllDocuments(out)
    .map((d) => d.toJSON() as Record<string, unknown>)
    .filter(Boolean);
}

/** The container's effective settings (container fields override the pod's) and what it can write. */
function restrictions(spec: V1PodSpec, c: V1Container) {
  const pod = spec.securityContext ?? {};
  const sc = c.securityContext ?? {};
  const volumes = new Map((spec.volumes ?? []).map((v): [string, V1Volume] => [v.name, v]));
  const writable = (c.volumeMounts ?? []).filter((m) => !m.readOnly);
  return {
    runAsNonRoot: sc.runAsNonRoot ?? pod.runAsNonRoot,
    uid: sc.runAsUser ?? pod.runAsUser,
    seccomp: (sc.seccompProfile ?? pod.seccompProfile)?.type,
    readOnlyRootFilesystem: sc.readOnlyRootFilesystem,
    allowPrivilegeEscalation: sc.allowPrivilegeEscalation,
    drop: sc.capabilities?.drop,
    add: sc.capabilities?.add ?? [],
    privileged: sc.privileged ?? false,
    writable: writable.map((m) => m.mountPath).sort(),
    writableKinds: writable.map((m) => Object.keys(volumes.get(m.name) ?? {}).filter((k) => k !== 'name')[0]),
  };
}

const RESTRICTED = {
  runAsNonRoot: true,
  seccomp: 'RuntimeDefault',
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  drop: ['ALL'],
  add: [],
  privileged: false,
};

describe('chart and sidecar security context', function () {
  this.timeout(600_000);

  for (const variant of [[], ['webhook.requireClientCert=true', 'webhook.clientCASecret=webhook-ca']]) {
    it(`operator Deployment${variant.length ? ' (with the webhook client CA)' : ''}: restricted, non-root, writable /tmp only, the npm run image image`, () => {
      const deployments = helmTemplate(...variant).filter((d) => d.kind === 'Deployment');
      expect(deployments).to.have.length(1);
      const spec = (deployments[0] as { spec: { template: { spec: V1PodSpec } } }).spec.template.spec;
      expect(spec.hostNetwork ?? false).to.equal(false);
      expect(spec.hostPID ?? false).to.equal(false);
      for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
        const r = restrictions(spec, c);
        expect(r, c.name).to.deep.include(RESTRICTED);
        expect(r.uid, c.name).to.be.greaterThan(0);
        expect(r.writable, c.name).to.deep.equal(['/tmp']);
        expect(r.writableKinds, c.name).to.deep.equal(['emptyDir']);
        expect(c.image).to.equal(IMAGE);
        expect(c.imagePullPolicy).to.equal('IfNotPresent');
        expect(c.env?.find((e) => e.name === 'AGENTGATE_PROXY_IMAGE')?.value).to.equal(IMAGE);
      }
    });
  }

  it('the injected sidecar: restricted, its own non-root uid, writable only its audit directory and /tmp (emptyDirs)', () => {
    const { policy } = loadPolicyFile('examples/cluster/policy.yaml') as { policy: AgentAccessPolicy };
    const pod = injectSidecar(
      { metadata: { name: 'agent', namespace: 'agents' }, spec: { containers: [{ name: 'agent', image: 'agent' }] } },
      policy,
      'agents',
      { image: IMAGE, operator: { url: 'https://agentgate-webhook.agentgate-system.svc', auditWitness: true } },
    );
    const spec = pod.spec!;
    const sidecar = spec.initContainers!.find((c) => c.name === PROXY_CONTAINER)!;
    const r = restrictions(spec, sidecar);
    expect(r).to.deep.include(RESTRICTED);
    expect(r.uid).to.be.greaterThan(0);
    expect(r.writable).to.deep.equal([AUDIT_DIR, '/tmp'].sort());
    expect(r.writableKinds).to.deep.equal(['emptyDir', 'emptyDir']);
    expect(sidecar.image).to.equal(IMAGE);
  });
});
