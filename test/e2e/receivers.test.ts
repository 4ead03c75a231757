/**
 * StatusCallback receivers that are down, slow or failing, against the real server. The retry schedule is the
 * production one scaled down through its settings (first retry after 50 ms instead of 1 s, capped at 400 ms
 * instead of 5 minutes, a 1 s timeout instead of 15 s), so that an outage of dozens of attempts, minutes in
 * production, takes seconds here. What must hold: callbacks wait and arrive in order, each with its idempotency
 * token, once the receiver recovers; every attempt shows in Events.json; one account's bad receiver does not delay
 * another account's callbacks; and after the last attempt paytone gives up visibly and moves on.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import twilio from 'twilio';
import { until } from '../support/poll.js';
import { AUTH_TOKEN, paytoneCli, type PaytoneProcess } from '../support/paytone.js';
import { startReceiver, type CallbackReceiver } from '../support/receiver.js';
import { assertReceivedInOrder, newKey, openPaytone, type PaytoneUnderTest } from './flows.js';

const SCALED_RETRY = {
  PAYTONE_CALLBACK_RETRY_BASE_MS: '50',
  PAYTONE_CALLBACK_RETRY_MAX_MS: '400',
  PAYTONE_CALLBACK_TIMEOUT_MS: '1000',
  PAYTONE_CALLBACK_MAX_ATTEMPTS: '100',
};
const OTHER_ACCOUNT = { sid: 'AC' + '5'.repeat(32), token: '6'.repeat(32) };

type Events = Array<Record<string, any>>;

/** A second account in the server's database, made with the `paytone` command while the server runs. */
function createOtherAccount(paytone: PaytoneProcess): void {
  paytoneCli(paytone, 'accounts', 'create', '--sid', OTHER_ACCOUNT.sid, '--auth-token', OTHER_ACCOUNT.token);
}

describe('a receiver that fails, is down or is slow', () => {
  let pay: PaytoneUnderTest;
  before(async () => (pay = await openPaytone(SCALED_RETRY)));
  after(async () => pay?.close());

  const events = (s: { callSid: string; sid: string }): Promise<Events> => pay.events(s.callSid, s.sid);

  it('holds the callbacks through dozens of 500s, shows every attempt, and delivers them in order once it recovers', async () => {
    pay.receiver.answerWith(500);
    const s = await pay.startSession({ chargeAmount: 5, timeout: 60 });
    await pay.captureShown(s.callSid, s.sid, 'payment-card-number', '4242424242424242#', (v) => v.payment_card_number === 'xxxx-xxxx-xxxx-4242');
    const during = await until('the first callback to be refused 20 times', async () => {
      const log = await events(s);
      return (log[0]?.callback.attempts ?? 0) >= 20 && log;
    }, 60_000);
    const head = during[0]!.callback;
    assert.equal(head.status, 'pending');
    assert.equal(head.last_response_code, 500);
    assert.equal(head.last_error, 'HTTP 500');
    assert.match(head.next_attempt ?? '', /\+0000$/, 'the next attempt is shown');
    assert.ok(during.length > 10, 'the card number produced a callback per digit');
    for (const waiting of during.slice(1)) {
      assert.equal(waiting.callback.status, 'pending');
      assert.equal(waiting.callback.attempts, 0, `callback ${waiting.sequence_number} waits behind the first one, in order`);
    }

    pay.receiver.answerWith(200);
    const log = await until('every callback to be delivered', async () => {
      const all = await events(s);
      return all.every((e) => e.callback.status === 'delivered') && all;
    }, 30_000);
    assert.deepEqual(log.map((e) => e.sequence_number), during.map((e) => e.sequence_number), 'no callback was lost');
    assertReceivedInOrder(s.sid, log, pay.receiver.forSession(s.sid));
  });

  it('retries a receiver that refuses connections, then one that answers after the timeout, until it answers in time', async () => {
    const spot = await startReceiver(AUTH_TOKEN);
    const port = Number(new URL(spot.url).port);
    await spot.close();
    const statusCallback = `http://127.0.0.1:${port}/pay`;
    const s = await pay.startSession({ chargeAmount: 5, statusCallback });
    await until('connection refusals to be recorded', async () => {
      const [started] = await events(s);
      return started!.callback.attempts >= 3 && started!.callback.last_error === 'ECONNREFUSED' && started!.callback.last_response_code === null;
    }, 30_000);

    let slow: CallbackReceiver | null = null;
    try {
      slow = await startReceiver(AUTH_TOKEN, '127.0.0.1', { port });
      slow.answerAfter(3_000);
      await until('a timeout to be recorded', async () => (await events(s))[0]!.callback.last_error === 'timeout', 30_000);
      slow.answerAfter(0);
      const [started] = await until('the started callback to be delivered', async () => {
        const log = await events(s);
        return log[0]!.callback.status === 'delivered' && log;
      }, 30_000);
      assert.ok(started!.callback.attempts >= 5, `attempts: ${started!.callback.attempts}`);
      assert.equal(started!.callback.last_response_code, 200);
      assert.ok(slow.received.every((r) => r.headers['i-twilio-idempotency-token'] === `${s.sid}-1`), 'every copy carries the same token');
      assert.ok(slow.received.every((r) => r.raw === slow!.received[0]!.raw), 'every copy is the same');
    } finally {
      await slow?.close();
    }
  });

  it("does not let one account's hung receiver delay another account's callbacks", async () => {
    createOtherAccount(pay.paytone);
    const other = await startReceiver(OTHER_ACCOUNT.token);
    try {
      // Account one's receiver takes longer than the timeout to answer anything: every attempt ends in a timeout.
      pay.receiver.answerAfter(60_000);
      const held: Array<{ callSid: string; sid: string }> = [];
      for (let i = 0; i < 20; i += 1) held.push(await pay.startSession({ chargeAmount: 5 }));
      await until('account one to have callbacks in flight', async () => (await events(held[0]!)).some((e) => e.callback.last_error === 'timeout'), 30_000);

      const client = twilio(OTHER_ACCOUNT.sid, OTHER_ACCOUNT.token);
      client.api.baseUrl = pay.paytone.baseUrl;
      const call = await client.calls.create({ to: '+15551230009', from: '+15559870009', url: `${other.url}/voice` });
      const payment = await client.calls(call.sid).payments.create({ idempotencyKey: newKey(), statusCallback: `${other.url}/pay`, chargeAmount: 5 });
      await client.calls(call.sid).payments(payment.sid).update({ idempotencyKey: newKey(), statusCallback: `${other.url}/pay`, status: 'cancel' });
      await other.waitFor((received) => received.filter((r) => r.params.Sid === payment.sid).length === 2, 20_000);

      const stillHeld: Events = [];
      for (const s of held) stillHeld.push(...(await events(s)).filter((e) => e.callback.status !== 'delivered'));
      assert.equal(stillHeld.length, held.length, "every callback of account one was still held when account two's arrived");
      assert.ok(other.received.every((r) => r.signatureValid), "account two's callbacks are signed with its own token");

      pay.receiver.answerAfter(0);
      for (const s of held) {
        const log = await until(`the held callbacks of ${s.sid} to be delivered`, async () => {
          const all = await events(s);
          return all.every((e) => e.callback.status === 'delivered') && all;
        }, 60_000);
        assertReceivedInOrder(s.sid, log, pay.receiver.forSession(s.sid));
      }
    } finally {
      pay.receiver.answerAfter(0);
      await other.close();
    }
  });
});

describe('giving up', () => {
  let pay: PaytoneUnderTest;
  before(async () => (pay = await openPaytone({ ...SCALED_RETRY, PAYTONE_CALLBACK_MAX_ATTEMPTS: '3' })));
  after(async () => pay?.close());

  it('marks a callback failed after the last attempt, says so in the log, and sends the next one', async () => {
    pay.receiver.answerWith(503);
    const s = await pay.startSession({ chargeAmount: 5 });
    const [started] = await until('the started callback to be given up', async () => {
      const log = await pay.events(s.callSid, s.sid);
      return log[0]!.callback.status === 'failed' && log;
    }, 30_000);
    assert.equal(started!.callback.attempts, 3);
    assert.equal(started!.callback.last_response_code, 503);
    assert.equal(started!.callback.next_attempt, null, 'no attempt is planned any more');
    // The log line is written as the attempt is recorded; it may reach the captured output a moment later.
    await until('the give-up log line', async () => /"msg":"callback given up"/.test(pay.paytone.output()), 10_000);

    pay.receiver.answerWith(200);
    await pay.requestFinish(s.callSid, s.sid, 'cancel');
    const log = await until('the cancel callback to be delivered', async () => {
      const all = await pay.events(s.callSid, s.sid);
      return all.length === 2 && all[1]!.callback.status === 'delivered' && all;
    }, 30_000);
    assert.equal(log[0]!.callback.status, 'failed', 'a given-up callback stays given up');
    assert.deepEqual(pay.receiver.forSession(s.sid).map((r) => r.headers['i-twilio-idempotency-token']), [`${s.sid}-2`]);
  });
});
