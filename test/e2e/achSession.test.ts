/**
 * ACH debit sessions end to end: the bank fields, their masks, BankAccountType in every callback, and the
 * sandbox's failing test accounts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openPaytone, type PaytoneUnderTest } from './flows.js';

describe('ACH debit pay session through the twilio client', () => {
  let pay: PaytoneUnderTest;
  before(async () => {
    pay = await openPaytone();
  });
  after(async () => {
    await pay.close();
  });

  it('debits a bank account and shows only the last 2 digits of its number', async () => {
    const { callSid, sid } = await pay.startSession({ paymentMethod: 'ach-debit', chargeAmount: 42, bankAccountType: 'commercial-checking' });
    const routing = await pay.capture(callSid, sid, 'bank-routing-number', '110000000#');
    assert.equal(routing.BankRoutingNumber, '110000000');
    assert.equal(routing.Required, 'bank-account-number');

    const account = await pay.capture(callSid, sid, 'bank-account-number', '000123456789#');
    assert.equal(account.BankAccountNumber, '**********89');
    assert.equal(account.Required, '');
    const typing = pay.receiver.forSession(sid).filter((r) => r.params.Capture === 'bank-account-number' && r.params.PartialResult === 'true');
    assert.equal(typing.length, 12);
    for (const r of typing) assert.match(r.params.BankAccountNumber!, /^\*+$/, 'a partial mask shows no digit');
    assert.equal((await pay.session(callSid, sid)).bank_account_number, '**********89');

    const final = await pay.finish(callSid, sid);
    assert.equal(final.Result, 'success');
    assert.match(final.PaymentConfirmationCode!, /^ch_/);

    const callbacks = pay.receiver.forSession(sid);
    for (const { params, raw } of callbacks) {
      assert.equal(params.PaymentMethod, 'ach-debit');
      assert.equal(params.BankAccountType, 'commercial-checking');
      assert.equal(params.ChargeAmount, '42.00');
      assert.doesNotMatch(raw, /000123456789/);
    }
  });

  it('lists the bank fields as Required and checks the routing number', async () => {
    const { callSid, sid } = await pay.startSession({ paymentMethod: 'ach-debit', chargeAmount: 1 });
    const bad = await pay.capture(callSid, sid, 'bank-routing-number', '110000001#');
    assert.equal(bad.ErrorType, 'invalid-bank-routing-number');
    assert.equal(bad.Required, 'bank-routing-number,bank-account-number');
    assert.equal(bad.BankAccountType, 'consumer-checking', 'consumer-checking when not given');
    const short = await pay.capture(callSid, sid, 'bank-account-number', '123#');
    assert.equal(short.ErrorType, 'invalid-bank-account-number');
  });

  for (const [account, connectorError] of [
    ['000111111116', 'no_account'],
    ['000111111113', 'account_closed'],
    ['000222222227', 'insufficient_funds'],
  ] as const) {
    it(`ends with payment-connector-error for the sandbox's failing account ${account}`, async () => {
      const { callSid, sid } = await pay.startSession({ paymentMethod: 'ach-debit', chargeAmount: 10 });
      await pay.capture(callSid, sid, 'bank-routing-number', '011000015#');
      await pay.capture(callSid, sid, 'bank-account-number', `${account}#`);
      const final = await pay.finish(callSid, sid);
      assert.equal(final.Result, 'payment-connector-error');
      assert.equal(final.ConnectorError, connectorError);
      assert.equal(final.PayErrorCode, '64012');
      assert.ok(final.PaymentError);
      assert.equal(final.PaymentConfirmationCode, undefined);
      assert.equal((await pay.session(callSid, sid)).status, 'failed');
    });
  }
});
