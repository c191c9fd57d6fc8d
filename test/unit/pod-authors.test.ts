/**
 * Review #17 R1–R4: every pod of an injection-enabled namespace, opted in or not, is kept from what only
 * the injected sidecar may hold (any policy target's credentials, its token audience, its name and
 * volumes, the node's files); a later UPDATE cannot change the sidecar, its volumes or the stamp.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { V1Pod } from '@kubernetes/client-node';
import { injectSidecar } from '../../operator/webhook/inject.js';
import { PROXY_CONTAINER } from '../../shared/contract/sidecar.js';
import { STATUS } from '../../shared/contract/labels.js';
import {
  createRefusals,
  credentialSecrets,
  ephemeralRefusals,
  podRefusals,
  updateRefusals,
} from '../../operator/webhook/pod-guard.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';

const dir = new URL('../fixtures/inject/', import.meta.url).pathname;
const policy = parse(readFileSync(join(dir, 'policy.yaml'), 'utf8')) as AgentAccessPolicy;
const other = {
  ...structuredClone(policy),
  metadata: { name: 'other', namespace: 'agents' },
  spec: {
    ...structuredClone(policy.spec),
    targets: [
      { ...structuredClone(policy.spec.targets[0]!), credentials: { secretRef: { name: 'other-db-credentials' } } },
    ],
  },
} as AgentAccessPolicy;
const cfg = {
  image: 'ghcr.io/agentgate/agentgate:0.1.0',
  operator: { url: 'https://agentgate-webhook.agentgate-system.svc', auditWitness: true },
};
const plain = (spec: Partial<NonNullable<V1Pod['spec']>> = {}): V1Pod => ({
  metadata: { name: 'p', namespace: 'agents' },
  spec: { containers: [{ name: 'agent', image: 'x' }], ...spec },
});
const credentials = credentialSecrets([policy, other]);

describe('pod authors: what no pod of an injection-enabled namespace may hold, opted in or not', () => {
  it("the namespace's credentials are every policy's targets'", () => {
    expect([...credentials].sort()).to.deep.equal([
      'billing-db-credentials',
      'other-db-credentials',
      'reports-credentials',
    ]);
  });

  it("a pod that does not opt in may not read any target's credentials, project the sidecar's token, or pose as the sidecar", () => {
    expect(podRefusals(plain(), credentials)).to.deep.equal([]);
    expect(
      podRefusals(
        plain({
          containers: [
            {
              name: 'agent',
              image: 'x',
              env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'other-db-credentials', key: 'password' } } }],
              envFrom: [{ secretRef: { name: 'app-settings' } }],
            },
          ],
        }),
        credentials,
      ),
    ).to.deep.equal(['container agent: env PW reads the target credentials Secret other-db-credentials']);
    expect(
      podRefusals(
        plain({
          volumes: [
            { name: 's', secret: { secretName: 'billing-db-credentials' } },
            {
              name: 'p',
              projected: {
                sources: [
                  { secret: { name: 'reports-credentials' } },
                  { serviceAccountToken: { audience: 'agentgate-proxy', path: 't' } },
                ],
              },
            },
          ],
        }),
        credentials,
      ),
    ).to.deep.equal([
      'volume s: mounts the target credentials Secret billing-db-credentials',
      'volume p: projects the target credentials Secret reports-credentials',
      "volume p: projects a token for audience agentgate-proxy, the sidecar's own",
    ]);
    expect(
      podRefusals(
        plain({
          containers: [
            { name: PROXY_CONTAINER, image: 'evil', volumeMounts: [{ name: 'agentgate-x', mountPath: '/x' }] },
          ],
          volumes: [{ name: 'agentgate-x', emptyDir: {} }],
        }),
        credentials,
      ),
    ).to.deep.equal([
      `container ${PROXY_CONTAINER}: the name ${PROXY_CONTAINER} is the sidecar's`,
      `container ${PROXY_CONTAINER}: mounts agentgate-x, a volume of the agentgate sidecar`,
      "volume agentgate-x: names starting with agentgate- are the sidecar's",
    ]);
  });

  it("an opted-in pod may not read another policy's credentials of its namespace either", () => {
    const p = plain({
      containers: [{ name: 'agent', image: 'x', envFrom: [{ secretRef: { name: 'other-db-credentials' } }] }],
    });
    expect(createRefusals(p, policy)).to.deep.equal([]);
    expect(createRefusals(p, policy, [policy, other])).to.deep.equal([
      'container agent: envFrom reads the target credentials Secret other-db-credentials',
    ]);
  });

  it("no pod reaches the node's files (where the sidecar's Secret volume lives): hostPath, privileged, host-reaching capabilities", () => {
    expect(
      podRefusals(plain({ volumes: [{ name: 'k', hostPath: { path: '/var/lib/kubelet/pods' } }] }), credentials),
    ).to.deep.equal([
      "volume k: hostPath /var/lib/kubelet/pods exposes the node's files, where the sidecar's credentials are mounted",
    ]);
    expect(
      podRefusals(
        plain({ containers: [{ name: 'agent', image: 'x', securityContext: { privileged: true } }] }),
        credentials,
      ),
    ).to.deep.equal(["container agent: privileged containers reach the node's files and processes"]);
    expect(
      podRefusals(
        plain({
          initContainers: [
            {
              name: 'i',
              image: 'x',
              securityContext: { capabilities: { add: ['NET_BIND_SERVICE', 'cap_dac_read_search', 'SYS_ADMIN'] } },
            },
          ],
        }),
        credentials,
      ),
    ).to.deep.equal([
      'initContainer i: adds cap_dac_read_search, SYS_ADMIN, which reach past the container to the node',
    ]);
    expect(
      createRefusals(
        plain({
          containers: [{ name: 'agent', image: 'x', securityContext: { capabilities: { add: ['ALL'] } } }],
          shareProcessNamespace: true,
        }),
        policy,
      ),
    ).to.deep.equal(['container agent: adds ALL, which reach past the container to the node']);
  });

  it("a debug container in a pod without the sidecar may not read the namespace's credentials nor be privileged", () => {
    const withDebug = plain({
      ephemeralContainers: [
        {
          name: 'dbg',
          image: 'x',
          env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'billing-db-credentials', key: 'password' } } }],
          securityContext: { privileged: true },
        },
      ],
    });
    expect(ephemeralRefusals(plain(), withDebug, credentials)).to.deep.equal([
      'ephemeralContainer dbg: env PW reads the target credentials Secret billing-db-credentials',
      "ephemeralContainer dbg: privileged containers reach the node's files and processes",
    ]);
    expect(
      ephemeralRefusals(plain(), plain({ ephemeralContainers: [{ name: PROXY_CONTAINER, image: 'x' }] }), credentials),
    ).to.deep.equal([`ephemeralContainer ${PROXY_CONTAINER}: the name ${PROXY_CONTAINER} is the sidecar's`]);
  });

  it("an UPDATE may not change the sidecar, its volumes, or the stamp; the agent's own image and the labels may change", () => {
    const injected = injectSidecar(plain(), policy, 'agents', cfg);
    const changed = (f: (p: V1Pod) => void): V1Pod => {
      const p = structuredClone(injected);
      f(p);
      return p;
    };
    expect(
      updateRefusals(
        injected,
        changed((p) => {
          p.spec!.containers[0]!.image = 'y';
          p.metadata!.labels = { team: 'a' };
        }),
      ),
    ).to.deep.equal([]);
    expect(
      updateRefusals(
        injected,
        changed((p) => {
          p.spec!.initContainers![0]!.image = 'evil/dumper';
        }),
      ),
    ).to.deep.equal([`the injected sidecar ${PROXY_CONTAINER} cannot be changed after CREATE`]);
    expect(
      updateRefusals(
        injected,
        changed((p) => {
          p.spec!.volumes!.find((v) => v.name === 'agentgate-audit')!.emptyDir = { medium: 'Memory' };
        }),
      ),
    ).to.deep.equal(['the agentgate- volumes cannot be changed after CREATE']);
    const stampRefusal = `the ${STATUS} annotation is the injector's, set at CREATE; it cannot be added, changed or removed`;
    expect(
      updateRefusals(
        injected,
        changed((p) => {
          delete p.metadata!.annotations![STATUS];
        }),
      ),
    ).to.deep.equal([stampRefusal]);
    expect(
      updateRefusals(plain(), {
        ...plain(),
        metadata: { ...plain().metadata, annotations: { [STATUS]: '{"policy":"agents/billing"}' } },
      }),
    ).to.deep.equal([stampRefusal]);
  });
});
