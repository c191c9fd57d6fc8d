/**
 * Issue #17, class 4: an opted-in pod cannot reach around its sidecar. The admission checks are pure
 * functions (operator/webhook/pod-guard.ts); the webhook refuses on any reason they give.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { V1Pod } from '@kubernetes/client-node';
import { injectSidecar, wantsInjection } from '../../operator/webhook/inject.js';
import { PROXY_CONTAINER, PROXY_GID, PROXY_UID } from '../../shared/contract/sidecar.js';
import { STATUS } from '../../shared/contract/labels.js';
import { createRefusals, ephemeralRefusals, stripForgedStatus } from '../../operator/webhook/pod-guard.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';

const dir = new URL('../fixtures/inject/', import.meta.url).pathname;
const policy = parse(readFileSync(join(dir, 'policy.yaml'), 'utf8')) as AgentAccessPolicy;
const cfg = {
  image: 'ghcr.io/agentgate/agentgate:0.1.0',
  operator: { url: 'https://agentgate-webhook.agentgate-system.svc', auditWitness: true },
};
const pod = (): V1Pod => parse(readFileSync(join(dir, 'annotated-pod.input.yaml'), 'utf8')) as V1Pod;
const agent = (p: V1Pod) => p.spec!.containers[0]!;

describe('pod guard: what an opted-in pod may not bring to admission', () => {
  it('an ordinary agent pod is admissible', () => {
    expect(createRefusals(pod(), policy)).to.deep.equal([]);
  });

  it('refuses env and envFrom from a target credentials Secret (containers and init containers)', () => {
    const p = pod();
    agent(p).env = [{ name: 'DBPW', valueFrom: { secretKeyRef: { name: 'billing-db-credentials', key: 'password' } } }];
    p.spec!.initContainers = [{ name: 'setup', image: 'x', envFrom: [{ secretRef: { name: 'reports-credentials' } }] }];
    expect(createRefusals(p, policy)).to.deep.equal([
      'initContainer setup: envFrom reads the target credentials Secret reports-credentials',
      'container agent: env DBPW reads the target credentials Secret billing-db-credentials',
    ]);
    // Other Secrets are the pod's own business.
    agent(p).env = [{ name: 'API', valueFrom: { secretKeyRef: { name: 'agent-api-key', key: 'k' } } }];
    p.spec!.initContainers = [];
    expect(createRefusals(p, policy)).to.deep.equal([]);
  });

  it("refuses secret and projected volumes of the credentials, and projected tokens for the sidecar's audience", () => {
    const p = pod();
    p.spec!.volumes = [
      { name: 'creds', secret: { secretName: 'billing-db-credentials' } },
      {
        name: 'bundle',
        projected: {
          sources: [
            { secret: { name: 'reports-credentials' } },
            { serviceAccountToken: { audience: 'agentgate-proxy', path: 't' } },
          ],
        },
      },
      { name: 'mine', projected: { sources: [{ serviceAccountToken: { audience: 'agentgate', path: 't' } }] } },
    ];
    expect(createRefusals(p, policy)).to.deep.equal([
      'volume creds: mounts the target credentials Secret billing-db-credentials',
      'volume bundle: projects the target credentials Secret reports-credentials',
      "volume bundle: projects a token for audience agentgate-proxy, the sidecar's own",
    ]);
  });

  it("refuses mounting the sidecar's volumes by name (the audit log, the credentials, its token) and declaring agentgate- volumes", () => {
    const p = pod();
    agent(p).volumeMounts = [
      { name: 'agentgate-audit', mountPath: '/audit' },
      { name: 'agentgate-cred-billing-db', mountPath: '/c' },
    ];
    p.spec!.volumes = [{ name: 'agentgate-proxy-token', emptyDir: {} }];
    expect(createRefusals(p, policy)).to.deep.equal([
      'container agent: mounts agentgate-audit, a volume of the agentgate sidecar',
      'container agent: mounts agentgate-cred-billing-db, a volume of the agentgate sidecar',
      "volume agentgate-proxy-token: names starting with agentgate- are the sidecar's",
    ]);
  });

  it('a preset status annotation does not skip injection: it is stripped with a warning; a container named like the sidecar is refused', () => {
    const p = pod();
    p.metadata!.annotations![STATUS] = '{"version":1}';
    expect(wantsInjection(p).inject).to.equal(true);
    const { pod: clean, warnings } = stripForgedStatus(p);
    expect(clean.metadata!.annotations![STATUS]).to.equal(undefined);
    expect(warnings).to.deep.equal([`agentgate: removed the ${STATUS} annotation; only the injector sets it`]);
    expect(p.metadata!.annotations![STATUS], 'input untouched').to.be.a('string');
    p.spec!.initContainers = [{ name: PROXY_CONTAINER, image: 'evil/not-a-proxy' }];
    expect(createRefusals(p, policy)).to.deep.equal([
      `initContainer ${PROXY_CONTAINER}: the name ${PROXY_CONTAINER} is the sidecar's`,
    ]);
    // An injected pod submitted again (e.g. a copy of a running pod's YAML) is refused, not half-injected.
    expect(createRefusals(injectSidecar(pod(), policy, 'agents', cfg), policy)).to.include(
      `initContainer ${PROXY_CONTAINER}: the name ${PROXY_CONTAINER} is the sidecar's`,
    );
  });

  it('the sidecar runs as its own uid/gid; agents may not take them; a shared process namespace admits no ptrace-capable agent; no agent is privileged', () => {
    const injected = injectSidecar(pod(), policy, 'agents', cfg);
    const sidecar = injected.spec!.initContainers!.find((c) => c.name === PROXY_CONTAINER)!;
    expect(sidecar.securityContext).to.include({ runAsUser: PROXY_UID, runAsGroup: PROXY_GID, runAsNonRoot: true });
    const p = pod();
    p.spec!.securityContext = { runAsUser: PROXY_UID };
    expect(createRefusals(p, policy)).to.deep.equal([
      `container agent: runs as uid ${PROXY_UID}, reserved for the agentgate sidecar`,
    ]);
    p.spec!.securityContext = { fsGroup: PROXY_GID };
    expect(createRefusals(p, policy)).to.deep.equal([
      `pod securityContext: gid ${PROXY_GID} (fsGroup, supplementalGroups) is reserved for the agentgate sidecar`,
    ]);
    p.spec!.securityContext = {};
    p.spec!.shareProcessNamespace = true;
    expect(createRefusals(p, policy)).to.deep.equal([]);
    agent(p).securityContext = { capabilities: { add: ['SYS_PTRACE'] } };
    expect(createRefusals(p, policy)).to.deep.equal([
      'container agent: adds SYS_PTRACE, in a pod that shares its process namespace with the sidecar',
    ]);
    agent(p).securityContext = { privileged: true };
    expect(createRefusals(p, policy)).to.deep.equal([
      "container agent: privileged containers reach the node's files and processes",
    ]);
  });

  it('ephemeral containers may not target the sidecar, mount its volumes, read the credentials or run as its uid', () => {
    const before = injectSidecar(pod(), policy, 'agents', cfg);
    const withDebug = (c: NonNullable<V1Pod['spec']>['ephemeralContainers']): V1Pod => ({
      ...before,
      spec: { ...before.spec!, ephemeralContainers: c },
    });
    expect(
      ephemeralRefusals(before, withDebug([{ name: 'dbg', image: 'busybox', targetContainerName: 'agent' }])),
    ).to.deep.equal([]);
    // The agent's own token is the agent's: a debug container may mount it.
    expect(
      ephemeralRefusals(
        before,
        withDebug([{ name: 'dbg', image: 'busybox', volumeMounts: [{ name: 'agentgate-token', mountPath: '/t' }] }]),
      ),
    ).to.deep.equal([]);
    expect(
      ephemeralRefusals(
        before,
        withDebug([
          { name: 'a', image: 'busybox', targetContainerName: PROXY_CONTAINER },
          {
            name: 'b',
            image: 'busybox',
            volumeMounts: [
              { name: 'agentgate-audit', mountPath: '/x' },
              { name: 'agentgate-cred-billing-db', mountPath: '/c' },
              { name: 'agentgate-proxy-token', mountPath: '/p' },
            ],
          },
          {
            name: 'c',
            image: 'busybox',
            env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'billing-db-credentials', key: 'password' } } }],
          },
          { name: 'd', image: 'busybox', securityContext: { runAsUser: PROXY_UID } },
        ]),
      ),
    ).to.deep.equal([
      `ephemeralContainer a targets the sidecar ${PROXY_CONTAINER}`,
      "ephemeralContainer b mounts the sidecar's volume agentgate-audit",
      "ephemeralContainer b mounts the sidecar's volume agentgate-cred-billing-db",
      "ephemeralContainer b mounts the sidecar's volume agentgate-proxy-token",
      'ephemeralContainer c: env P reads the target credentials Secret billing-db-credentials',
      `ephemeralContainer d: runs as uid ${PROXY_UID}, reserved for the agentgate sidecar`,
    ]);
    // Pods without the sidecar: only the namespace's credentials and the node are off limits; containers already there are not judged again.
    expect(
      ephemeralRefusals(pod(), {
        ...pod(),
        spec: {
          ...pod().spec!,
          ephemeralContainers: [{ name: 'a', image: 'x', targetContainerName: PROXY_CONTAINER }],
        },
      }),
    ).to.deep.equal([]);
    const existing = withDebug([{ name: 'a', image: 'busybox', targetContainerName: PROXY_CONTAINER }]);
    expect(ephemeralRefusals(existing, existing)).to.deep.equal([]);
  });
});
