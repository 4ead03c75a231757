import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sessionView } from '../../src/domain/sessionView.js';
import { ACCOUNT, achSettings, AMEX, cardSettings, DECLINED, PaySession, readyCardSession, ROUTING, SUCCESS } from './sessionDriver.js';

describe('sessionView', () => {
  it('shows a fresh session: everything required, nothing captured', () => {
    const pay = new PaySession();
    assert.deepEqual(sessionView(pay.session), {
      status: 'in-progress', capture: null,
      required: ['payment-card-number', 'expiration-date', 'security-code', 'postal-code'],
      payment_method: 'credit-card', charge_amount: '12.50', currency: 'USD', token_type: null, payment_connector: 'Default',
      payment_card_number: null, payment_card_type: null, expiration_date: null, security_code: null,
      payment_card_postal_code: null, bank_routing_number: null, bank_account_number: null,
      result: null, payment_confirmation_code: null, payment_token: null, profile_id: null,
      payment_error: null, pay_error_code: null, connector_error: null,
    });
  });

  it('shows captured values masked like the final callbacks, and the field being typed', () => {
    const pay = readyCardSession(cardSettings(), AMEX);
    pay.capture('postal-code');
    const view = sessionView(pay.session);
    assert.equal(view.capture, 'postal-code');
    assert.deepEqual(view.required, []);
    assert.equal(view.payment_card_number, 'xxxx-xxxxxx-x0005');
    assert.equal(view.payment_card_type, 'amex');
    assert.equal(view.expiration_date, '1230');
    assert.equal(view.security_code, 'xxxx');
    assert.equal(view.payment_card_postal_code, '94105');
    assert.doesNotMatch(JSON.stringify(view), /378282/);
  });

  it('shows bank fields of an ach-debit session', () => {
    const pay = new PaySession(achSettings({ chargeAmount: null, tokenType: 'payment-method' }));
    pay.enter('bank-routing-number', `${ROUTING}#`);
    pay.enter('bank-account-number', `${ACCOUNT}#`);
    const view = sessionView(pay.session);
    assert.equal(view.bank_routing_number, ROUTING);
    assert.equal(view.bank_account_number, '**********89');
    assert.equal(view.token_type, 'payment-method');
    assert.equal(view.charge_amount, null);
  });

  it('keeps the masked summary, as the final callbacks showed it, once the session has ended', () => {
    const pay = readyCardSession();
    const shownWhileOpen = sessionView(pay.session);
    pay.complete();
    pay.answer(SUCCESS);
    assert.deepEqual(pay.session.values, {}, 'the secrets are erased');
    const view = sessionView(pay.session);
    assert.equal(view.status, 'completed');
    assert.deepEqual(view.required, []);
    for (const key of ['payment_card_number', 'payment_card_type', 'expiration_date', 'security_code', 'payment_card_postal_code']) {
      assert.ok(view[key] !== null, key);
      assert.equal(view[key], shownWhileOpen[key], key);
    }
    assert.equal(view.payment_card_number, 'xxxx-xxxx-xxxx-4242');
    assert.equal(view.security_code, 'xxx');
    assert.equal(view.result, 'success');
    assert.equal(view.payment_confirmation_code, 'ch_123');
  });

  it('keeps what was accepted before a hang-up, and nothing of the field being typed', () => {
    const pay = new PaySession();
    pay.enter('payment-card-number', '4242424242424242#');
    pay.capture('expiration-date');
    pay.press('12');
    pay.hangup();
    const view = sessionView(pay.session);
    assert.equal(view.status, 'canceled');
    assert.equal(view.payment_card_number, 'xxxx-xxxx-xxxx-4242');
    assert.equal(view.payment_card_type, 'visa');
    assert.equal(view.expiration_date, null);
    assert.equal(view.security_code, null);
  });

  it('shows the connector error of a failed payment', () => {
    const pay = readyCardSession();
    pay.complete();
    pay.answer(DECLINED);
    const view = sessionView(pay.session);
    assert.equal(view.result, 'payment-connector-error');
    assert.equal(view.pay_error_code, 64012);
    assert.equal(view.connector_error, 'card_declined');
    assert.equal(view.payment_error, 'Your card was declined.');
  });
});
