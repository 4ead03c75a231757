import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PaytoneMetrics, type MetricsSources } from '../../src/ops/metrics.js';

const sources = (over: Partial<MetricsSources> = {}): MetricsSources => ({
  sessionsByStatus: async () => [{ status: 'in-progress', count: 2 }, { status: 'completed', count: 5 }],
  outboxBacklog: async () => ({ pending: 3, oldestAt: 1_000 }),
  ...over,
});

const sample = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

test('sessions by status and the outbox are read at scrape time; every status is present', async () => {
  let backlogQueries = 0;
  const metrics = new PaytoneMetrics({
    sources: sources({ outboxBacklog: async () => (backlogQueries++, { pending: 3, oldestAt: 1_000 }) }),
    now: () => 31_000,
  });
  const text = await metrics.registry.metrics();
  assert.equal(backlogQueries, 1, 'one outbox query per scrape');
  assert.equal(sample(text, 'paytone_sessions{status="in-progress"}'), 2);
  assert.equal(sample(text, 'paytone_sessions{status="completed"}'), 5);
  assert.equal(sample(text, 'paytone_sessions{status="completing"}'), 0);
  assert.equal(sample(text, 'paytone_outbox_depth'), 3);
  assert.equal(sample(text, 'paytone_outbox_oldest_pending_seconds'), 30);
});

test('a failing scrape-time query is reported, and the scrape still answers', async () => {
  const failures: unknown[] = [];
  const metrics = new PaytoneMetrics({
    sources: sources({ sessionsByStatus: async () => Promise.reject(new Error('database is down')) }),
    onSourceError: (error) => failures.push(error),
  });
  const text = await metrics.registry.metrics();
  assert.equal(failures.length, 1);
  assert.equal(sample(text, 'paytone_outbox_depth'), 3);
  assert.ok(!text.includes('paytone_sessions{'));
});

test('two processes in one test never share counters', async () => {
  const a = new PaytoneMetrics({ sources: sources() });
  const b = new PaytoneMetrics({ sources: sources() });
  a.request('GET', '/healthz', 200, 0.001);
  assert.equal(sample(await a.registry.metrics(), 'paytone_http_requests_total{method="GET",route="/healthz",status_code="200"}'), 1);
  assert.equal(sample(await b.registry.metrics(), 'paytone_http_requests_total{method="GET",route="/healthz",status_code="200"}'), undefined);
});

test('callback attempts count by outcome, retries, and the keypress-to-callback time of capture callbacks', async () => {
  const metrics = new PaytoneMetrics({ sources: sources() });
  const capture = { kind: 'capture', at: 10_000, params: { PartialResult: 'true' } };
  metrics.callbackAttempted({ ...capture, attempts: 1, deliveryStatus: 'pending' }, 10_100);
  metrics.callbackAttempted({ ...capture, attempts: 2, deliveryStatus: 'delivered' }, 12_500);
  metrics.callbackAttempted({ kind: 'ended', at: 13_000, params: { Result: 'success' }, attempts: 8, deliveryStatus: 'failed' }, 99_000);
  const text = await metrics.registry.metrics();
  assert.equal(sample(text, 'paytone_callback_deliveries_total{outcome="retry"}'), 1);
  assert.equal(sample(text, 'paytone_callback_deliveries_total{outcome="delivered"}'), 1);
  assert.equal(sample(text, 'paytone_callback_deliveries_total{outcome="failed"}'), 1);
  assert.equal(sample(text, 'paytone_callback_retries_total'), 2);
  assert.equal(sample(text, 'paytone_dtmf_to_callback_seconds_count'), 1);
  assert.equal(sample(text, 'paytone_dtmf_to_callback_seconds_sum'), 2.5);
  assert.equal(sample(text, 'paytone_dtmf_to_callback_seconds_bucket{le="2.5"}'), 1);
  assert.equal(sample(text, 'paytone_dtmf_to_callback_seconds_bucket{le="1"}'), 0);
});

test('gateway calls are timed by connector type and outcome', async () => {
  const metrics = new PaytoneMetrics({ sources: sources() });
  metrics.gatewayCall('sandbox', 'approved', 0.2);
  metrics.gatewayCall('sandbox', 'declined', 0.3);
  const text = await metrics.registry.metrics();
  assert.equal(sample(text, 'paytone_gateway_request_duration_seconds_count{connector_type="sandbox",outcome="approved"}'), 1);
  assert.equal(sample(text, 'paytone_gateway_request_duration_seconds_sum{connector_type="sandbox",outcome="declined"}'), 0.3);
});
