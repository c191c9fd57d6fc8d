/**
 * shareDispatchers (shared/kube/client.ts): client-node 2.0.1 makes a new undici Agent for every request
 * (its KubeConfig's createDispatcher, called from applySecurityAuthentication); the operator's KubeConfig
 * hands requests with the same cluster, user and TLS material one Agent instead. If client-node changes
 * how it makes dispatchers, this fails and the workaround can be looked at again.
 */
import { expect } from 'chai';
import { HttpMethod, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { shareDispatchers } from '../../shared/kube/client.js';

const config = (ca: string): KubeConfig => {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', caData: Buffer.from(ca).toString('base64') }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
};

const dispatcherOf = async (kc: KubeConfig): Promise<unknown> => {
  const context = new RequestContext('https://127.0.0.1:6443/api', HttpMethod.GET);
  await kc.applySecurityAuthentication(context);
  return context.getDispatcher();
};

describe('the operator shares one HTTP dispatcher per cluster, user and TLS material', () => {
  it('client-node alone makes a new dispatcher for every request (what this works around)', async () => {
    const kc = config('ca-1');
    const first = await dispatcherOf(kc);
    expect(first, 'a dispatcher is made').to.not.equal(undefined);
    expect(await dispatcherOf(kc)).to.not.equal(first);
  });

  it('with shareDispatchers, requests share one; other TLS material gets its own; applying it twice changes nothing', async () => {
    const kc = shareDispatchers(config('ca-1'));
    const first = await dispatcherOf(kc);
    expect(await dispatcherOf(kc)).to.equal(first);
    expect(await dispatcherOf(shareDispatchers(kc))).to.equal(first);
    // The same KubeConfig object with another CA (as after a rotation): not the first one's dispatcher.
    const rotated = config('ca-2');
    kc.loadFromOptions({
      clusters: rotated.clusters,
      users: rotated.users,
      contexts: rotated.contexts,
      currentContext: rotated.currentContext,
    });
    const second = await dispatcherOf(kc);
    expect(second).to.not.equal(first);
    expect(await dispatcherOf(kc)).to.equal(second);
  });

  it('the token still travels per request (it is a header, not part of the dispatcher)', async () => {
    const kc = shareDispatchers(config('ca-1'));
    const context = new RequestContext('https://127.0.0.1:6443/api', HttpMethod.GET);
    await kc.applySecurityAuthentication(context);
    expect(context.getHeaders()).to.include({ Authorization: 'Bearer t' });
  });
});
