/**
 * Review 11 (3dafb1b, operator/feed-changes.ts: one watch per namespace and kind shared by the held feed
 * calls): failing tests, on a real API server, for changes the shared watch never reports.
 *
 * 1. client-node's Watch (2.0.1) aborts a watch that received no bytes for 30 s (`requestTimeoutMs`) with a
 *    TimeoutError. The API server sends bookmarks about once a minute, so in a quiet namespace (the normal
 *    state) the shared watch ends with an error every 30 s. `failures` is reset only by a non-bookmark event,
 *    so the restarts back off 0.5, 1, 2, 4, 8, then 10 s: the watch is down ~10 s of every ~40 s. (The per-call
 *    watches before held at most 26 s: never hit.)
 * 2. Every restart starts from a fresh list's resourceVersion instead of the last one seen, and nothing wakes
 *    the subscribers: a change made while the watch is down (between its end and the restart's list) is never
 *    reported. The held call sits out its whole wait (20 s for policy and compiled, 25 s for approvals) and
 *    the sidecar enforces the old policy, or holds a decided approval, that long. Before 3dafb1b it was
 *    answered at once.
 * 3. The same end to end: a sidecar's policy feed (OperatorFeed, as injected) against the operator.
 */
import { expect } from 'chai';
import { CoreV1Api, Watch } from '@kubernetes/client-node';
import { FeedChanges, type WatchTarget } from '../../operator/feed-changes.js';
import { OperatorFeed } from '../../proxy/cluster/operator-feed.js';
import { POLICY_LABEL } from '../../shared/contract/labels.js';
import { feedsFixture, type FeedsFixture } from './feeds-fixture.js';
import { kubectlOk, ns, testCluster, type TestCluster } from './cluster.js';

const NS = ns('e2e-r11feeds');
const E2E_NS = ns('e2e-r11feeds-op');
const SYSTEM = ns('agentgate-r11feeds');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves with `true` once `woken` is set, or `false` after `ms`. */
async function wokenWithin(woken: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (woken()) return true;
    await sleep(20);
  }
  return woken();
}

describe('review 11: changes the shared feed watch (operator/feed-changes.ts) never reports', function () {
  this.timeout(300_000);
  let c: TestCluster;
  let core: CoreV1Api;
  const target = (): WatchTarget => ({
    path: `/api/v1/namespaces/${NS}/configmaps`,
    labelSelector: POLICY_LABEL,
    resourceVersion: async () =>
      (await core.listNamespacedConfigMap({ namespace: NS, labelSelector: POLICY_LABEL, limit: 1 })).metadata
        ?.resourceVersion,
  });
  const createCompiled = (name: string): Promise<unknown> =>
    core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name, labels: { [POLICY_LABEL]: name } }, data: { x: '1' } },
    });

  const realWatch = Watch.prototype.watch;
  /** The watches FeedChanges opened (its frame is on the stack when it calls watch), newest last. */
  const feedWatches: AbortController[] = [];
  /** Called when a watch FeedChanges opened ends with an error. */
  let feedWatchFailed: (() => void) | undefined;

  before(async () => {
    Watch.prototype.watch = async function (this: Watch, path, query, callback, done) {
      const fromFeeds = /FeedChanges\.start/.test(new Error().stack ?? '');
      const controller = await realWatch.call(this, path, query, callback, (err: unknown) => {
        if (fromFeeds && err) feedWatchFailed?.();
        done(err);
      });
      if (fromFeeds) feedWatches.push(controller);
      return controller;
    };
    c = await testCluster();
    core = c.kc.makeApiClient(CoreV1Api);
    await kubectlOk(c, ['create', 'namespace', NS]);
  });

  it('a quiet namespace keeps its shared watch open (no end every 30 s, no backoff gaps)', async () => {
    const changes = new FeedChanges(c.kc);
    const unsubscribe = changes.subscribe(
      target(),
      () => true,
      () => undefined,
    );
    try {
      const opened = await wokenWithin(() => changes.open === 1, 5_000);
      expect(opened, 'the watch opens').to.equal(true);
      const t0 = Date.now();
      let downAfterMs: number | undefined;
      while (Date.now() - t0 < 40_000 && downAfterMs === undefined) {
        if (changes.open === 0) downAfterMs = Date.now() - t0;
        await sleep(20);
      }
      expect(downAfterMs, `the shared watch went down ${downAfterMs} ms after it opened`).to.equal(undefined);
    } finally {
      unsubscribe();
      changes.stop();
    }
  });

  after(() => {
    Watch.prototype.watch = realWatch;
  });

  it('a change made while the shared watch is down wakes the held call once it runs again', async () => {
    const changes = new FeedChanges(c.kc);
    let woken = false;
    const unsubscribe = changes.subscribe(
      target(),
      (o) => o.metadata?.name === 'after-restart',
      () => (woken = true),
    );
    try {
      expect(await wokenWithin(() => changes.open === 1, 5_000), 'the watch opens').to.equal(true);
      // The watch's connection drops (as at 30 s of silence, a network blip, an API server closing it); it
      // backs off 0.5 s, then starts again from a fresh list. The object changes in between.
      const dropped = feedWatches.at(-1)!;
      dropped.abort();
      await sleep(0);
      expect(dropped.signal.aborted, 'the watch ended').to.equal(true);
      await createCompiled('after-restart');
      // Its backoff is at most 10 s; 15 s is enough for any restart to report what it missed.
      expect(await wokenWithin(() => woken, 15_000), 'the subscriber was told of the change').to.equal(true);
    } finally {
      unsubscribe();
      changes.stop();
    }
  });

  describe('end to end: a sidecar policy feed through the operator', () => {
    let f: FeedsFixture;

    before(async () => {
      f = await feedsFixture(c, { namespace: E2E_NS, system: SYSTEM, policies: ['billing-agent'] });
    });
    after(async () => {
      await f?.operator.stop();
    });

    it('a policy change reaches a quiet sidecar within a few seconds, whenever it is made', async () => {
      const feed = new OperatorFeed({ endpoint: f.endpoint, kind: 'policy', relistMs: 20_000 });
      const updates: number[] = [];
      feed.on('update', () => updates.push(Date.now()));
      const failed = new Promise<void>((r) => (feedWatchFailed = r));
      await feed.start();
      try {
        // The sidecar's calls are held; the namespace is quiet. Within ~31 s the shared watch ends.
        const ended = await Promise.race([failed.then(() => true), sleep(45_000).then(() => false)]);
        if (!ended) return; // the watch stayed up: nothing to miss (the first test covers that)
        const changedAt = Date.now();
        await kubectlOk(c, [
          'annotate',
          'aap',
          'billing-agent',
          '-n',
          E2E_NS,
          `review11/changed=${changedAt}`,
          '--overwrite',
        ]);
        const seen = await wokenWithin(() => updates.some((t) => t >= changedAt), 20_000);
        const latency = seen ? updates.find((t) => t >= changedAt)! - changedAt : undefined;
        expect(latency, 'ms until the sidecar saw the changed policy').to.be.a('number').and.below(3_000);
      } finally {
        await feed.stop();
      }
    });
  });
});
