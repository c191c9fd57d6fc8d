/**
 * Review 9 (13e382d, the operator's feeds): failing tests for what the feed endpoint leaves behind or
 * lets one caller take, on a real API server. Watches the operator opens for feeds are counted from the
 * API server's own gauge (apiserver_longrunning_requests, verb WATCH, AgentAccessPolicy watches by name or
 * namespace) beyond the operator's controller's own: one per call then, one per namespace since.
 */
import { expect } from 'chai';
import { getEventListeners } from 'node:events';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { Operator } from '../../operator/operator.js';
import { getFromOperator, type OperatorEndpoint } from '../../proxy/approvals/operator-client.js';
import { FEEDS } from '../../shared/contract/feeds.js';
import { feedsFixture } from './feeds-fixture.js';
import { eventually, kubectlOk, ns, testCluster, type TestCluster } from './cluster.js';

const NS = ns('e2e-r9feeds');
const SYSTEM = ns('agentgate-r9feeds');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('review 9: the operator feed endpoint under a hostile or careless caller', function () {
  this.timeout(240_000);
  let c: TestCluster;
  let op: Operator;
  let apiPort: number;
  let endpoint: OperatorEndpoint;
  let token: string;
  let feedToken: string;

  /** The operator's own AgentAccessPolicy watch (its controller's), before any feed call was held. */
  let controllerWatches: number;
  /**
   * AgentAccessPolicy watches the API server is serving now beyond the controller's: the feeds' (one per
   * namespace, shared by every held call, since the operator's feed-changes.ts; one per call before).
   */
  const feedWatches = async (): Promise<number> => (await policyWatches()) - controllerWatches;
  const policyWatches = async (): Promise<number> => {
    const metrics = await kubectlOk(c, ['get', '--raw', '/metrics']);
    let n = 0;
    for (const line of metrics.split('\n')) {
      if (!line.startsWith('apiserver_longrunning_requests{')) continue;
      if (
        !/verb="WATCH"/.test(line) ||
        !/resource="agentaccesspolicies"/.test(line) ||
        !/scope="(resource|namespace)"/.test(line)
      )
        continue;
      n += Number(line.split(' ').at(-1));
    }
    return n;
  };

  /** A raw request on its own TLS connection; `leave` closes it as soon as it is written. */
  const rawGet = (path: string, leave: boolean): Promise<tls.TLSSocket> =>
    new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: apiPort, ca: endpoint.ca, servername: 'localhost' }, () => {
        s.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\n\r\n`, () => {
          if (leave) s.destroy();
          resolve(s);
        });
      });
      s.on('error', reject);
      s.on('data', () => undefined);
    });

  const stopSignal = (): AbortSignal => (op as unknown as { stopping: AbortController }).stopping.signal;

  before(async function () {
    this.timeout(1_200_000);
    c = await testCluster();
    ({
      operator: op,
      apiPort,
      endpoint,
    } = await feedsFixture(c, { namespace: NS, system: SYSTEM, policies: ['billing-agent'] }));
    token = readFileSync(endpoint.tokenFile, 'utf8');
    feedToken = ((await getFromOperator(endpoint, FEEDS.policy)) as { token: string }).token;
    controllerWatches = await eventually('the controller watching', async () => (await policyWatches()) || undefined);
  });
  after(async () => {
    await op?.stop();
  });

  // proxy-feeds-endpoint.ts registers res.on('close') only after `await authenticate(...)`: a caller gone by
  // then never fires it, so the listener added to the operator-lifetime `stopping` signal is never removed
  // (one closure and AbortController per such request, for the operator's life).
  it("a caller that leaves before its poll is authenticated leaves nothing on the operator's stop signal", async () => {
    const baseline = getEventListeners(stopSignal(), 'abort').length;
    for (let i = 0; i < 20; i++) await rawGet(`${FEEDS.policy}?after=${feedToken}&wait=1`, true);
    // Every handler is done after its 1 s wait.
    await sleep(4_000);
    expect(getEventListeners(stopSignal(), 'abort').length, 'abort listeners left on the stop signal').to.equal(
      baseline,
    );
  });

  // The same missed 'close': the handler lists, opens a watch on the API server and holds it for the whole
  // wait (up to 30 s) for nobody. Twenty requests written and dropped at once hold twenty watches.
  it('a caller that leaves at once holds no watch on the API server', async () => {
    for (let i = 0; i < 20; i++) await rawGet(`${FEEDS.policy}?after=${feedToken}&wait=30`, true);
    await sleep(3_000);
    expect(await feedWatches(), 'watches held for callers that are gone').to.be.at.most(1);
  });

  // Nothing bounds the long polls one caller holds: each is a watch (its own TLS connection) from the
  // operator to the API server, and the operator's memory, for up to 30 s.
  it("one pod's token cannot make the operator hold an unbounded number of watches on the API server", async () => {
    const sockets: tls.TLSSocket[] = [];
    try {
      for (let i = 0; i < 40; i++) sockets.push(await rawGet(`${FEEDS.policy}?after=${feedToken}&wait=30`, false));
      await sleep(3_000);
      // A sidecar holds one poll per feed; a few more for a restart's overlap is generous.
      expect(await feedWatches(), 'feed watches held for one pod').to.be.at.most(1);
    } finally {
      sockets.forEach((s) => s.destroy());
    }
  });
});
