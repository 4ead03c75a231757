import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCreatePayment, parseUpdatePayment, resolveCallbackUrl } from '../../src/domain/paymentParams.js';
import { PaytoneError, type ErrorCode } from '../../src/domain/errors.js';
import type { FormValues } from '../../src/domain/form.js';

const CALL_URL = 'https://app.example.com/voice/answer';
const REQUIRED = { IdempotencyKey: 'key-1', StatusCallback: 'https://app.example.com/pay' };

function create(extra: FormValues, callUrl: string | null = CALL_URL) {
  return parseCreatePayment({ ...REQUIRED, ...extra }, { callUrl });
}

function settings(extra: FormValues) {
  return create(extra).settings;
}

/** Asserts a 64xxx/20xxx rejection whose message contains every given fragment. */
function rejects(run: () => unknown, code: ErrorCode, ...fragments: string[]): void {
  assert.throws(run, (err: unknown) => {
    assert.ok(err instanceof PaytoneError, `expected a PaytoneError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    for (const f of fragments) assert.ok(err.message.includes(f), `"${err.message}" should mention ${f}`);
    return true;
  });
}

describe('parseCreatePayment', () => {
  it('applies Twilio defaults when only the required parameters are given', () => {
    const parsed = create({});
    assert.equal(parsed.idempotencyKey, 'key-1');
    assert.equal(parsed.callbackUrl, 'https://app.example.com/pay');
    assert.deepEqual(parsed.settings, {
      paymentMethod: 'credit-card',
      bankAccountType: null,
      chargeAmount: null,
      currency: 'USD',
      description: null,
      input: 'dtmf',
      minPostalCodeLength: 0,
      parameter: null,
      paymentConnector: 'Default',
      postalCode: true,
      securityCode: true,
      timeoutSeconds: 5,
      tokenType: 'reusable',
      validCardTypes: ['visa', 'mastercard', 'amex'],
      requireMatchingInputs: [],
      confirmation: false,
    });
  });

  it('requires IdempotencyKey and StatusCallback, naming the missing one', () => {
    rejects(() => parseCreatePayment({ StatusCallback: 'https://a.example/cb' }, { callUrl: null }), 64020, 'IdempotencyKey');
    rejects(() => parseCreatePayment({ IdempotencyKey: 'k' }, { callUrl: null }), 64020, 'StatusCallback');
  });

  it('treats an empty value as not given', () => {
    assert.equal(settings({ Timeout: '', Currency: '', ChargeAmount: '' }).timeoutSeconds, 5);
    rejects(() => create({ IdempotencyKey: '' }), 64020, 'Missing required parameter IdempotencyKey');
  });

  it('rejects a parameter given twice', () => {
    rejects(() => create({ Timeout: ['5', '10'] }), 64020, 'Timeout was given 2 times');
  });

  describe('ChargeAmount', () => {
    it('normalizes to two decimals', () => {
      assert.equal(settings({ ChargeAmount: '12' }).chargeAmount, '12.00');
      assert.equal(settings({ ChargeAmount: '10.5' }).chargeAmount, '10.50');
      assert.equal(settings({ ChargeAmount: '0010.50' }).chargeAmount, '10.50');
      assert.equal(settings({ ChargeAmount: '.99' }).chargeAmount, '0.99');
      assert.equal(settings({ ChargeAmount: '999999.99' }).chargeAmount, '999999.99');
      assert.equal(settings({ ChargeAmount: '12.500' }).chargeAmount, '12.50');
    });

    it('means "tokenize" when zero', () => {
      assert.equal(settings({ ChargeAmount: '0' }).chargeAmount, null);
      assert.equal(settings({ ChargeAmount: '0.00' }).chargeAmount, null);
    });

    it('rejects bad amounts with 64003 and says why', () => {
      rejects(() => create({ ChargeAmount: '12.345' }), 64003, 'at most 2 decimal places');
      rejects(() => create({ ChargeAmount: '-5' }), 64003, 'negative');
      rejects(() => create({ ChargeAmount: '1000000' }), 64003, 'below 1000000');
      rejects(() => create({ ChargeAmount: 'ten' }), 64003, '"ten"');
      rejects(() => create({ ChargeAmount: '1e3' }), 64003);
      rejects(() => create({ ChargeAmount: '.' }), 64003);
    });
  });

  it('upper-cases Currency and rejects anything but an ISO 4217 currency code', () => {
    assert.equal(settings({ Currency: 'eur' }).currency, 'EUR');
    assert.equal(settings({ Currency: 'JPY' }).currency, 'JPY');
    assert.equal(settings({ Currency: 'kwd' }).currency, 'KWD');
    rejects(() => create({ Currency: 'EURO' }), 64020, 'Currency', '"EURO"');
    rejects(() => create({ Currency: 'xyz' }), 64020, 'ISO 4217', '"xyz"');
    rejects(() => create({ Currency: 'XTS' }), 64020, 'ISO 4217', '"XTS"');
  });

  it('limits Description to 255 characters without echoing it', () => {
    assert.equal(settings({ Description: 'Order 42' }).description, 'Order 42');
    rejects(() => create({ Description: 'x'.repeat(256) }), 64020, 'Description', '256');
  });

  it('accepts only dtmf Input, in any case', () => {
    assert.equal(settings({ Input: 'DTMF' }).input, 'dtmf');
    rejects(() => create({ Input: 'speech' }), 64020, 'Input', 'dtmf');
  });

  it('reads MinPostalCodeLength and Timeout within their ranges', () => {
    assert.equal(settings({ MinPostalCodeLength: '5' }).minPostalCodeLength, 5);
    assert.equal(settings({ Timeout: '600' }).timeoutSeconds, 600);
    rejects(() => create({ MinPostalCodeLength: '11' }), 64020, 'MinPostalCodeLength', '0 to 10');
    rejects(() => create({ Timeout: '0' }), 64020, 'Timeout', '1 to 600', '"0"');
    rejects(() => create({ Timeout: '2.5' }), 64020, 'Timeout');
  });

  describe('Parameter', () => {
    it('accepts a JSON object with any spacing', () => {
      assert.deepEqual(settings({ Parameter: ' { "order" : "A-12", "n": 3 } ' }).parameter, { order: 'A-12', n: 3 });
    });

    it("accepts Twilio's single-quoted example style", () => {
      assert.deepEqual(settings({ Parameter: "{'name':'foobar'}" }).parameter, { name: 'foobar' });
    });

    it('rejects anything but a flat object', () => {
      for (const bad of ['[1,2]', '"text"', '{"a":{"b":1}}', '{"a":[1]}', 'not json', 'null']) {
        rejects(() => create({ Parameter: bad }), 64020, 'Parameter');
      }
    });
  });

  it('checks the PaymentConnector name', () => {
    assert.equal(settings({ PaymentConnector: 'stripe_live-1' }).paymentConnector, 'stripe_live-1');
    rejects(() => create({ PaymentConnector: 'my connector' }), 64020, 'PaymentConnector');
    rejects(() => create({ PaymentConnector: 'a'.repeat(65) }), 64020, 'PaymentConnector');
  });

  describe('PaymentMethod and BankAccountType', () => {
    it('defaults ach-debit to consumer-checking', () => {
      const s = settings({ PaymentMethod: 'ach-debit' });
      assert.equal(s.paymentMethod, 'ach-debit');
      assert.equal(s.bankAccountType, 'consumer-checking');
      assert.equal(settings({ PaymentMethod: 'ach-debit', BankAccountType: 'commercial-checking' }).bankAccountType, 'commercial-checking');
    });

    it('refuses BankAccountType with credit-card (64017)', () => {
      rejects(() => create({ BankAccountType: 'consumer-savings' }), 64017, 'ach-debit');
    });

    it('lists the allowed values for an unknown one', () => {
      rejects(() => create({ PaymentMethod: 'paypal' }), 64020, 'PaymentMethod', 'credit-card, ach-debit', '"paypal"');
      rejects(() => create({ PaymentMethod: 'ach-debit', BankAccountType: 'savings' }), 64020, 'BankAccountType', 'consumer-savings');
    });
  });

  it('reads PostalCode, SecurityCode and Confirmation in any letter case', () => {
    const s = settings({ PostalCode: 'False', SecurityCode: 'FALSE', Confirmation: 'True' });
    assert.equal(s.postalCode, false);
    assert.equal(s.securityCode, false);
    assert.equal(s.confirmation, true);
    rejects(() => create({ Confirmation: 'yes' }), 64020, 'Confirmation', 'true or false');
  });

  it('reads TokenType', () => {
    assert.equal(settings({ TokenType: 'one-time' }).tokenType, 'one-time');
    rejects(() => create({ TokenType: 'forever' }), 64020, 'TokenType', 'payment-method');
  });

  describe('ValidCardTypes', () => {
    it('splits on spaces (decoded +) and commas, dropping duplicates', () => {
      assert.deepEqual(settings({ ValidCardTypes: 'visa mastercard  discover' }).validCardTypes, ['visa', 'mastercard', 'discover']);
      assert.deepEqual(settings({ ValidCardTypes: 'visa,amex, jcb visa' }).validCardTypes, ['visa', 'amex', 'jcb']);
      assert.deepEqual(settings({ ValidCardTypes: 'diners-club+maestro' }).validCardTypes, ['diners-club', 'maestro']);
    });

    it('names the unknown type and lists the known ones', () => {
      rejects(() => create({ ValidCardTypes: 'visa unionpay' }), 64020, '"unionpay"', 'maestro', 'enroute');
    });
  });

  describe('RequireMatchingInputs', () => {
    it('reads a comma list, tolerating spaces and collapsing duplicates', () => {
      assert.deepEqual(
        settings({ RequireMatchingInputs: 'payment-card-number, expiration-date,payment-card-number' }).requireMatchingInputs,
        ['payment-card-number', 'expiration-date'],
      );
    });

    it('rejects unknown fields, ach-debit, and fields whose capture is off', () => {
      rejects(() => create({ RequireMatchingInputs: 'bank-account-number' }), 64020, '"bank-account-number"');
      rejects(() => create({ PaymentMethod: 'ach-debit', RequireMatchingInputs: 'payment-card-number' }), 64020, 'credit-card');
      rejects(() => create({ SecurityCode: 'false', RequireMatchingInputs: 'security-code' }), 64020, 'SecurityCode=false');
      rejects(() => create({ PostalCode: 'false', RequireMatchingInputs: 'postal-code' }), 64020, 'PostalCode=false');
    });
  });

  it('ignores parameters Twilio does not know', () => {
    assert.equal(create({ Colour: 'blue' }).settings.currency, 'USD');
  });

  it('never echoes a card number typed into the wrong parameter', () => {
    assert.throws(() => create({ Currency: '4242424242424242' }), (err: PaytoneError) => {
      assert.ok(!err.message.includes('4242424242424242'), err.message);
      assert.ok(err.message.includes('4242'));
      return true;
    });
  });

  it('cuts long bad values short in the message', () => {
    assert.throws(() => create({ TokenType: 'z'.repeat(500) }), (err: PaytoneError) => {
      assert.ok(err.message.length < 200, err.message);
      return true;
    });
  });
});

describe('resolveCallbackUrl', () => {
  it('keeps absolute http(s) URLs as given', () => {
    assert.equal(resolveCallbackUrl('http://localhost:3000/pay?x=1', null), 'http://localhost:3000/pay?x=1');
  });

  it("resolves relative URLs against the call's Url", () => {
    assert.equal(resolveCallbackUrl('/payments/status', CALL_URL), 'https://app.example.com/payments/status');
    assert.equal(resolveCallbackUrl('status', CALL_URL), 'https://app.example.com/voice/status');
  });

  it('asks for an absolute URL when the call has no Url', () => {
    rejects(() => resolveCallbackUrl('/payments/status', null), 64020, 'no Url', 'absolute');
  });

  it('rejects other schemes', () => {
    rejects(() => resolveCallbackUrl('ftp://example.com/cb', CALL_URL), 64020, 'http or https');
    rejects(() => resolveCallbackUrl('localhost:3000/cb', CALL_URL), 64020, 'http or https');
  });
});

describe('parseUpdatePayment', () => {
  const update = (extra: FormValues) => parseUpdatePayment({ ...REQUIRED, ...extra }, { callUrl: CALL_URL });

  it('reads a Capture', () => {
    assert.deepEqual(update({ Capture: 'payment-card-number' }), {
      idempotencyKey: 'key-1',
      callbackUrl: 'https://app.example.com/pay',
      input: { kind: 'capture', name: 'payment-card-number' },
    });
    assert.deepEqual(update({ Capture: 'security-code-matcher' }).input, { kind: 'capture', name: 'security-code-matcher' });
  });

  it('reads Status complete and cancel', () => {
    assert.deepEqual(update({ Status: 'complete' }).input, { kind: 'complete' });
    assert.deepEqual(update({ Status: 'cancel' }).input, { kind: 'cancel' });
  });

  it('wants exactly one of Capture and Status (64018)', () => {
    rejects(() => update({}), 64018, 'Neither', 'Capture', 'Status');
    rejects(() => update({ Capture: 'postal-code', Status: 'cancel' }), 64018, 'both');
  });

  it('lists the allowed values of Capture and Status', () => {
    rejects(() => update({ Status: 'completed' }), 64020, 'complete, cancel', '"completed"');
    rejects(() => update({ Capture: 'cvv' }), 64020, 'bank-routing-number');
  });

  it('resolves a relative StatusCallback and requires the IdempotencyKey', () => {
    assert.equal(update({ StatusCallback: '/cb', Status: 'cancel' }).callbackUrl, 'https://app.example.com/cb');
    rejects(() => parseUpdatePayment({ StatusCallback: '/cb', Status: 'cancel' }, { callUrl: CALL_URL }), 64020, 'IdempotencyKey');
  });
});
