/**
 * Property-based tests of the form readers and the Payments and Calls parameter validation: random forms
 * (every known parameter and unknown ones, good values, near misses, arbitrary Unicode, repeated keys,
 * empty values) either parse into settings within their documented ranges or are refused with a Twilio
 * error code whose message names the parameter and never echoes a card number.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PaytoneError, type ErrorCode } from '../../src/domain/errors.js';
import { formBoolean, formEnum, formInteger, formValue, shownValue, type FormValues } from '../../src/domain/form.js';
import { parseCreatePayment, parseUpdatePayment } from '../../src/domain/paymentParams.js';
import { parseCreateCall, parseUpdateCall } from '../../src/domain/callParams.js';
import { CAPTURE_NAMES, CARD_FIELDS, CARD_TYPES, TOKEN_TYPES } from '../../src/domain/types.js';

const RUNS = Number(process.env.PAYTONE_PROPERTY_RUNS ?? 300);

const CREATE_PARAMS = [
  'IdempotencyKey', 'StatusCallback', 'BankAccountType', 'ChargeAmount', 'Currency', 'Description', 'Input',
  'MinPostalCodeLength', 'Parameter', 'PaymentConnector', 'PaymentMethod', 'PostalCode', 'SecurityCode', 'Timeout',
  'TokenType', 'ValidCardTypes', 'RequireMatchingInputs', 'Confirmation',
];
const UPDATE_PARAMS = ['IdempotencyKey', 'StatusCallback', 'Capture', 'Status'];
const CALL_PARAMS = ['To', 'From', 'Url', 'Method', 'FallbackUrl', 'Twiml', 'StatusCallback', 'StatusCallbackMethod', 'StatusCallbackEvent', 'Timeout', 'Status'];

/** Values that are valid for some parameter, so random forms often get far into the validation. */
const GOOD_VALUES = [
  'k1', 'https://app.example/pay', '/pay', '../pay', 'consumer-checking', 'commercial-checking', '10', '10.50', '0', '0.00',
  '999999.99', 'usd', 'EUR', 'Order 1', 'dtmf', 'DTMF', '5', '600', '1', '{"a":1}', "{'a':'b'}", 'Default', 'credit-card',
  'ach-debit', 'true', 'True', 'false', 'FALSE', 'one-time', 'reusable', 'payment-method', 'visa mastercard', 'visa,amex',
  'payment-card-number,expiration-date', 'security-code', 'postal-code', ...CAPTURE_NAMES, 'complete', 'cancel',
  'completed', 'canceled', 'GET', 'post', '+15551230001', 'https://app.example/voice',
];

/** Near misses and hostile values: out of range, malformed, huge, control characters, card numbers. */
const BAD_VALUES = [
  '-1', '601', '1e3', '0x10', ' 5 ', '10.555', '-0.00', '1000000', '.', '..', 'NaN', 'Infinity', '{', '[]', '{"a":{"b":1}}',
  'null', 'javascript:alert(1)', 'ftp://x', 'http://', '//evil.example', '\u0000', '\uFFFF', '\uD800', 'é'.repeat(300),
  '9'.repeat(400), '4242424242424242', '4242 4242 4242 4242', '4242-4242-4242-4242', 'card 378282246310005 thanks',
  'x'.repeat(70_000),
];

const valueArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...GOOD_VALUES) },
  { weight: 2, arbitrary: fc.constantFrom(...BAD_VALUES) },
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
);

/**
 * A form over `names` (plus unknown keys); `base`, a valid form, is mostly kept so that random forms also get
 * past the first check and reach the later ones.
 */
function formArb(names: readonly string[], base: FormValues = {}): fc.Arbitrary<FormValues> {
  const key = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });
  const value = fc.oneof({ weight: 6, arbitrary: valueArb }, { weight: 1, arbitrary: fc.array(valueArb, { minLength: 1, maxLength: 3 }) });
  return fc.tuple(fc.dictionary(key, value, { maxKeys: 4 }), fc.boolean()).map(([random, keepBase]) => (keepBase ? { ...random, ...base } : random));
}

const VALID_CREATE = { IdempotencyKey: 'k1', StatusCallback: 'https://app.example/pay' };
const VALID_UPDATE = { IdempotencyKey: 'k2', StatusCallback: 'https://app.example/pay', Capture: 'payment-card-number' };

/** Card numbers, possibly spaced or dashed as people write them. */
const CARD_NUMBERS = ['4242424242424242', '5555555555554444', '378282246310005', '6011111111111117', '4000056655665556'];

/**
 * No run of more than 4 digits of a card number survives in text. Digits count as one run across the separators
 * people write inside a card number (space, dash, dot), never across other characters: a mask's `*` or a `:`
 * between a number the message quotes and a card's last 4 digits does not make a card number.
 */
function showsCardNumber(text: string): string | null {
  const runs = (text.match(/\d(?:[\d .-]*\d)?/g) ?? []).map((run) => run.replace(/[^0-9]/g, ''));
  return CARD_NUMBERS.find((card) => runs.some((digits) => digits.includes(card.slice(0, 6)) || digits.includes(card.slice(4, 10)))) ?? null;
}

/** Runs `parse`; a refusal must be a PaytoneError with one of `codes` and a message that is safe to show. */
function parsesOrRefuses<T>(parse: () => T, codes: ErrorCode[]): T | null {
  try {
    return parse();
  } catch (err) {
    assert.ok(err instanceof PaytoneError, `threw ${String(err)} instead of a Twilio error`);
    assert.ok(codes.includes(err.code), `unexpected code ${err.code}: ${err.message}`);
    assert.ok(err.message.length > 10 && err.message.length <= 400, `message length ${err.message.length}`);
    assert.equal(showsCardNumber(err.message), null, `message echoes a card number: ${err.message}`);
    return null;
  }
}

const callUrlArb = fc.constantFrom(null, 'https://app.example/voice/start');

describe('form readers', () => {
  it('formValue returns a non-empty string or undefined, or refuses a parameter given twice', () => {
    fc.assert(
      fc.property(formArb(['A', 'B']), (form) => {
        const value = parsesOrRefuses(() => formValue(form, 'A'), [64020]);
        if (value !== null && value !== undefined) assert.ok(typeof value === 'string' && value !== '');
      }),
      { numRuns: RUNS, includeErrorInReport: true },
    );
  });

  it('formInteger returns a whole number within the range or refuses', () => {
    fc.assert(
      fc.property(fc.oneof(valueArb, fc.integer().map(String), fc.double().map(String)), fc.integer({ min: -5, max: 5 }), fc.integer({ min: 0, max: 1000 }), (raw, min, span) => {
        const n = parsesOrRefuses(() => formInteger({ N: raw }, 'N', { min, max: min + span }), [64020]);
        if (n !== null && n !== undefined) assert.ok(Number.isSafeInteger(n) && n >= min && n <= min + span, `${raw} -> ${n}`);
      }),
      { numRuns: RUNS, includeErrorInReport: true },
    );
  });

  it('formBoolean and formEnum return only allowed values', () => {
    fc.assert(
      fc.property(valueArb, (raw) => {
        const b = parsesOrRefuses(() => formBoolean({ B: raw }, 'B'), [64020]);
        if (b !== null && b !== undefined) assert.equal(String(b), raw.toLowerCase());
        const e = parsesOrRefuses(() => formEnum({ E: raw }, 'E', TOKEN_TYPES), [64020]);
        if (e !== null && e !== undefined) assert.ok(TOKEN_TYPES.includes(e));
      }),
      { numRuns: RUNS, includeErrorInReport: true },
    );
  });

  it('shownValue is short, quoted and never shows more than the last 4 digits of a card number', () => {
    const spaced = fc.tuple(fc.constantFrom(...CARD_NUMBERS), fc.constantFrom('', ' ', '-', '.', ' - '), fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }))
      .map(([card, sep, before, after]) => before + card.replace(/(\d{4})(?=\d)/g, `$1${sep}`) + after);
    fc.assert(
      fc.property(fc.oneof(valueArb, spaced), (raw) => {
        const shown = shownValue(raw);
        assert.ok(shown.length <= 2 + 40 * 6 + 3, `shown value too long: ${shown.length}`);
        assert.equal(showsCardNumber(shown), null, `shows a card number: ${shown}`);
        assert.doesNotThrow(() => JSON.parse(shown));
      }),
      { numRuns: RUNS, includeErrorInReport: true },
    );
    assert.equal(shownValue('4242 4242 4242 4242'), '"**** **** **** 4242"');
    assert.equal(shownValue('card 3782-822463-10005.'), '"card ****-******-*0005."');
  });
});

describe('Payments parameters', () => {
  it('create: settings within their documented ranges, or a named refusal', () => {
    let accepted = 0;
    fc.assert(
      fc.property(formArb(CREATE_PARAMS, VALID_CREATE), callUrlArb, (form, callUrl) => {
        const parsed = parsesOrRefuses(() => parseCreatePayment(form, { callUrl }), [64003, 64017, 64020]);
        if (!parsed) return;
        accepted += 1;
        const s = parsed.settings;
        assert.ok(parsed.idempotencyKey !== '');
        assert.ok(/^https?:\/\/[^/]/.test(parsed.callbackUrl), parsed.callbackUrl);
        assert.ok(s.timeoutSeconds >= 1 && s.timeoutSeconds <= 600);
        assert.ok(s.minPostalCodeLength >= 0 && s.minPostalCodeLength <= 10);
        assert.match(s.currency, /^[A-Z]{3}$/);
        assert.ok(s.chargeAmount === null || /^(0|[1-9]\d{0,5})\.\d{2}$/.test(s.chargeAmount), `ChargeAmount ${s.chargeAmount}`);
        assert.ok(s.chargeAmount !== '0.00', 'a zero amount tokenizes');
        assert.ok(s.validCardTypes.length > 0 && s.validCardTypes.every((t) => CARD_TYPES.includes(t)));
        assert.equal(new Set(s.validCardTypes).size, s.validCardTypes.length);
        assert.ok(s.requireMatchingInputs.every((f) => (CARD_FIELDS as readonly string[]).includes(f)));
        if (!s.securityCode) assert.ok(!s.requireMatchingInputs.includes('security-code'));
        if (!s.postalCode) assert.ok(!s.requireMatchingInputs.includes('postal-code'));
        assert.equal(s.bankAccountType === null, s.paymentMethod === 'credit-card');
        assert.ok(s.description === null || s.description.length <= 255);
        assert.match(s.paymentConnector, /^[A-Za-z0-9_-]{1,64}$/);
      }),
      { numRuns: RUNS, includeErrorInReport: true },
    );
    assert.ok(accepted >= RUNS / 20, `only ${accepted} of ${RUNS} random forms were accepted: the checks above hardly ran`);
  });

  it('create: the order of the parameters on the wire does not matter', () => {
    fc.assert(
      fc.property(formArb(CREATE_PARAMS, VALID_CREATE), (form) => {
        const reversed = Object.fromEntries(Object.entries(form).reverse());
        const outcome = (f: FormValues) => {
          try {
            return parseCreatePayment(f, { callUrl: 'https://app.example/voice' });
          } catch (err) {
            return (err as PaytoneError).code;
          }
        };
        const a = outcome(form);
        const b = outcome(reversed);
        // Two bad parameters may be reported in either order, but both orders are refused or both accepted.
        assert.equal(typeof a, typeof b);
        if (typeof a === 'object') assert.deepEqual(a, b);
      }),
      { numRuns: RUNS, includeErrorInReport: true },
    );
  });

  it('update: exactly one of a capture, complete or cancel, or a named refusal', () => {
    let accepted = 0;
    fc.assert(
      fc.property(formArb(UPDATE_PARAMS, VALID_UPDATE), callUrlArb, (form, callUrl) => {
        const parsed = parsesOrRefuses(() => parseUpdatePayment(form, { callUrl }), [64018, 64020]);
        if (!parsed) return;
        accepted += 1;
        const { input } = parsed;
        if (input.kind === 'capture') assert.ok(CAPTURE_NAMES.includes(input.name));
        else assert.ok(input.kind === 'complete' || input.kind === 'cancel');
        assert.equal(formValue(form, input.kind === 'capture' ? 'Status' : 'Capture'), undefined);
      }),
      { numRuns: RUNS, includeErrorInReport: true },
    );
    assert.ok(accepted >= RUNS / 20, `only ${accepted} of ${RUNS} random forms were accepted`);
  });
});

describe('Calls parameters', () => {
  it('create and update: absolute http(s) URLs only, or a named refusal', () => {
    let accepted = 0;
    fc.assert(
      fc.property(formArb(CALL_PARAMS, { To: '+15551230001', From: '+15559870002' }), (form) => {
        const created = parsesOrRefuses(() => parseCreateCall(form), [20001, 21201, 21205, 21208, 21211, 21213, 64020]);
        if (created) {
          accepted += 1;
          for (const url of [created.url, created.statusCallback]) if (url !== null) assert.match(url, /^https?:\/\//);
          assert.ok(created.statusCallbackMethod === 'GET' || created.statusCallbackMethod === 'POST');
        }
        const updated = parsesOrRefuses(() => parseUpdateCall(form), [20001, 21205, 64020]);
        if (updated) assert.ok(updated.status === null || updated.status === 'completed' || updated.status === 'canceled');
      }),
      { numRuns: RUNS, includeErrorInReport: true },
    );
    assert.ok(accepted >= RUNS / 20, `only ${accepted} of ${RUNS} random forms were accepted`);
  });
});
