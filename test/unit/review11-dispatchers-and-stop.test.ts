/**
 * Review 11 (547d4fe shareDispatchers, 3dafb1b FeedChanges): failing tests for what is left behind.
 *
 * 1. shareDispatchers keys its cache on cluster name and server, user name and TLS material, not on the
 *    cluster's proxy URL: the same KubeConfig object reloaded with another proxy (same cluster name and
 *    server) keeps sending through the old one.
 * 2. Each new TLS material (a CA file rotated, an exec plugin's short-lived client certificate) adds an Agent
 *    that is never closed or dropped: the cache only grows, keeping every earlier TLS context and pool.
 * 3. FeedChanges.stop() closes every channel, but each held call that unsubscribes afterwards arms a new
 *    60 s idle timer on its (already closed) channel: the stopped operator keeps the event loop busy.
 */
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpMethod, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { FeedChanges } from '../../operator/feed-changes.js';
import { shareDispatchers } from '../../shared/kube/client.js';

const SERVER = 'https://127.0.0.1:6443';

const load = (kc: KubeConfig, cluster: Record<string, unknown>): KubeConfig => {
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: SERVER, skipTLSVerify: false, ...cluster }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
};

const dispatcherOf = async (kc: KubeConfig): Promise<unknown> => {
  const context = new RequestContext(`${SERVER}/api`, HttpMethod.GET);
  await kc.applySecurityAuthentication(context);
  return context.getDispatcher();
};

describe('review 11: shared dispatchers and a stopped FeedChanges', () => {
  it('a KubeConfig reloaded with another proxy URL does not reuse the old proxy', async () => {
    const kc = shareDispatchers(
      load(new KubeConfig(), { caData: Buffer.from('ca').toString('base64'), proxyUrl: 'http://proxy-a:3128' }),
    );
    const viaA = await dispatcherOf(kc);
    load(kc, { caData: Buffer.from('ca').toString('base64'), proxyUrl: 'http://proxy-b:3128' });
    expect(await dispatcherOf(kc), 'the dispatcher made for proxy-a').to.not.equal(viaA);
  });

  it('a dispatcher whose TLS material was replaced is closed, not kept forever', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'review11-ca-'));
    const caFile = join(dir, 'ca.crt');
    writeFileSync(caFile, 'ca-1');
    const kc = shareDispatchers(load(new KubeConfig(), { caFile }));
    const first = (await dispatcherOf(kc)) as { closed: boolean; destroyed: boolean };
    for (let i = 2; i <= 5; i++) {
      writeFileSync(caFile, `ca-${i}`); // the projected CA, rotated
      await dispatcherOf(kc);
    }
    expect(first.closed || first.destroyed, 'the first Agent (CA ca-1, replaced four times since)').to.equal(true);
  });

  it('after stop(), held calls leaving arm no timers', async () => {
    const kc = new KubeConfig();
    // Nothing listens there: the watch fails and backs off, as against an API server that is down.
    load(kc, { server: 'https://127.0.0.1:1', caData: Buffer.from('ca').toString('base64') });
    const changes = new FeedChanges(kc);
    const target = { path: '/api/v1/namespaces/a/configmaps', resourceVersion: async () => '1' };
    const leave = [1, 2, 3].map(() =>
      changes.subscribe(
        target,
        () => true,
        () => undefined,
      ),
    );
    await new Promise((r) => setTimeout(r, 100));
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    changes.stop();
    const afterStop = timers();
    leave.forEach((unsubscribe) => unsubscribe());
    expect(timers() - afterStop, 'timers armed by calls unsubscribing after stop').to.equal(0);
  });
});
