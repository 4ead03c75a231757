import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { baseField, fieldRule, requestedFields, type FieldContext } from '../../src/domain/fieldRules.js';
import { achSettings, cardSettings, START } from './sessionDriver.js';

function context(overrides: Partial<FieldContext> = {}): FieldContext {
  return { settings: cardSettings(), values: {}, cardType: 'visa', now: START, ...overrides };
}

describe('expiration-date rule', () => {
  const rule = fieldRule('expiration-date');
  it('accepts MMYY from the current month on (UTC)', () => {
    assert.equal(rule.validate('0625', context()), null);
    assert.equal(rule.validate('1299', context()), null);
  });
  it('refuses a past month, a month out of range, or a wrong length', () => {
    for (const digits of ['0525', '1224', '0030', '1330', '123', '12300', '']) {
      assert.equal(rule.validate(digits, context()), 'invalid-date', digits);
    }
  });
  it('judges the month in UTC, not local time', () => {
    const lastSecondOfJune = Date.UTC(2025, 5, 30, 23, 59, 59);
    assert.equal(rule.validate('0625', context({ now: lastSecondOfJune })), null);
    assert.equal(rule.validate('0625', context({ now: lastSecondOfJune + 1000 })), 'invalid-date');
  });
  it('ends after 4 digits', () => assert.equal(rule.maxLength('12', context()), 4));
});

describe('security-code rule', () => {
  const rule = fieldRule('security-code');
  it('needs exactly 3 digits, 4 for amex', () => {
    assert.equal(rule.validate('123', context()), null);
    assert.equal(rule.validate('1234', context()), 'invalid-security-code');
    assert.equal(rule.validate('12', context()), 'invalid-security-code');
    assert.equal(rule.validate('1234', context({ cardType: 'amex' })), null);
    assert.equal(rule.validate('123', context({ cardType: 'amex' })), 'invalid-security-code');
    assert.equal(rule.maxLength('', context({ cardType: 'amex' })), 4);
    assert.equal(rule.maxLength('', context()), 3);
  });
});

describe('postal-code rule', () => {
  const rule = fieldRule('postal-code');
  it('needs at least one digit and at least MinPostalCodeLength', () => {
    assert.equal(rule.validate('9', context()), null);
    assert.equal(rule.validate('', context()), 'invalid-postal-code');
    const five = context({ settings: cardSettings({ minPostalCodeLength: 5 }) });
    assert.equal(rule.validate('9410', five), 'invalid-postal-code');
    assert.equal(rule.validate('94105', five), null);
    assert.equal(rule.maxLength('', context()), 10);
  });
});

describe('bank rules', () => {
  it('checks the ABA checksum of a 9-digit routing number', () => {
    const rule = fieldRule('bank-routing-number');
    assert.equal(rule.validate('110000000', context()), null);
    assert.equal(rule.validate('021000021', context()), null);
    assert.equal(rule.validate('110000001', context()), 'invalid-bank-routing-number');
    assert.equal(rule.validate('11000000', context()), 'invalid-bank-routing-number');
    assert.equal(rule.maxLength('', context()), 9);
  });
  it('needs 4 to 17 account digits', () => {
    const rule = fieldRule('bank-account-number');
    assert.equal(rule.validate('123', context()), 'invalid-bank-account-number');
    assert.equal(rule.validate('1234', context()), null);
    assert.equal(rule.validate('12345678901234567', context()), null);
    assert.equal(rule.maxLength('', context()), 17);
  });
});

describe('matcher rules', () => {
  it('accept only the value accepted for their field, with the same length limit', () => {
    const rule = fieldRule('postal-code-matcher');
    assert.equal(baseField('postal-code-matcher'), 'postal-code');
    assert.equal(rule.validate('94105', context({ values: { 'postal-code': '94105' } })), null);
    assert.equal(rule.validate('94106', context({ values: { 'postal-code': '94105' } })), 'input-matching-failed');
    assert.equal(rule.validate('94105', context()), 'input-matching-failed');
    assert.equal(rule.maxLength('', context()), 10);
  });
});

describe('requestedFields', () => {
  it('lists card fields in Required order, matchers after their field', () => {
    const settings = cardSettings({ requireMatchingInputs: ['postal-code', 'payment-card-number', 'security-code', 'expiration-date'] });
    assert.deepEqual(requestedFields(settings), [
      'payment-card-number', 'payment-card-number-matcher', 'expiration-date', 'expiration-date-matcher',
      'security-code', 'security-code-matcher', 'postal-code', 'postal-code-matcher',
    ]);
  });
  it('leaves out the security and postal codes (and their matchers) when not asked for', () => {
    const settings = cardSettings({ securityCode: false, postalCode: false, requireMatchingInputs: ['security-code', 'postal-code'] });
    assert.deepEqual(requestedFields(settings), ['payment-card-number', 'expiration-date']);
  });
  it('lists the two bank fields for ach-debit', () => {
    assert.deepEqual(requestedFields(achSettings()), ['bank-routing-number', 'bank-account-number']);
  });
});
