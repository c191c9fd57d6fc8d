/**
 * The statements counter keeps plain counts between scrapes and hands them to prom-client at scrape time:
 * each scrape must show the running total (never only what came since the last one), per label set.
 */
import { expect } from 'chai';
import { ProxyMetrics } from '../../proxy/observability/metrics.js';

const series = (m: string, labels: string): number | undefined => {
  const line = m.split('\n').find((l) => l.startsWith(`agentgate_proxy_statements_total{${labels}}`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
};

describe('proxy metrics: statements counted between scrapes', () => {
  it('each scrape shows the running totals by target, decision and enforcement', async () => {
    const metrics = new ProxyMetrics();
    expect(await metrics.registry.metrics()).not.to.match(/agentgate_proxy_statements_total\{/);
    for (let i = 0; i < 3; i++) metrics.statement('db', 'Allow', false);
    metrics.statement('db', 'Deny', true);
    let m = await metrics.registry.metrics();
    expect(series(m, 'target="db",decision="Allow",enforced="false"')).to.equal(3);
    expect(series(m, 'target="db",decision="Deny",enforced="true"')).to.equal(1);
    expect(series(m, 'target="db",decision="Deny",enforced="false"')).to.equal(undefined);

    m = await metrics.registry.metrics();
    expect(series(m, 'target="db",decision="Allow",enforced="false"'), 'a scrape with nothing new').to.equal(3);

    metrics.statement('db', 'Allow', false);
    metrics.statement('db', 'Deny', false);
    metrics.statement('other', 'Allow', false);
    m = await metrics.registry.metrics();
    expect(series(m, 'target="db",decision="Allow",enforced="false"')).to.equal(4);
    expect(series(m, 'target="db",decision="Deny",enforced="true"')).to.equal(1);
    expect(series(m, 'target="db",decision="Deny",enforced="false"')).to.equal(1);
    expect(series(m, 'target="other",decision="Allow",enforced="false"')).to.equal(1);
  });
});
