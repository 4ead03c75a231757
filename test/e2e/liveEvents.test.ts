/**
 * The live event stream without a browser: what it carries (the callbacks' masked facts and the calls' status),
 * filters, resume with Last-Event-ID (also across a restart), event tokens and every way to be refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_SID, AUTH_TOKEN, startPaytone } from '../support/paytone.js';
import { basicAuth, openEventStream, type EventStream, type StreamEvent } from '../support/sse.js';
import { createApiKey } from '../support/apiKey.js';
import { clusterSizeForTests } from '../support/paytoneCluster.js';
import { futureExpiry, openPaytone, type PaytoneUnderTest } from './flows.js';

const AUTH = { authorization: basicAuth(ACCOUNT_SID, AUTH_TOKEN) };

describe('live event stream', () => {
  let pay: PaytoneUnderTest;
  const streams: EventStream[] = [];
  const eventsUrl = (query = '') => `${pay.paytone.baseUrl}/v1/Accounts/${ACCOUNT_SID}/Events${query}`;
  const open = async (query = '', headers: Record<string, string> = AUTH) => {
    const stream = await openEventStream(eventsUrl(query), headers);
    streams.push(stream);
    return stream;
  };
  const ofSession = (stream: EventStream, sid: string) => stream.events.filter((e) => e.data.payment_sid === sid);

  before(async () => {
    pay = await openPaytone();
  });
  after(async () => {
    for (const stream of streams) stream.close();
    await pay.close();
  });

  it('carries a call and its pay session with exactly the parameters of each callback, in order', async () => {
    const stream = await open();
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/);

    const { callSid, sid } = await pay.startSession({ chargeAmount: 12 });
    const placed = await stream.next((e) => e.event === 'call-status' && e.data.call_sid === callSid);
    assert.equal(placed.data.parameters.CallStatus, 'in-progress');
    assert.equal(placed.data.payment_sid, null);

    await pay.capture(callSid, sid, 'payment-card-number', '4242424242424242#');
    await pay.capture(callSid, sid, 'expiration-date', futureExpiry());
    await pay.capture(callSid, sid, 'security-code', '123');
    await pay.capture(callSid, sid, 'postal-code', '94107#');
    await pay.finish(callSid, sid);
    await stream.next((e) => e.event === 'ended' && e.data.payment_sid === sid);

    const log = await pay.events(callSid, sid);
    const everything = ofSession(stream, sid);
    const live = everything.filter((e) => e.event !== 'asking');
    assert.deepEqual(
      live.map((e) => [e.event, e.data.parameters]),
      log.map((e) => [e.kind, e.parameters]),
      'one live event per callback, same kind and parameters',
    );
    // Besides: each field asked for, just before the caller's first key of it (Twilio sends no callback then).
    const asked = everything.flatMap((e, i) => (e.event === 'asking' ? [[e.data.parameters, everything[i + 1]!.data.parameters.Capture]] : []));
    assert.deepEqual(
      asked.map(([p, next]) => [p.Capture, p.ExpectedDigits, next]),
      [['payment-card-number', '15-19', 'payment-card-number'], ['expiration-date', '4', 'expiration-date'], ['security-code', '3', 'security-code'], ['postal-code', '1-10', 'postal-code']],
    );
    for (const [p] of asked) assert.match(`${p.FirstDigitTimeout} ${p.Timeout}`, /^\d+ \d+$/);
    assert.deepEqual(live.map((e) => e.data.id), [...live.map((e) => e.data.id)].sort((a, b) => a - b));
    live.forEach((e) => assert.equal(e.id, String(e.data.id), 'the SSE id is the event id'));
    const typed = live.filter((e) => e.data.parameters.Capture === 'payment-card-number').map((e) => e.data.parameters.PaymentCardNumber);
    assert.equal(typed.at(-1), 'xxxx-xxxx-xxxx-4242');
    assert.ok(!stream.raw().includes('4242424242424242'), 'no full card number on the stream');
    assert.ok(!/"SecurityCode":"(?!x+")/.test(stream.raw()), 'security codes only masked');
    assert.equal(live.at(-1)!.data.parameters.Result, 'success');

    await pay.client.calls(callSid).update({ status: 'completed' });
    const ended = await stream.next((e) => e.event === 'call-status' && e.data.call_sid === callSid && e.data.parameters.CallStatus === 'completed');
    assert.match(ended.data.parameters.CallDuration, /^\d+$/);
  });

  it('narrows to one call or one pay session', async () => {
    const byCall = await open();
    const first = await pay.startSession({ chargeAmount: 1 });
    const other = await pay.startSession({ chargeAmount: 2 });
    await byCall.next((e) => e.event === 'started' && e.data.payment_sid === other.sid);

    const callStream = await open(`?CallSid=${first.callSid}`);
    const sessionStream = await open(`?PaymentSid=${other.sid}`);
    await pay.capture(first.callSid, first.sid, 'payment-card-number', '4242424242424242#');
    await pay.capture(other.callSid, other.sid, 'payment-card-number', '5555555555554444#');
    await callStream.next((e) => e.data.parameters.PartialResult === 'false');
    await sessionStream.next((e) => e.data.parameters.PartialResult === 'false');
    await pay.client.calls(first.callSid).update({ status: 'completed' });
    await callStream.next((e) => e.event === 'call-status');
    await pay.client.calls(other.callSid).update({ status: 'completed' });
    await byCall.next((e) => e.event === 'call-status' && e.data.call_sid === other.callSid && e.data.parameters.CallStatus === 'completed');
    await sessionStream.next((e) => e.event === 'ended');

    assert.ok(callStream.events.every((e) => e.data.call_sid === first.callSid));
    assert.ok(callStream.events.some((e) => e.event === 'call-status' && e.data.parameters.CallStatus === 'completed'));
    assert.ok(sessionStream.events.every((e) => e.data.payment_sid === other.sid), 'a session stream carries no call status');
    assert.equal(sessionStream.events.filter((e) => e.data.parameters.PartialResult === 'false').at(-1)!.data.parameters.PaymentCardType, 'mastercard');
  });

  it('resumes after Last-Event-ID with exactly the events missed, then goes on live', async () => {
    const first = await open();
    const { callSid, sid } = await pay.startSession({ chargeAmount: 3 });
    await pay.capture(callSid, sid, 'payment-card-number', '4242424242424242#');
    const cardDone = await first.next((e) => e.data.payment_sid === sid && e.data.parameters.PartialResult === 'false');
    first.close();
    const seen = ofSession(first, sid);
    const resumeFrom = seen[5]!;

    await pay.capture(callSid, sid, 'expiration-date', futureExpiry());
    const resumed = await open('', { ...AUTH, 'last-event-id': resumeFrom.id! });
    const expiry = await resumed.next((e) => e.data.parameters.Capture === 'expiration-date' && e.data.parameters.PartialResult === 'false');
    const replayedCard = resumed.events.filter((e) => e.data.payment_sid === sid && e.data.parameters.Capture === 'payment-card-number');
    assert.deepEqual(
      replayedCard.map((e) => e.id),
      seen.slice(6).map((e) => e.id),
      'the events after the last one seen, none before it, none twice',
    );
    assert.ok(Number(resumed.events[0]!.id) > Number(resumeFrom.id));
    assert.ok(Number(expiry.id) > Number(cardDone.id));

    await pay.capture(callSid, sid, 'security-code', '123');
    await resumed.next((e) => e.data.parameters.Capture === 'security-code' && e.data.parameters.PartialResult === 'false');
    const ids = resumed.events.map((e) => Number(e.id));
    assert.equal(new Set(ids).size, ids.length, 'no event twice');

    const byQuery = await open(`?PaymentSid=${sid}&LastEventId=${cardDone.id}`);
    await byQuery.next((e) => e.data.parameters.Capture === 'security-code' && e.data.parameters.PartialResult === 'false');
    assert.equal(byQuery.events[0]!.data.parameters.Capture, 'expiration-date', 'LastEventId in the query resumes too');
  });

  it('opens with a short-lived token from EventTokens.json, for the account it was issued for only', async () => {
    const issued = await pay.paytone.post(`/v1/Accounts/${ACCOUNT_SID}/EventTokens.json`, {});
    assert.equal(issued.status, 201);
    assert.equal(issued.body.account_sid, ACCOUNT_SID);
    assert.equal(issued.body.ttl, 60);
    assert.match(issued.body.date_expires, /^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    const token = issued.body.token as string;
    assert.ok(!token.includes(AUTH_TOKEN));

    const stream = await open(`?Token=${encodeURIComponent(token)}`, {});
    assert.equal(stream.status, 200);
    const callSid = await pay.startCall();
    await stream.next((e) => e.data.call_sid === callSid);

    const otherAccount = 'AC' + 'e'.repeat(32);
    const refused = await fetch(`${pay.paytone.baseUrl}/v1/Accounts/${otherAccount}/Events?Token=${encodeURIComponent(token)}`);
    assert.equal(refused.status, 401);
    const tampered = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
    assert.equal((await fetch(eventsUrl(`?Token=${encodeURIComponent(tampered)}`))).status, 401);
    // A token is for the stream only: it is no credential for a token of its own or for the API.
    const withToken = await fetch(`${pay.paytone.baseUrl}/v1/Accounts/${ACCOUNT_SID}/EventTokens.json?Token=${encodeURIComponent(token)}`, { method: 'POST' });
    assert.equal(withToken.status, 401);
  });

  it('takes an API key as Basic credentials', async () => {
    const [keySid, secret] = await createApiKey(pay.paytone);
    const stream = await open('', { authorization: basicAuth(keySid, secret) });
    assert.equal(stream.status, 200);
    const token = await fetch(`${pay.paytone.baseUrl}/v1/Accounts/${ACCOUNT_SID}/EventTokens.json`, { method: 'POST', headers: { authorization: basicAuth(keySid, secret) } });
    assert.equal(token.status, 201);
  });

  it('refuses bad credentials with 20003 and bad parameters with 64020, and sends nothing else', async () => {
    const envelope = async (response: Response) => ({ status: response.status, body: await response.json() });
    const authenticate = { code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 };
    const badHeaders: Array<Record<string, string>> = [{}, { authorization: basicAuth(ACCOUNT_SID, 'f'.repeat(32)) }, { authorization: 'Bearer x' }];
    for (const headers of badHeaders) {
      const answer = await envelope(await fetch(eventsUrl(), { headers: { accept: 'text/event-stream', ...headers } }));
      assert.deepEqual(answer, { status: 401, body: authenticate }, JSON.stringify(headers));
    }
    for (const query of ['?Token=', '?Token=nonsense', `?Token=${ACCOUNT_SID}.1.${'A'.repeat(43)}`, '?Token=a&Token=b']) {
      assert.deepEqual(await envelope(await fetch(eventsUrl(query))), { status: 401, body: authenticate }, query);
    }
    const tokenRefused = await fetch(`${pay.paytone.baseUrl}/v1/Accounts/${ACCOUNT_SID}/EventTokens.json`, { method: 'POST' });
    assert.equal(tokenRefused.status, 401);

    for (const [query, headers, named] of [
      ['?CallSid=CA123', {}, 'CallSid'],
      ['?PaymentSid=' + 'PK' + 'z'.repeat(32), {}, 'PaymentSid'],
      ['', { 'last-event-id': 'abc' }, 'Last-Event-ID'],
      ['?LastEventId=-1', {}, 'Last-Event-ID'],
    ] as const) {
      const answer = await envelope(await fetch(eventsUrl(query), { headers: { ...AUTH, ...headers } }));
      assert.equal(answer.status, 400);
      assert.equal(answer.body.code, 64020);
      assert.match(answer.body.message, new RegExp(named));
    }
  });

  it('resumes across a restart: ids keep growing and nothing committed is lost', async () => {
    const stream = await open();
    const { callSid, sid } = await pay.startSession({ chargeAmount: 4 });
    const started = await stream.next((e) => e.event === 'started' && e.data.payment_sid === sid);
    stream.close();
    await pay.requestCapture(callSid, sid, 'payment-card-number');
    await pay.paytone.press(callSid, '4242424242424242#');
    await pay.nextCallback(sid, 0, (p) => p.PartialResult === 'false');
    await pay.restart();

    const resumed = await open('', { ...AUTH, 'last-event-id': started.id! });
    await pay.capture(callSid, sid, 'expiration-date', futureExpiry());
    await resumed.next((e: StreamEvent) => e.data.parameters.Capture === 'expiration-date' && e.data.parameters.PartialResult === 'false');
    const card = resumed.events.filter((e) => e.data.payment_sid === sid && e.data.parameters.Capture === 'payment-card-number');
    assert.deepEqual(
      card.map((e) => e.event),
      ['asking', ...Array(17).fill('capture')],
      'the field asked for, its 16 digits and its end, committed before the restart',
    );
    const ids = resumed.events.map((e) => Number(e.id));
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    assert.ok(ids[0]! > Number(started.id));
  });

  it('ends open streams on shutdown, so the server stops cleanly', async () => {
    const stream = await open();
    await pay.paytone.kill('SIGTERM');
    await stream.ended;
    assert.equal(pay.paytone.child.exitCode, 0);
    assert.match(pay.paytone.output(), /shut down cleanly/);
  });
});

// Each process of a cluster counts its own requests (see docs/operations.md, "Running a cluster").
describe('live event routes under the account rate limit', { skip: clusterSizeForTests() > 1 ? 'rate limits are counted per process' : false }, () => {
  it('answers 20429 past the limit, counting only authenticated requests', async () => {
    const paytone = await startPaytone({ env: { PAYTONE_RATE_LIMIT: '2/60s' } });
    try {
      const tokens = `${paytone.baseUrl}/v1/Accounts/${ACCOUNT_SID}/EventTokens.json`;
      assert.equal((await fetch(tokens, { method: 'POST' })).status, 401, 'no credentials: refused, and not counted');
      assert.equal((await fetch(tokens, { method: 'POST', headers: AUTH })).status, 201);
      assert.equal((await fetch(tokens, { method: 'POST', headers: AUTH })).status, 201);
      const limited = await fetch(tokens, { method: 'POST', headers: AUTH });
      assert.equal(limited.status, 429);
      assert.equal(((await limited.json()) as { code: number }).code, 20429);
      assert.match(limited.headers.get('retry-after') ?? '', /^\d+$/);
      const stream = await fetch(`${paytone.baseUrl}/v1/Accounts/${ACCOUNT_SID}/Events`, { headers: AUTH });
      assert.equal(stream.status, 429);
    } finally {
      await paytone.stop();
    }
  });
});
