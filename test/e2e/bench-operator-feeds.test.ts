/**
 * The bench's feeds section (test/bench/operator-feeds.ts) measures what it says: every sidecar's three
 * feeds are held at the operator (all synced, then held rather than answered over and over), and the API server holds no watch per
 * call, only one per namespace and kind. A small run; `npm run bench` runs 100 sidecars.
 */
import { expect } from 'chai';
import { operatorFeedLoad } from '../bench/operator-feeds.js';

describe('bench: the operator serving sidecars’ feeds', function () {
  this.timeout(300_000);

  it('holds every feed of every sidecar, with a few shared watches', async () => {
    const l = await operatorFeedLoad({ sidecars: 5, seconds: 3 });
    // 15 quiet feeds, each held for 20-25 s: a loop of immediate answers would show here.
    expect(l.feeds.answersPerSecond, 'quiet feeds are held, not answered over and over').to.be.lessThan(1);
    expect(l.feeds.watches - l.idleWatches, 'one watch per namespace and kind, not one per call').to.be.at.most(3);
  });
});
