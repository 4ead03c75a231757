/**
 * How sessions end: every sandbox test card, the caller pressing `*` or hanging up, the agent cancelling, and
 * fields that end by themselves when the caller stops typing or never starts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { futureExpiry, isFinalCallback, newKey, openPaytone, type PaytoneUnderTest } from './flows.js';

/** Starts a charge session and captures every field of `card`; returns its call and session sids. */
async function capturedCard(pay: PaytoneUnderTest, card: string): Promise<{ callSid: string; sid: string }> {
  const { callSid, sid } = await pay.startSession({ chargeAmount: 12.34, postalCode: false });
  await pay.capture(callSid, sid, 'payment-card-number', `${card}#`);
  await pay.capture(callSid, sid, 'expiration-date', `${futureExpiry()}#`);
  const last = await pay.capture(callSid, sid, 'security-code', '123');
  assert.equal(last.Required, '', JSON.stringify(last));
  return { callSid, sid };
}

describe('how a pay session ends', () => {
  let pay: PaytoneUnderTest;
  before(async () => {
    pay = await openPaytone();
  });
  after(async () => {
    await pay.close();
  });

  for (const [card, payErrorCode, connectorError] of [
    ['4000000000000002', '64012', 'card_declined'],
    ['4000000000009995', '64012', 'insufficient_funds'],
    ['4000000000000069', '64012', 'expired_card'],
    ['4000000000000127', '64012', 'incorrect_cvc'],
    ['4000000000000119', '64010', 'processing_error'],
  ] as const) {
    it(`sandbox card ${card} fails with ${connectorError}`, async () => {
      const { callSid, sid } = await capturedCard(pay, card);
      const final = await pay.finish(callSid, sid);
      assert.equal(final.Result, 'payment-connector-error');
      assert.equal(final.PayErrorCode, payErrorCode);
      assert.equal(final.ConnectorError, connectorError);
      assert.ok(final.PaymentError, 'PaymentError says what happened');
      assert.equal(final.PaymentConfirmationCode, undefined);
      const view = await pay.session(callSid, sid);
      assert.equal(view.status, 'failed');
      assert.equal(view.connector_error, connectorError);
      assert.equal((await pay.gatewayTransactions(sid)).length, 1);
    });
  }

  it('any other valid card succeeds', async () => {
    const { callSid, sid } = await capturedCard(pay, '5555555555554444');
    const final = await pay.finish(callSid, sid);
    assert.equal(final.Result, 'success');
    assert.match(final.PaymentConfirmationCode!, /^ch_/);
  });

  it('ends with caller-interrupted-with-star when the caller presses *', async () => {
    const { callSid, sid } = await pay.startSession({ chargeAmount: 1 });
    const before = pay.receiver.forSession(sid).length;
    await pay.requestCapture(callSid, sid, 'payment-card-number');
    await pay.paytone.press(callSid, '4242*');
    const final = await pay.nextCallback(sid, before, isFinalCallback);
    assert.equal(final.params.Result, 'caller-interrupted-with-star');
    assert.equal((await pay.session(callSid, sid)).status, 'canceled');
  });

  it('ends with caller-hung-up when the call is hung up mid-capture', async () => {
    const { callSid, sid } = await pay.startSession({ chargeAmount: 1 });
    const before = pay.receiver.forSession(sid).length;
    await pay.requestCapture(callSid, sid, 'payment-card-number');
    await pay.paytone.press(callSid, '42');
    await pay.nextCallback(sid, before, (p) => p.PaymentCardNumber === 'xx');
    const call = await pay.client.calls(callSid).update({ status: 'completed' });
    assert.equal(call.status, 'completed');
    const final = await pay.nextCallback(sid, before, isFinalCallback);
    assert.equal(final.params.Result, 'caller-hung-up');
    assert.equal((await pay.session(callSid, sid)).status, 'canceled');
  });

  it('sends a final callback when the agent cancels, and charges nothing', async () => {
    const { callSid, sid } = await capturedCard(pay, '4242424242424242');
    const final = await pay.finish(callSid, sid, 'cancel');
    assert.equal(final.PaymentConfirmationCode, undefined);
    assert.equal(final.Sid, sid);
    const view = await pay.session(callSid, sid);
    assert.equal(view.status, 'canceled');
    // The secrets are erased; the masked summary stays, exactly as the final capture callbacks carried it.
    const shown = (capture: string, parameter: string) =>
      pay.receiver.forSession(sid).find((r) => r.params.Capture === capture && r.params.PartialResult === 'false')?.params[parameter];
    assert.equal(view.payment_card_number, 'xxxx-xxxx-xxxx-4242');
    assert.equal(view.payment_card_number, shown('payment-card-number', 'PaymentCardNumber'));
    assert.equal(view.payment_card_type, 'visa');
    assert.equal(view.expiration_date, shown('expiration-date', 'ExpirationDate'));
    assert.equal(view.security_code, 'xxx');
    assert.equal(view.payment_card_postal_code, null, 'not asked for');
    assert.equal((await pay.gatewayTransactions(sid)).length, 0);
  });

  it('ends a field Timeout seconds after the last digit and validates what was typed', async () => {
    const { callSid, sid } = await pay.startSession({ chargeAmount: 1, timeout: 1 });
    // A 16-digit visa number could still grow to 19 digits: only the timeout ends it.
    const card = await pay.capture(callSid, sid, 'payment-card-number', '4242424242424242');
    assert.equal(card.PaymentCardNumber, 'xxxx-xxxx-xxxx-4242');
    assert.equal(card.ErrorType, undefined);
    const short = await pay.capture(callSid, sid, 'expiration-date', '12');
    assert.equal(short.ErrorType, 'invalid-date');
  });
});

describe('a caller who never starts typing', () => {
  let pay: PaytoneUnderTest;
  before(async () => {
    pay = await openPaytone({ PAYTONE_FIRST_DIGIT_TIMEOUT: '1' });
  });
  after(async () => {
    await pay.close();
  });

  it('gets ErrorType input-timeout and the agent may ask again', async () => {
    const { callSid, sid } = await pay.startSession({ chargeAmount: 1 });
    const before = pay.receiver.forSession(sid).length;
    await pay.client.calls(callSid).payments(sid).update({ idempotencyKey: newKey(), statusCallback: pay.statusCallback, capture: 'postal-code' });
    const timedOut = await pay.nextCallback(sid, before, (p) => p.Capture === 'postal-code');
    assert.equal(timedOut.params.ErrorType, 'input-timeout');
    assert.equal(timedOut.params.PartialResult, 'false');
    assert.equal(timedOut.params.Required, 'payment-card-number,expiration-date,security-code,postal-code');
    const view = await pay.session(callSid, sid);
    assert.equal(view.status, 'in-progress');
    assert.equal(view.capture, null);
    const again = await pay.capture(callSid, sid, 'postal-code', '94107#');
    assert.equal(again.PaymentCardPostalCode, '94107');
  });
});
