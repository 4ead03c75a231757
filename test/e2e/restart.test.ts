/**
 * Durability across `kill -9`: a session cut off mid-capture keeps what the caller typed, every callback that
 * was due still arrives, and a payment cut off while the gateway was answering is charged exactly once.
 *
 * What the product does with the field in progress: each digit the session accepts is committed (sealed in the
 * vault) with the session before the next one is read, and the field's timer is re-armed from the stored
 * deadline. So after a restart the caller goes on typing the same field: the digits typed before the crash are
 * still there and the remaining ones complete it; the agent does not ask again.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { until } from '../support/poll.js';
import { assertReceivedInOrder, openPaytone, type PaytoneUnderTest } from './flows.js';

const SLOW_CARD = '4000000000000077';

let pay: PaytoneUnderTest;

before(async () => (pay = await openPaytone({ PAYTONE_SANDBOX_SLOW_MS: '3000' })));

after(async () => pay?.close());

interface PaySession {
  callSid: string;
  sid: string;
}

/** A call and a card-charging session on it. */
async function startSession(): Promise<PaySession> {
  const callSid = await pay.startCall({ to: '+15551230100', url: `${pay.receiver.url}/voice` });
  return pay.startSession({ chargeAmount: 12.5, postalCode: false, timeout: 120 }, callSid);
}

const view = (s: PaySession) => pay.session(s.callSid, s.sid);
const events = (s: PaySession) => pay.events(s.callSid, s.sid);

describe('kill -9 and restart', () => {
  it('resumes a half-typed expiry and delivers every callback that was pending', async () => {
    pay.receiver.answerWith(500);
    const s = await startSession();
    await pay.captureShown(s.callSid, s.sid, 'payment-card-number', '4242424242424242#', (v) => v.payment_card_number === 'xxxx-xxxx-xxxx-4242');
    await pay.requestCapture(s.callSid, s.sid, 'expiration-date');
    await pay.paytone.press(s.callSid, '12');
    await until('the first two expiry digits to be accepted', async () => {
      const last = (await events(s)).at(-1);
      return last?.parameters.Capture === 'expiration-date' && last.parameters.ExpirationDate === 'xx';
    });
    const pending = await until('a callback attempt to be refused with 500', async () => {
      const log = await events(s);
      return log[0]?.callback.last_response_code === 500 && log;
    });
    assert.ok(pending.every((e) => e.callback.status === 'pending'), 'every callback is still in the outbox');
    const before = await view(s);
    assert.equal(before.capture, 'expiration-date');

    await pay.restart();

    assert.deepEqual(await view(s), before, 'the session reads the same after the restart');
    await assert.rejects(pay.startSession({ chargeAmount: 3 }, s.callSid), (err: { status?: number; code?: number }) => err.status === 400 && err.code === 64021, 'the restarted server still knows the call has an open session');
    pay.receiver.answerWith(200);
    await pay.paytone.press(s.callSid, '30#');
    await until('the expiry to be accepted', async () => (await view(s)).expiration_date === '1230');
    await pay.keypadIdle(s.callSid);
    await pay.captureShown(s.callSid, s.sid, 'security-code', '123#', (v) => v.security_code === 'xxx');
    await pay.requestFinish(s.callSid, s.sid);
    await until('the final callback', async () => pay.receiver.forSession(s.sid).some((r) => r.params.Result !== undefined));

    const final = pay.receiver.forSession(s.sid).filter((r) => r.params.Result !== undefined);
    assert.equal(final.length, 1);
    assert.equal(final[0]!.params.Result, 'success');
    assert.match(final[0]!.params.PaymentConfirmationCode ?? '', /^ch_/);

    const log = await until('every callback to be delivered', async () => {
      const all = await events(s);
      return all.every((e) => e.callback.status === 'delivered') && all;
    });
    assertReceivedInOrder(s.sid, log, pay.receiver.forSession(s.sid));
    for (const pendingEvent of pending) {
      assert.ok(log.some((e) => e.sequence_number === pendingEvent.sequence_number), 'no pending callback was dropped');
    }
  });

  it('charges the slow card once when killed while the gateway is answering', async () => {
    pay.receiver.answerWith(200);
    const s = await startSession();
    await pay.captureShown(s.callSid, s.sid, 'payment-card-number', `${SLOW_CARD}#`, (v) => v.payment_card_number === 'xxxx-xxxx-xxxx-0077');
    await pay.captureShown(s.callSid, s.sid, 'expiration-date', '1230#', (v) => v.expiration_date === '1230');
    await pay.captureShown(s.callSid, s.sid, 'security-code', '123#', (v) => v.security_code === 'xxx');
    await pay.requestFinish(s.callSid, s.sid);
    assert.equal((await view(s)).status, 'completing', 'the gateway is still answering when the process dies');

    await pay.restart();

    await until('the final callback', async () => pay.receiver.forSession(s.sid).some((r) => r.params.Result !== undefined));
    await until('every callback to be delivered', async () => (await events(s)).every((e) => e.callback.status === 'delivered'));
    const final = pay.receiver.forSession(s.sid).filter((r) => r.params.Result !== undefined);
    assert.equal(final.length, 1, 'exactly one final callback');
    assert.equal(final[0]!.params.Result, 'success');
    const transactions = await pay.gatewayTransactions(s.sid);
    assert.equal(transactions.length, 1, 'exactly one gateway transaction');
    assert.equal(JSON.parse(transactions[0]!.outcome).confirmationCode, final[0]!.params.PaymentConfirmationCode);
    assert.equal((await view(s)).payment_confirmation_code, final[0]!.params.PaymentConfirmationCode);
  });
});
