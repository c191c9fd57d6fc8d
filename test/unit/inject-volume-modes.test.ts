/**
 * What a real kubelet does with the injected volumes: Secret and ConfigMap files are owned by root, their
 * group is the pod's fsGroup (or root), their mode the item's or the volume's defaultMode (0644 unset).
 * The sidecar runs as PROXY_UID/PROXY_GID, which agents may not use as fsGroup (pod-guard.ts), so every
 * file the proxy reads must be readable through "other". Seen on the node: a 0400 credentials file made
 * the sidecar exit with EACCES and the pod never started.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { V1Pod, V1Volume } from '@kubernetes/client-node';
import { injectSidecar } from '../../operator/webhook/inject.js';
import { PROXY_CONTAINER, PROXY_GID, PROXY_UID } from '../../shared/contract/sidecar.js';
import type { AgentAccessPolicy } from '../../shared/contract/policy-types.js';

const dir = new URL('../fixtures/inject/', import.meta.url).pathname;
const policy = parse(readFileSync(join(dir, 'policy.yaml'), 'utf8')) as AgentAccessPolicy;
const cfg = {
  image: 'localhost/agentgate:0.1.0',
  operator: { url: 'https://agentgate-webhook.agentgate-system.svc', auditWitness: true },
};

/** Can uid/gid read a file the kubelet wrote for this volume item (owner root, group fsGroup or root)? */
function kubeletFileReadable(
  volume: V1Volume,
  itemMode: number | undefined,
  fsGroup: number | undefined,
  uid: number,
  gid: number,
): boolean {
  const mode = itemMode ?? volume.secret?.defaultMode ?? volume.configMap?.defaultMode ?? 0o644;
  if (uid === 0) return true;
  if ((fsGroup ?? 0) === gid) return (mode & 0o040) !== 0;
  return (mode & 0o004) !== 0;
}

describe('injected volumes as a real kubelet writes them: the sidecar (uid 17017) can read what it mounts', () => {
  for (const fsGroup of [undefined, 2000]) {
    it(`every Secret and ConfigMap file the proxy container mounts is readable by its uid (pod fsGroup ${fsGroup ?? 'unset'})`, () => {
      const pod = parse(readFileSync(join(dir, 'annotated-pod.input.yaml'), 'utf8')) as V1Pod;
      if (fsGroup !== undefined) pod.spec!.securityContext = { ...pod.spec!.securityContext, fsGroup };
      const out = injectSidecar(pod, policy, 'agents', cfg);
      const proxy = out.spec!.initContainers!.find((c) => c.name === PROXY_CONTAINER)!;
      const uid = proxy.securityContext!.runAsUser!;
      const gid = proxy.securityContext!.runAsGroup!;
      expect([uid, gid]).to.deep.equal([PROXY_UID, PROXY_GID]);
      const mounted = new Set(proxy.volumeMounts!.map((m) => m.name));
      const files = out.spec!.volumes!.filter((v) => mounted.has(v.name) && (v.secret || v.configMap));
      expect(files.map((v) => v.name)).to.include('agentgate-cred-billing-db');
      for (const v of files) {
        const items = v.secret?.items ?? v.configMap?.items ?? [{ key: '*', path: '*' }];
        for (const item of items)
          expect(kubeletFileReadable(v, item.mode, fsGroup, uid, gid), `${v.name}/${item.path}`).to.equal(true);
      }
    });
  }

  it('the credentials volume is mounted into the proxy container only, read-only', () => {
    const pod = parse(readFileSync(join(dir, 'annotated-pod.input.yaml'), 'utf8')) as V1Pod;
    const out = injectSidecar(pod, policy, 'agents', cfg);
    const creds = out.spec!.volumes!.filter((v) => v.secret).map((v) => v.name);
    for (const c of [...out.spec!.containers, ...(out.spec!.initContainers ?? [])]) {
      const mounts = (c.volumeMounts ?? []).filter((m) => creds.includes(m.name));
      if (c.name === PROXY_CONTAINER) expect(mounts.every((m) => m.readOnly)).to.equal(true);
      else expect(mounts, c.name).to.deep.equal([]);
    }
  });
});
