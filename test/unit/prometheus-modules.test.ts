/**
 * shared/observability/prometheus.ts loads prom-client's classes from its own files, not its index (which
 * also loads Node's cluster and https). These must be the very objects the index exports, so a prom-client
 * release that moves a file fails here rather than in a sidecar.
 */
import { expect } from 'chai';
import * as promClient from 'prom-client';
import * as prometheus from '../../shared/observability/prometheus.js';

describe('prometheus: prom-client without its index', () => {
  it('exports the same classes and functions as prom-client itself', () => {
    expect(prometheus.Registry).to.equal(promClient.Registry);
    expect(prometheus.Counter).to.equal(promClient.Counter);
    expect(prometheus.Gauge).to.equal(promClient.Gauge);
    expect(prometheus.Histogram).to.equal(promClient.Histogram);
    expect(prometheus.collectDefaultMetrics).to.equal(promClient.collectDefaultMetrics);
  });

  it('a registry built from them renders metrics', async () => {
    const registry = new prometheus.Registry();
    new prometheus.Counter({ name: 'probe_total', help: 'probe', registers: [registry] }).inc(2);
    expect(await registry.metrics()).to.include('probe_total 2');
  });
});
