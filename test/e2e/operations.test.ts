/**
 * The operations endpoints of a running server, after a real pay session: liveness, readiness, and metrics
 * that show what happened (requests by route pattern, sessions by status, callbacks, gateway and keypress
 * latency) without a sid, a digit or a secret in them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { futureExpiry, openPaytone, type PaytoneUnderTest } from './flows.js';
import { startPaytone, ACCOUNT_SID, AUTH_TOKEN } from '../support/paytone.js';

const CARD = '4242424242424242';
const METRICS_TOKEN = 'ops-token-0123456789abcdef';

let pay: PaytoneUnderTest;
before(async () => (pay = await openPaytone({ PAYTONE_METRICS_TOKEN: METRICS_TOKEN })));
after(async () => pay?.close());

/** The server's processes: one, or each member when the suite runs against a cluster behind a balancer. */
const processes = (): Array<{ baseUrl: string }> => {
  const running = pay.paytone as typeof pay.paytone & { members?: Array<{ baseUrl: string }> };
  return running.members ?? [running];
};

async function fetchText(path: string, headers: Record<string, string> = {}, baseUrl = pay.paytone.baseUrl): Promise<{ status: number; type: string; text: string }> {
  const response = await fetch(baseUrl + path, { headers });
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
}

/** Every process's /metrics. */
const scrapeAll = async (): Promise<string[]> =>
  Promise.all(
    processes().map(async ({ baseUrl }) => {
      const { status, text } = await fetchText('/metrics', { authorization: `Bearer ${METRICS_TOKEN}` }, baseUrl);
      assert.equal(status, 200);
      return text;
    }),
  );

const sample = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

/** A counter summed over the processes (each counts what it did itself). */
const total = (texts: string[], series: string): number => {
  const values = texts.map((text) => sample(text, series));
  assert.ok(values.some((v) => v !== undefined), `${series} is missing from /metrics`);
  return values.reduce<number>((sum, v) => sum + (v ?? 0), 0);
};

/** A gauge read from the database at scrape time: every process reports the same value. */
const shared = (texts: string[], series: string): number => {
  const values = texts.map((text) => sample(text, series));
  assert.ok(values[0] !== undefined, `${series} is missing from /metrics`);
  assert.ok(values.every((v) => v === values[0]), `${series} differs between processes: ${values.join(', ')}`);
  return values[0]!;
};

describe('operations endpoints', () => {
  it('/healthz says the process is alive, without credentials', async () => {
    const { status, text } = await fetchText('/healthz');
    assert.equal(status, 200);
    assert.deepEqual(JSON.parse(text), { status: 'ok' });
  });

  it('/readyz says the database answers and every migration is applied', async () => {
    const { status, text } = await fetchText('/readyz');
    assert.equal(status, 200);
    const body = JSON.parse(text);
    assert.equal(body.status, 'ready');
    assert.equal(body.database, 'ok');
    assert.deepEqual(body.migrations.pending, []);
  });

  it('/metrics wants the bearer token when PAYTONE_METRICS_TOKEN is set', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}` }]) {
      const { status, text } = await fetchText('/metrics', headers);
      assert.equal(status, 401);
      assert.equal(JSON.parse(text).code, 20003);
    }
    const { status, type } = await fetchText('/metrics', { authorization: `Bearer ${METRICS_TOKEN}` });
    assert.equal(status, 200);
    assert.match(type, /^text\/plain; version=0\.0\.4/);
  });

  it('/metrics shows a pay session: requests by route, sessions by status, callbacks, gateway and keypress latency', async () => {
    const { callSid, sid } = await pay.startSession({ chargeAmount: 20, postalCode: false });
    await pay.capture(callSid, sid, 'payment-card-number', `${CARD}#`);
    await pay.capture(callSid, sid, 'expiration-date', futureExpiry());
    await pay.capture(callSid, sid, 'security-code', '123');
    const final = await pay.finish(callSid, sid);
    assert.equal(final.Result, 'success');
    await pay.deliveredEvents(callSid, sid);

    const texts = await scrapeAll();
    assert.equal(texts.length, Math.max(1, Number(process.env.PAYTONE_TEST_CLUSTER ?? '1')), 'every process was scraped');
    const payments = '/2010-04-01/Accounts/:AccountSid/Calls/:CallSid/Payments';
    assert.equal(total(texts, `paytone_http_requests_total{method="POST",route="${payments}.json",status_code="201"}`), 1);
    assert.equal(total(texts, `paytone_http_requests_total{method="POST",route="${payments}/:Sid.json",status_code="202"}`), 4);
    assert.equal(total(texts, `paytone_http_request_duration_seconds_count{method="POST",route="${payments}/:Sid.json",status_code="202"}`), 4);
    assert.equal(shared(texts, 'paytone_sessions{status="completed"}'), 1);
    assert.equal(shared(texts, 'paytone_sessions{status="in-progress"}'), 0);
    assert.equal(shared(texts, 'paytone_outbox_depth'), 0);
    const callbacks = pay.receiver.forSession(sid).length;
    assert.equal(total(texts, 'paytone_callback_deliveries_total{outcome="delivered"}'), callbacks);
    const keypressCallbacks = pay.receiver.forSession(sid).filter((r) => r.params.PartialResult !== undefined).length;
    assert.ok(keypressCallbacks >= 16 + 4 + 3);
    assert.equal(total(texts, 'paytone_dtmf_to_callback_seconds_count'), keypressCallbacks);
    assert.equal(total(texts, 'paytone_gateway_request_duration_seconds_count{connector_type="sandbox",outcome="approved"}'), 1);
    assert.ok(total(texts, 'nodejs_eventloop_lag_seconds') >= 0, 'default Node metrics are there');

    const text = texts.join('\n');
    assert.ok(!text.includes(sid) && !text.includes(callSid) && !text.includes(ACCOUNT_SID), 'no sid in any label');
    // Sample values are counts, sizes and seconds: a heap of 14242880 bytes is no card digit, so only names and labels are searched.
    const namesAndLabels = text
      .split('\n')
      .map((line) => (line.startsWith('#') ? line : line.replace(/ \S+$/, '')))
      .join('\n');
    assert.ok(!namesAndLabels.includes(CARD) && !namesAndLabels.includes('4242'), 'no card digits');
    assert.ok(!text.includes(AUTH_TOKEN) && !text.includes(METRICS_TOKEN), 'no secret');
  });

  it('an unknown path is counted as unmatched, not by its raw URL', async () => {
    await fetchText('/2010-04-01/Accounts/AC00000000000000000000000000000000/Nope/CA1234.json');
    const texts = await scrapeAll();
    assert.ok(total(texts, 'paytone_http_requests_total{method="GET",route="unmatched",status_code="404"}') >= 1);
    assert.ok(!texts.join('\n').includes('CA1234'));
  });
});

describe('without PAYTONE_METRICS_TOKEN', () => {
  it('/metrics is open, for a scraper on a private network', async () => {
    const paytone = await startPaytone();
    try {
      const response = await fetch(`${paytone.baseUrl}/metrics`);
      assert.equal(response.status, 200);
      assert.match(await response.text(), /^# HELP paytone_http_requests_total/m);
    } finally {
      await paytone.stop();
    }
  });
});
