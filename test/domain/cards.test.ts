import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkCardNumber, detectCardType, maxCardNumberLength, securityCodeLength } from '../../src/domain/cards.js';
import { CARD_TYPES } from '../../src/domain/types.js';

const ALL = [...CARD_TYPES];

describe('card type detection', () => {
  const samples: Array<[string, string]> = [
    ['4242424242424242', 'visa'],
    ['5555555555554444', 'mastercard'],
    ['2223003122003222', 'mastercard'],
    ['378282246310005', 'amex'],
    ['371449635398431', 'amex'],
    ['6011111111111117', 'discover'],
    ['30569309025904', 'diners-club'],
    ['3566002020360505', 'jcb'],
    ['6759649826438453', 'maestro'],
    ['201400000000009', 'enroute'],
    ['214912345678901', 'enroute'],
  ];
  for (const [number, type] of samples) {
    it(`detects ${type} from ${number.slice(0, 4)}...`, () => {
      assert.equal(detectCardType(number), type);
      assert.deepEqual(checkCardNumber(number, ALL), { ok: true, cardType: type });
    });
  }

  it('knows no type while the prefix fits several', () => {
    assert.equal(detectCardType('3'), null);
    assert.equal(detectCardType(''), null);
  });
});

describe('checkCardNumber', () => {
  it('refuses a number failing the Luhn check', () => {
    assert.deepEqual(checkCardNumber('4242424242424241', ALL), { ok: false, error: 'invalid-card-number' });
  });

  it('refuses a length the type does not have', () => {
    assert.deepEqual(checkCardNumber('42424242424242', ALL), { ok: false, error: 'invalid-card-number' });
    assert.deepEqual(checkCardNumber('37828224631000', ALL), { ok: false, error: 'invalid-card-number' });
  });

  it('refuses a number of no known type', () => {
    assert.deepEqual(checkCardNumber('9999999999999995', ALL), { ok: false, error: 'invalid-card-number' });
  });

  it('refuses a valid card whose type the session does not accept', () => {
    assert.deepEqual(checkCardNumber('6011111111111117', ['visa', 'mastercard', 'amex']), { ok: false, error: 'invalid-card-type' });
  });

  it('refuses a card of a type Twilio does not name (UnionPay) as a card type error', () => {
    assert.deepEqual(checkCardNumber('6200000000000005', ALL), { ok: false, error: 'invalid-card-type' });
  });

  it('accepts an American Express card when only optima is allowed, and reports it as amex', () => {
    assert.deepEqual(checkCardNumber('378282246310005', ['optima']), { ok: true, cardType: 'amex' });
    assert.deepEqual(checkCardNumber('378282246310005', ['visa']), { ok: false, error: 'invalid-card-type' });
  });

  it('does not Luhn-check enRoute numbers but still checks their length', () => {
    assert.deepEqual(checkCardNumber('201400000000001', ['enroute']), { ok: true, cardType: 'enroute' });
    assert.deepEqual(checkCardNumber('20140000000000', ['enroute']), { ok: false, error: 'invalid-card-number' });
  });
});

describe('card lengths', () => {
  it('allows 19 digits while the type is unknown, else the longest length of the type', () => {
    assert.equal(maxCardNumberLength(''), 19);
    assert.equal(maxCardNumberLength('3'), 19);
    assert.equal(maxCardNumberLength('37'), 15);
    assert.equal(maxCardNumberLength('5555'), 16);
    assert.equal(maxCardNumberLength('4242'), 19);
    assert.equal(maxCardNumberLength('2014'), 15);
  });

  it('gives amex (and optima) a 4-digit security code and every other type 3', () => {
    assert.equal(securityCodeLength('amex'), 4);
    assert.equal(securityCodeLength('optima'), 4);
    for (const type of ['visa', 'mastercard', 'discover', 'diners-club', 'jcb', 'maestro', 'enroute'] as const) {
      assert.equal(securityCodeLength(type), 3, type);
    }
  });
});
