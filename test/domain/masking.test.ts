import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { maskBankAccountNumber, maskCardNumber, maskedCaptureParams, maskSecurityCode } from '../../src/domain/masking.js';

describe('maskCardNumber', () => {
  it('shows only the last 4 digits, grouped like a visa card', () => {
    assert.equal(maskCardNumber('4242424242424242', 'visa', false), 'xxxx-xxxx-xxxx-4242');
  });

  it('groups an amex number 4-6-5', () => {
    assert.equal(maskCardNumber('378282246310005', 'amex', false), 'xxxx-xxxxxx-x0005');
    assert.equal(maskCardNumber('371449635398431', 'optima', false), 'xxxx-xxxxxx-x8431');
  });

  it('groups an unknown type 4-4-4', () => {
    assert.equal(maskCardNumber('4242424242424242', null, false), 'xxxx-xxxx-xxxx-4242');
  });

  it('shows no digit at all while partial, grouped as far as typed', () => {
    assert.equal(maskCardNumber('424242424', 'visa', true), 'xxxx-xxxx-x');
    assert.equal(maskCardNumber('4242', 'visa', true), 'xxxx');
    assert.equal(maskCardNumber('37828224631', 'amex', true), 'xxxx-xxxxxx-x');
    assert.equal(maskCardNumber('4242424242424242', 'visa', true), 'xxxx-xxxx-xxxx-xxxx');
  });
});

describe('maskSecurityCode and maskBankAccountNumber', () => {
  it('shows an x per security code digit', () => {
    assert.equal(maskSecurityCode('123'), 'xxx');
    assert.equal(maskSecurityCode('1234'), 'xxxx');
  });

  it('shows the last 2 digits of a bank account, none while partial', () => {
    assert.equal(maskBankAccountNumber('000123456789', false), '**********89');
    assert.equal(maskBankAccountNumber('000123456789', true), '************');
  });
});

describe('maskedCaptureParams', () => {
  it('names the callback parameter of each field and its matcher', () => {
    assert.deepEqual(maskedCaptureParams('payment-card-number-matcher', '5555555555554444', 'mastercard', false), {
      PaymentCardNumber: 'xxxx-xxxx-xxxx-4444',
      PaymentCardType: 'mastercard',
    });
    assert.deepEqual(maskedCaptureParams('payment-card-number', '42', null, true), { PaymentCardNumber: 'xx' });
    assert.deepEqual(maskedCaptureParams('expiration-date-matcher', '1230', null, false), { ExpirationDate: '1230' });
    assert.deepEqual(maskedCaptureParams('security-code', '123', 'visa', false), { SecurityCode: 'xxx' });
    assert.deepEqual(maskedCaptureParams('postal-code', '94105', null, false), { PaymentCardPostalCode: '94105' });
    assert.deepEqual(maskedCaptureParams('bank-routing-number', '110000000', null, false), { BankRoutingNumber: '110000000' });
    assert.deepEqual(maskedCaptureParams('bank-account-number', '000123456789', null, false), { BankAccountNumber: '**********89' });
  });
});
