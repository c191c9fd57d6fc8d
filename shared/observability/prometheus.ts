/**
 * The parts of prom-client agentgate uses, loaded from prom-client's own files rather than its index.
 * The index also loads its Pushgateway (Node's `https`, `tls` and `zlib`) and its cluster aggregator:
 * 2.5 MiB of the sidecar's idle memory, measured, for features neither process uses
 * (docs/performance.md, round 7).
 * test/unit/prometheus-modules.test.ts checks that these are the very objects the index exports.
 */
import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';

const require = createRequire(import.meta.url);

export type Registry = PromClient.Registry;
export type Counter<T extends string = string> = PromClient.Counter<T>;
export type Gauge<T extends string = string> = PromClient.Gauge<T>;
export type Histogram<T extends string = string> = PromClient.Histogram<T>;

export const Registry = require('prom-client/lib/registry.js') as typeof PromClient.Registry;
export const Counter = require('prom-client/lib/counter.js') as typeof PromClient.Counter;
export const Gauge = require('prom-client/lib/gauge.js') as typeof PromClient.Gauge;
export const Histogram = require('prom-client/lib/histogram.js') as typeof PromClient.Histogram;
export const collectDefaultMetrics =
  require('prom-client/lib/defaultMetrics.js') as typeof PromClient.collectDefaultMetrics;
