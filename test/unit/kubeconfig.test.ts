/** Commands that need a cluster say so plainly when there is no Kubernetes configuration. */
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeConfig } from '../../shared/kube/client.js';

describe('loadKubeConfig', () => {
  it('without KUBECONFIG, ~/.kube/config or a pod, fails naming what is missing (not a TLS error)', () => {
    const saved = {
      KUBECONFIG: process.env.KUBECONFIG,
      HOME: process.env.HOME,
      KUBERNETES_SERVICE_HOST: process.env.KUBERNETES_SERVICE_HOST,
    };
    try {
      delete process.env.KUBECONFIG;
      delete process.env.KUBERNETES_SERVICE_HOST;
      process.env.HOME = mkdtempSync(join(tmpdir(), 'no-kube-'));
      expect(() => loadKubeConfig()).to.throw(/no Kubernetes configuration found: set KUBECONFIG/);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
