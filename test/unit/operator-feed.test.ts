/**
 * The sidecar's client of the operator's feeds (proxy/cluster/operator-feed.ts), against a scripted
 * HTTPS server: answers become add/update/delete events against the last answer, a sync after each;
 * an answer that is not {token, items} is a failure that keeps the cache; a held call is abandoned on
 * stop. The operator's side, and the feed with a real API server, are test/e2e/operator-feeds.test.ts.
 */
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OperatorFeed } from '../../proxy/cluster/operator-feed.js';
import { newKeyPair } from '../support/self-signed.js';

interface Obj {
  metadata: { name: string; resourceVersion: string };
}
const obj = (name: string, rv: string): Obj => ({ metadata: { name, resourceVersion: rv } });

describe('operator feed (the sidecar side)', function () {
  this.timeout(20_000);
  let server: https.Server;
  let url: string;
  let ca: Buffer;
  let tokenFile: string;
  /** The next answers, in order; each is a body (JSON) or 'hold' (never answered). */
  const script: (unknown | 'hold')[] = [];
  const asked: string[] = [];

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentgate-feed-'));
    const { keyPem, certPem } = newKeyPair(dir, 'localhost');
    ca = Buffer.from(certPem);
    tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'proxy-token\n');
    server = https.createServer({ key: keyPem, cert: certPem }, (req, res) => {
      asked.push(`${req.url} ${req.headers.authorization}`);
      const next = script.shift();
      if (next === 'hold' || next === undefined) return;
      res.setHeader('content-type', 'application/json');
      res.end(typeof next === 'string' ? next : JSON.stringify(next));
    });
    await new Promise<void>((r) => server.listen(0, r));
    url = `https://localhost:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  beforeEach(() => {
    script.length = 0;
    asked.length = 0;
  });

  const newFeed = (restarts: string[]) =>
    new OperatorFeed<Obj>({
      endpoint: { url, tokenFile, ca },
      kind: 'approvals',
      relistMs: 5_000,
      initialBackoffMs: 50,
      onRestart: (reason) => restarts.push(reason),
    });

  it('turns complete answers into add, update and delete events, with a sync after each', async () => {
    script.push(
      { token: 't1', items: [obj('a', '1'), obj('b', '1')] },
      { token: 't2', items: [obj('a', '2'), obj('c', '1')] },
      'hold',
    );
    const feed = newFeed([]);
    const events: string[] = [];
    for (const e of ['add', 'update', 'delete'] as const) feed.on(e, (o) => events.push(`${e} ${o.metadata.name}`));
    let syncs = 0;
    feed.onSync(() => syncs++);
    await feed.start();
    expect(feed.synced).to.equal(true);
    while (asked.length < 3) await new Promise((r) => setTimeout(r, 20));
    await feed.stop();
    expect(events).to.deep.equal(['add a', 'add b', 'update a', 'add c', 'delete b']);
    expect(syncs).to.equal(2);
    expect(feed.list().map((o) => o.metadata.name)).to.deep.equal(['a', 'c']);
    expect(asked[0]).to.equal('/feeds/approvals Bearer proxy-token');
    expect(asked[1]).to.equal('/feeds/approvals?after=t1&wait=5 Bearer proxy-token');
    expect(asked[2]).to.match(/after=t2&wait=5/);
  });

  it('an answer that is not {token, items} is a failure: no event, no sync, the cache kept, retried', async () => {
    script.push(
      { token: 't1', items: [obj('a', '1')] },
      { token: 't2', items: [{ metadata: {} }] },
      { items: [] },
      'not json',
      { token: 't3', items: [obj('a', '1')] },
      'hold',
    );
    const restarts: string[] = [];
    const feed = newFeed(restarts);
    const events: string[] = [];
    for (const e of ['add', 'update', 'delete'] as const) feed.on(e, (o) => events.push(`${e} ${o.metadata.name}`));
    let syncs = 0;
    feed.onSync(() => syncs++);
    await feed.start();
    while (asked.length < 6) await new Promise((r) => setTimeout(r, 20));
    await feed.stop();
    expect(events).to.deep.equal(['add a']);
    expect(syncs).to.equal(2);
    expect(restarts).to.have.length(3);
    expect(restarts[0]).to.match(/without \{token, items\}/);
    expect(restarts[2]).to.match(/non-JSON/);
    // The retry after the failures asks with the last good token.
    expect(asked[4]).to.match(/after=t1&/);
  });

  it('a first call that fails leaves the feed unsynced (start resolves); stop abandons a held call', async () => {
    const restarts: string[] = [];
    const feed = new OperatorFeed<Obj>({
      endpoint: { url, tokenFile, ca },
      kind: 'policy',
      relistMs: 1_000,
      onRestart: (reason) => restarts.push(reason),
    });
    script.push({ token: 't1', items: [] }, 'hold');
    await feed.start();
    expect(feed.synced).to.equal(true);
    while (asked.length < 2) await new Promise((r) => setTimeout(r, 20));
    const t0 = Date.now();
    await feed.stop();
    expect(Date.now() - t0).to.be.lessThan(1_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(restarts, 'an abandoned call is no failure').to.deep.equal([]);

    const refused = new OperatorFeed<Obj>({
      endpoint: { url: 'https://localhost:1', tokenFile, ca },
      kind: 'policy',
      relistMs: 1_000,
      onRestart: (reason) => restarts.push(reason),
    });
    await refused.start();
    await refused.stop();
    expect(refused.synced).to.equal(false);
    expect(restarts[0]).to.match(/operator feed policy: .*ECONNREFUSED/);
  });
});
