/**
 * Status callback delivery as an app sees it: relative StatusCallbacks resolved against the call's Url, a
 * receiver that fails once gets the very same signed callback again (same I-Twilio-Idempotency-Token), and the
 * callbacks of one session arrive in order even when one of them had to be retried.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import twilio from 'twilio';
import { AUTH_TOKEN } from '../support/paytone.js';
import { until } from '../support/poll.js';
import { isFinalCallback, newKey, openPaytone, type PaytoneUnderTest } from './flows.js';

interface Attempt {
  token: string;
  signature: string;
  raw: string;
  params: Record<string, string>;
  status: number;
}

/**
 * A receiver that records every attempt, failed ones included, and answers 500 to the first attempt of the
 * callbacks `failFirst` picks (by the session's callback number, from 1).
 */
async function startFlakyReceiver(failFirst: (callbackNumber: number) => boolean) {
  const attempts: Attempt[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(raw));
      const token = String(req.headers['i-twilio-idempotency-token'] ?? '');
      const ofSession = attempts.filter((a) => a.params.Sid === params.Sid);
      const seen = ofSession.some((a) => a.token === token);
      const callbackNumber = seen ? 0 : new Set(ofSession.map((a) => a.token)).size + 1;
      const status = !seen && failFirst(callbackNumber) ? 500 : 200;
      attempts.push({ token, signature: String(req.headers['x-twilio-signature'] ?? ''), raw, params, status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/flaky`;
  return {
    url,
    attempts,
    forSession: (sid: string) => attempts.filter((a) => a.params.Sid === sid),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('status callback delivery', () => {
  let pay: PaytoneUnderTest;
  let flaky: Awaited<ReturnType<typeof startFlakyReceiver>>;
  before(async () => {
    pay = await openPaytone();
    flaky = await startFlakyReceiver((n) => n === 1 || n === 3);
  });
  after(async () => {
    await flaky.close();
    await pay.close();
  });

  /** Polls the receiver's attempts until `predicate` holds. */
  async function attemptsUntil(predicate: () => boolean): Promise<void> {
    // Retries wait their backoff; on a loaded machine, or three processes sharing the outbox, that adds up.
    await until(() => `callbacks: ${JSON.stringify(flaky.attempts.map((a) => [a.token, a.status]))}`, async () => predicate(), 60_000);
  }

  it("resolves a relative StatusCallback against the call's Url", async () => {
    const callSid = await pay.startCall({ url: `${pay.receiver.url}/voice/answer` });
    const payment = await pay.client.calls(callSid).payments.create({ idempotencyKey: newKey(), statusCallback: 'payments/status', chargeAmount: 1 });
    await pay.receiver.waitFor(() => pay.receiver.forSession(payment.sid).length > 0);
    const [started] = pay.receiver.forSession(payment.sid);
    assert.equal(started!.path, '/voice/payments/status');
    assert.ok(started!.signatureValid, 'signed over the resolved URL');
    const [event] = await pay.events(callSid, payment.sid);
    assert.equal(event!.callback.url, `${pay.receiver.url}/voice/payments/status`);

    // The update's own relative StatusCallback counts for the callbacks it causes.
    const before = pay.receiver.forSession(payment.sid).length;
    await pay.client.calls(callSid).payments(payment.sid).update({ idempotencyKey: newKey(), statusCallback: '/elsewhere', status: 'cancel' });
    const final = await pay.nextCallback(payment.sid, before, isFinalCallback);
    assert.equal(final.path, '/elsewhere');
    assert.ok(final.signatureValid);
  });

  it('sends a failed callback again with the same token and signature, and keeps the order', async () => {
    const callSid = await pay.startCall();
    const payment = await pay.client.calls(callSid).payments.create({ idempotencyKey: newKey(), statusCallback: flaky.url, chargeAmount: 1 });
    const sid = payment.sid;
    await pay.client.calls(callSid).payments(sid).update({ idempotencyKey: newKey(), statusCallback: flaky.url, capture: 'postal-code' });
    await pay.paytone.press(callSid, '941#');
    const delivered = () => flaky.forSession(sid).filter((a) => a.status === 200);
    await attemptsUntil(() => delivered().some((a) => a.params.Capture === 'postal-code' && a.params.PartialResult === 'false'));

    const attempts = flaky.forSession(sid);
    const first = attempts.filter((a) => a.token === attempts[0]!.token);
    assert.deepEqual(first.map((a) => a.status), [500, 200], 'the started callback failed once, then got through');
    assert.equal(first[1]!.signature, first[0]!.signature);
    assert.equal(first[1]!.raw, first[0]!.raw);
    for (const attempt of attempts) {
      assert.ok(twilio.validateRequest(AUTH_TOKEN, attempt.signature, flaky.url, attempt.params), 'every attempt is signed');
    }

    // In order: each callback gets through before the next one is tried, the retried third one included.
    const tokens = attempts.map((a) => a.token);
    const distinct = [...new Set(tokens)];
    assert.equal(distinct.length, 5, 'started, three digits, field ended');
    assert.deepEqual(
      delivered().map((a) => a.token),
      distinct,
    );
    assert.deepEqual(
      tokens,
      [distinct[0], distinct[0], distinct[1], distinct[2], distinct[2], distinct[3], distinct[4]],
      'nothing overtakes a callback waiting for its retry',
    );
    assert.deepEqual(
      delivered().map((a) => a.params.PaymentCardPostalCode ?? null),
      [null, 'x', 'xx', 'xxx', '941'],
    );

    // An attempt is recorded once its answer is in: a moment after the receiver saw it (a cluster writes the records
    // of one turn together), so wait for the records rather than read them the instant the last callback arrived.
    const events = await until('every callback recorded as delivered', async () => {
      const all = await pay.events(callSid, sid);
      return all.length >= 5 && all.slice(0, 5).every((event) => event.callback?.status === 'delivered') && all;
    }, 60_000);
    assert.equal(events[0]!.callback.attempts, 2);
    assert.equal(events[0]!.callback.status, 'delivered');
    assert.equal(events[0]!.callback.last_response_code, 200);
    assert.equal(events[1]!.callback.attempts, 1);
    assert.equal(events[2]!.callback.attempts, 2);
  });
});
