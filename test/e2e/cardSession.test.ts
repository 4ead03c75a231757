/**
 * Card pay sessions end to end through the official `twilio` client: the whole happy path with every callback
 * checked, fields asked in any order and again, invalid entries, amex, matching inputs, caller confirmation
 * and tokenization.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ACCOUNT_SID } from '../support/paytone.js';
import { validatorFor } from '../support/twilioSchema.js';
import { futureExpiry, isFinalCallback, newKey, openPaytone, paymentsPath, rawKeys, type PaytoneUnderTest } from './flows.js';

const CARD_FIELDS_REQUIRED = 'payment-card-number,expiration-date,security-code,postal-code';

describe('card pay session through the twilio client', () => {
  let pay: PaytoneUnderTest;
  before(async () => {
    pay = await openPaytone();
  });
  after(async () => {
    await pay.close();
  });

  it('charges a visa card and reports every step in signed, masked callbacks', async () => {
    const callSid = await pay.startCall();
    const created = await pay.client
      .calls(callSid)
      .payments.createWithHttpInfo({ idempotencyKey: newKey(), statusCallback: pay.statusCallback, chargeAmount: 20.5 });
    assert.equal(created.statusCode, 201);
    const body = pay.client.httpClient!.lastResponse!.body as Record<string, string>;
    assert.deepEqual(Object.keys(body).sort(), ['account_sid', 'call_sid', 'date_created', 'date_updated', 'sid', 'uri']);
    const validate = validatorFor('api.v2010.account.call.payments');
    assert.ok(validate(body), JSON.stringify(validate.errors));
    const sid = created.body.sid;
    assert.match(sid, /^PK[0-9a-f]{32}$/);
    assert.equal(body.uri, paymentsPath(callSid, sid));

    const card = await pay.capture(callSid, sid, 'payment-card-number', '4242424242424242#');
    const typing = pay.receiver.forSession(sid).filter((r) => r.params.Capture === 'payment-card-number' && r.params.PartialResult === 'true');
    assert.equal(typing.length, 16, 'one partial callback per digit');
    typing.forEach((r, i) => {
      assert.match(r.params.PaymentCardNumber!, /^[x-]+$/, 'a partial mask shows no digit');
      assert.equal(r.params.PaymentCardNumber!.replaceAll('-', '').length, i + 1);
    });
    assert.equal(card.PaymentCardNumber, 'xxxx-xxxx-xxxx-4242');
    assert.equal(card.PaymentCardType, 'visa');
    assert.equal(card.Required, 'expiration-date,security-code,postal-code');
    assert.equal(card.ErrorType, undefined);

    const expiry = futureExpiry();
    assert.equal((await pay.capture(callSid, sid, 'expiration-date', `${expiry}#`)).ExpirationDate, expiry);
    const code = await pay.capture(callSid, sid, 'security-code', '123');
    assert.equal(code.SecurityCode, 'xxx');
    assert.equal(code.Required, 'postal-code');
    const postal = await pay.capture(callSid, sid, 'postal-code', '94107#');
    assert.equal(postal.PaymentCardPostalCode, '94107');
    assert.equal(postal.Required, '');

    const view = await pay.session(callSid, sid);
    assert.equal(view.status, 'in-progress');
    assert.equal(view.payment_card_number, 'xxxx-xxxx-xxxx-4242');
    assert.equal(view.security_code, 'xxx');
    assert.equal(view.expiration_date, expiry);
    assert.deepEqual(view.required, []);
    assert.doesNotMatch(JSON.stringify(view), /4242424242424242/);

    const final = await pay.finish(callSid, sid);
    assert.equal(final.Result, 'success');
    assert.match(final.PaymentConfirmationCode!, /^ch_/);
    assert.equal(final.ChargeAmount, '20.50');

    const all = pay.receiver.forSession(sid);
    for (const callback of all) {
      const { params, headers } = callback;
      assert.ok(callback.signatureValid, `signature of ${JSON.stringify(params)}`);
      assert.ok(headers['i-twilio-idempotency-token'], 'I-Twilio-Idempotency-Token header');
      for (const key of ['AccountSid', 'CallSid', 'Sid', 'DateCreated', 'PaymentMethod', 'PaymentConnector', 'ChargeAmount']) {
        assert.ok(params[key], `${key} in ${JSON.stringify(params)}`);
      }
      assert.equal(params.AccountSid, ACCOUNT_SID);
      assert.equal(params.CallSid, callSid);
      assert.equal(params.PaymentMethod, 'credit-card');
      assert.equal(params.PaymentConnector, 'Default');
      const keys = rawKeys(callback.raw);
      assert.equal(new Set(keys).size, keys.length, `a key sent twice in ${callback.raw}`);
      assert.doesNotMatch(callback.raw, /4242424242424242/);
    }
    const tokens = all.map((r) => r.headers['i-twilio-idempotency-token']);
    assert.equal(new Set(tokens).size, tokens.length, 'each callback has its own idempotency token');

    const done = await pay.session(callSid, sid);
    assert.equal(done.status, 'completed');
    assert.equal(done.result, 'success');
    assert.equal(done.payment_confirmation_code, final.PaymentConfirmationCode);
    assert.equal(done.payment_card_type, 'visa');

    const events = await pay.deliveredEvents(callSid, sid);
    assert.equal(events.length, all.length);
    for (const event of events) {
      assert.equal(event.callback.status, 'delivered', JSON.stringify(event));
      assert.equal(event.callback.url, pay.statusCallback);
    }
    assert.deepEqual(events.map((e) => e.parameters), all.map((r) => r.params));
  });

  it('takes fields in any order, replaces a field asked again, and reports invalid entries', async () => {
    const { callSid, sid } = await pay.startSession({ chargeAmount: 5, validCardTypes: 'visa' });
    const expiry = await pay.capture(callSid, sid, 'expiration-date', `${futureExpiry()}#`);
    assert.equal(expiry.Required, 'payment-card-number,security-code,postal-code');

    const badLuhn = await pay.capture(callSid, sid, 'payment-card-number', '4242424242424241#');
    assert.equal(badLuhn.ErrorType, 'invalid-card-number');
    assert.equal(badLuhn.PaymentCardNumber, undefined, 'an invalid number is not echoed');
    assert.equal(badLuhn.Required, 'payment-card-number,security-code,postal-code');

    const mastercard = await pay.capture(callSid, sid, 'payment-card-number', '5555555555554444#');
    assert.equal(mastercard.ErrorType, 'invalid-card-type');

    await pay.capture(callSid, sid, 'payment-card-number', '4242424242424242#');
    const replaced = await pay.capture(callSid, sid, 'payment-card-number', '4000056655665556#');
    assert.equal(replaced.PaymentCardNumber, 'xxxx-xxxx-xxxx-5556');
    assert.equal((await pay.session(callSid, sid)).payment_card_number, 'xxxx-xxxx-xxxx-5556');

    const badDate = await pay.capture(callSid, sid, 'expiration-date', '1320#');
    assert.equal(badDate.ErrorType, 'invalid-date');
    assert.equal(badDate.Required, 'expiration-date,security-code,postal-code', 'an invalid entry drops the old value');
  });

  it('asks for the card number before the security code', async () => {
    const { callSid, sid } = await pay.startSession({ chargeAmount: 5 });
    const before = pay.receiver.forSession(sid).length;
    await pay.requestCapture(callSid, sid, 'security-code');
    const refused = await pay.nextCallback(sid, before, (p) => p.Capture === 'security-code');
    assert.equal(refused.params.ErrorType, 'invalid-card-number-security-code-capture-sequence');
    assert.equal(refused.params.PartialResult, 'false');
    assert.equal(refused.params.Required, CARD_FIELDS_REQUIRED);
  });

  it('reads an amex number to its 15 digits and wants a 4-digit security code', async () => {
    const { callSid, sid } = await pay.startSession({ chargeAmount: 5 });
    const card = await pay.capture(callSid, sid, 'payment-card-number', '378282246310005');
    assert.equal(card.PaymentCardNumber, 'xxxx-xxxxxx-x0005');
    assert.equal(card.PaymentCardType, 'amex');
    const code = await pay.capture(callSid, sid, 'security-code', '1234');
    assert.equal(code.SecurityCode, 'xxxx');
    assert.equal(code.ErrorType, undefined);
    const short = await pay.capture(callSid, sid, 'security-code', '123#');
    assert.equal(short.ErrorType, 'invalid-security-code');
  });

  it('makes the caller enter the card number twice with RequireMatchingInputs', async () => {
    const { callSid, sid } = await pay.startSession({ chargeAmount: 5, requireMatchingInputs: 'payment-card-number', postalCode: false });
    const card = await pay.capture(callSid, sid, 'payment-card-number', '4242424242424242#');
    assert.equal(card.Required, 'payment-card-number-matcher,expiration-date,security-code');
    const mismatch = await pay.capture(callSid, sid, 'payment-card-number-matcher', '4000056655665556#');
    assert.equal(mismatch.ErrorType, 'input-matching-failed');
    assert.equal(mismatch.Required, 'payment-card-number-matcher,expiration-date,security-code');
    const match = await pay.capture(callSid, sid, 'payment-card-number-matcher', '4242424242424242#');
    assert.equal(match.ErrorType, undefined);
    assert.equal(match.PaymentCardNumber, 'xxxx-xxxx-xxxx-4242');
    assert.equal(match.Required, 'expiration-date,security-code');
  });

  for (const [key, expected] of [['1', 'completed'], ['2', 'canceled']] as const) {
    it(`with Confirmation=true waits for the caller, who presses ${key}`, async () => {
      const { callSid, sid } = await pay.startSession({ chargeAmount: 5, confirmation: 'true', postalCode: false, securityCode: false });
      await pay.capture(callSid, sid, 'payment-card-number', '4242424242424242#');
      await pay.capture(callSid, sid, 'expiration-date', `${futureExpiry()}#`);
      const before = pay.receiver.forSession(sid).length;
      await pay.client.calls(callSid).payments(sid).update({ idempotencyKey: newKey(), statusCallback: pay.statusCallback, status: 'complete' });
      assert.equal((await pay.session(callSid, sid)).status, 'awaiting-confirmation');
      assert.equal((await pay.gatewayTransactions(sid)).length, 0, 'nothing is sent before the caller confirms');
      await pay.paytone.press(callSid, key);
      const final = await pay.nextCallback(sid, before, isFinalCallback);
      const view = await pay.session(callSid, sid);
      assert.equal(view.status, expected);
      if (key === '1') {
        assert.equal(final.params.Result, 'success');
        assert.equal((await pay.gatewayTransactions(sid)).length, 1);
      } else {
        assert.equal(final.params.PaymentConfirmationCode, undefined);
        assert.equal((await pay.gatewayTransactions(sid)).length, 0);
      }
    });
  }

  for (const [tokenType, tokenPrefix, hasProfile] of [
    ['one-time', 'tok_', false],
    ['reusable', 'tok_', true],
    ['payment-method', 'pm_', false],
  ] as const) {
    it(`tokenizes without ChargeAmount: TokenType=${tokenType}`, async () => {
      const { callSid, sid } = await pay.startSession({ tokenType, postalCode: false });
      await pay.capture(callSid, sid, 'payment-card-number', '4242424242424242#');
      await pay.capture(callSid, sid, 'expiration-date', `${futureExpiry()}#`);
      const code = await pay.capture(callSid, sid, 'security-code', '123');
      assert.equal(code.TokenType, tokenType);
      assert.equal(code.ChargeAmount, undefined);
      const final = await pay.finish(callSid, sid);
      assert.equal(final.Result, 'success');
      assert.ok(final.PaymentToken?.startsWith(tokenPrefix), JSON.stringify(final));
      assert.equal(final.PaymentConfirmationCode, undefined);
      if (hasProfile) assert.match(final.ProfileId!, /^cus_/);
      else assert.equal(final.ProfileId, undefined);
      const view = await pay.session(callSid, sid);
      assert.equal(view.payment_token, final.PaymentToken);
      assert.equal(view.token_type, tokenType);
    });
  }
});
