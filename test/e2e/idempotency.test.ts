/**
 * Twilio's IdempotencyKey as DESIGN.md "Idempotency" states it: an identical request replays its response and
 * does nothing else while its operation is current; the same key with other parameters is a new request; and
 * whatever arrives, a session makes at most one connector transaction.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { futureExpiry, isFinalCallback, newKey, openPaytone, paymentsPath, type PaytoneUnderTest } from './flows.js';

describe('idempotent Payments requests', () => {
  let pay: PaytoneUnderTest;
  const rawCreate = (callSid: string, form: Record<string, string>) => pay.paytone.post(paymentsPath(callSid), form);
  const rawUpdate = (callSid: string, sid: string, form: Record<string, string>) => pay.paytone.post(paymentsPath(callSid, sid), form);

  async function readyToComplete(): Promise<{ callSid: string; sid: string }> {
    const { callSid, sid } = await pay.startSession({ chargeAmount: 9.99, postalCode: false });
    await pay.capture(callSid, sid, 'payment-card-number', '4242424242424242#');
    await pay.capture(callSid, sid, 'expiration-date', `${futureExpiry()}#`);
    await pay.capture(callSid, sid, 'security-code', '123');
    return { callSid, sid };
  }

  before(async () => {
    pay = await openPaytone();
  });
  after(async () => {
    await pay.close();
  });

  it('replays an identical create: same session, no second started callback', async () => {
    const callSid = await pay.startCall();
    const form = { IdempotencyKey: newKey(), StatusCallback: pay.statusCallback, ChargeAmount: '7' };
    const first = await rawCreate(callSid, form);
    const again = await rawCreate(callSid, { ChargeAmount: '7', StatusCallback: pay.statusCallback, IdempotencyKey: form.IdempotencyKey });
    assert.equal(first.status, 201);
    assert.equal(again.status, 201);
    assert.deepEqual(again.body, first.body, 'the same response, whatever the order of the parameters');
    const sid = first.body.sid;

    const card = await pay.capture(callSid, sid, 'postal-code', '94107#');
    assert.equal(card.PaymentCardPostalCode, '94107');
    const started = pay.receiver.forSession(sid).filter((r) => r.params.DateUpdated === undefined);
    assert.equal(started.length, 1);
    assert.equal((await pay.events(callSid, sid)).filter((e) => e.kind === 'started').length, 1);
    assert.equal((await pay.paytone.get(paymentsPath(callSid))).body.payments.length, 1);
  });

  it('replays a capture retried while the caller is typing, without restarting it', async () => {
    const { callSid, sid } = await pay.startSession({ chargeAmount: 1 });
    const before = pay.receiver.forSession(sid).length;
    const form = { IdempotencyKey: newKey(), StatusCallback: pay.statusCallback, Capture: 'payment-card-number' };
    const first = await rawUpdate(callSid, sid, form);
    assert.equal(first.status, 202);
    await pay.paytone.press(callSid, '4242');
    await pay.nextCallback(sid, before, (p) => p.PaymentCardNumber === 'xxxx');

    const retried = await rawUpdate(callSid, sid, form);
    assert.equal(retried.status, 202);
    assert.deepEqual(retried.body, first.body);

    await pay.paytone.press(callSid, '424242424242#');
    const ended = await pay.nextCallback(sid, before, (p) => p.PartialResult === 'false');
    assert.equal(ended.params.PaymentCardNumber, 'xxxx-xxxx-xxxx-4242');
    assert.equal(ended.params.ErrorType, undefined, 'the first 4 digits were kept');
    const partials = pay.receiver.forSession(sid).slice(before).filter((r) => r.params.PartialResult === 'true');
    assert.deepEqual(
      partials.map((r) => r.params.PaymentCardNumber!.replaceAll('-', '').length),
      Array.from({ length: 16 }, (_, i) => i + 1),
    );
  });

  it('charges once when the same complete is retried, during and after completing', async () => {
    const { callSid, sid } = await readyToComplete();
    const before = pay.receiver.forSession(sid).length;
    const form = { IdempotencyKey: newKey(), StatusCallback: pay.statusCallback, Status: 'complete' };
    const [a, b] = await Promise.all([rawUpdate(callSid, sid, form), rawUpdate(callSid, sid, form)]);
    assert.equal(a.status, 202);
    assert.deepEqual(b, a);
    const final = await pay.nextCallback(sid, before, isFinalCallback);
    assert.equal(final.params.Result, 'success');
    const later = await rawUpdate(callSid, sid, form);
    assert.deepEqual(later, a, 'a retry after the end still gets the original answer');

    const events = await pay.deliveredEvents(callSid, sid);
    assert.equal(events.filter((e) => e.kind === 'ended').length, 1);
    assert.equal(pay.receiver.forSession(sid).filter((r) => isFinalCallback(r.params)).length, 1);
    assert.equal((await pay.gatewayTransactions(sid)).length, 1);
  });

  it('charges once when five completes with different keys race', async () => {
    const { callSid, sid } = await readyToComplete();
    const before = pay.receiver.forSession(sid).length;
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => rawUpdate(callSid, sid, { IdempotencyKey: newKey(), StatusCallback: pay.statusCallback, Status: 'complete' })),
    );
    assert.equal(answers.filter((r) => r.status === 202).length, 1, JSON.stringify(answers));
    for (const refused of answers.filter((r) => r.status !== 202)) {
      assert.equal(refused.status, 400);
      assert.equal(refused.body.code, 64021);
    }
    const final = await pay.nextCallback(sid, before, isFinalCallback);
    assert.equal(final.params.Result, 'success');
    const events = await pay.deliveredEvents(callSid, sid);
    assert.equal(events.filter((e) => e.kind === 'ended').length, 1);
    assert.equal(pay.receiver.forSession(sid).filter((r) => isFinalCallback(r.params)).length, 1);
    assert.equal((await pay.gatewayTransactions(sid)).length, 1);
  });

  it('treats the same key with other parameters as a new request (one key per call)', async () => {
    const callSid = await pay.startCall();
    const key = newKey();
    const update = (sid: string, options: Record<string, unknown>) =>
      pay.client.calls(callSid).payments(sid).update({ idempotencyKey: key, statusCallback: pay.statusCallback, ...options } as never);
    const payment = await pay.client
      .calls(callSid)
      .payments.create({ idempotencyKey: key, statusCallback: pay.statusCallback, chargeAmount: 3, postalCode: false, securityCode: false });
    const sid = payment.sid;

    let before = pay.receiver.forSession(sid).length;
    await update(sid, { capture: 'payment-card-number' });
    await pay.paytone.press(callSid, '4242424242424242#');
    assert.equal((await pay.nextCallback(sid, before, (p) => p.PartialResult === 'false')).params.PaymentCardNumber, 'xxxx-xxxx-xxxx-4242');

    // The same request once its field has ended asks for the field again.
    before = pay.receiver.forSession(sid).length;
    await update(sid, { capture: 'payment-card-number' });
    await pay.paytone.press(callSid, '5555555555554444#');
    assert.equal((await pay.nextCallback(sid, before, (p) => p.PartialResult === 'false')).params.PaymentCardNumber, 'xxxx-xxxx-xxxx-4444');

    before = pay.receiver.forSession(sid).length;
    await update(sid, { capture: 'expiration-date' });
    await pay.paytone.press(callSid, `${futureExpiry()}#`);
    assert.equal((await pay.nextCallback(sid, before, (p) => p.PartialResult === 'false')).params.Required, '');

    before = pay.receiver.forSession(sid).length;
    await update(sid, { status: 'complete' });
    const final = await pay.nextCallback(sid, before, isFinalCallback);
    assert.equal(final.params.Result, 'success');
    assert.equal((await pay.gatewayTransactions(sid)).length, 1);
  });
});
